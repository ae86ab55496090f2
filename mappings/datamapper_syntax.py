"""The written parts of a field rule: paths, conditions, lookup tables, templates, date formats. Pure.

Each `*_parse` returns the part's structure or raises SyntaxProblem with a sentence saying what is wrong
and how to write it; `rule_problems` checks a whole rule (the model's clean and the import call it) and
returns {field name: sentence}. The language is documented in README.md, "Field rules (datamapper)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

COPY = "copy"
CONSTANT = "constant"
LOOKUP = "lookup"
CONCAT = "concat"
UPPER = "upper"
LOWER = "lower"
TRUNCATE = "truncate"
DATE = "date"
DEFAULT = "default"

TRANSFORMS: dict[str, str] = {
    COPY: "Copy the source value",
    CONSTANT: "Constant (the argument)",
    LOOKUP: "Lookup table (argument: SE=Sweden; NO=Norway; *=other)",
    CONCAT: "Concatenate (argument: a template like {billing.first_name} {billing.last_name})",
    UPPER: "Upper case",
    LOWER: "Lower case",
    TRUNCATE: "Truncate to the target's length (argument: a length, blank = the spec's)",
    DATE: "Date format (argument: strftime, e.g. %d.%m.%Y)",
    DEFAULT: "Default when empty (argument: the default)",
}
# Transforms that take their value from the source path (empty source path: the target's own value).
READS_SOURCE = {COPY, LOOKUP, UPPER, LOWER, TRUNCATE, DATE, DEFAULT}
OPERATORS = ("!=", "=", "contains", "notempty", "empty")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DATE_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")


class SyntaxProblem(ValueError):
    """A part of a rule is written wrongly; the message says how to write it."""


def path_segments(path: str) -> list[str]:
    return path.strip().split(".")


def path_check(path: str, *, what: str, prefixes: bool = False) -> list[str]:
    """The path's segments; SyntaxProblem when a segment is not a name, a number or *."""
    text = path.strip()
    if not text:
        raise SyntaxProblem(f"the {what} is empty.")
    segments = text.split(".")
    for index, segment in enumerate(segments):
        if segment == "*" or segment.isdigit() or NAME.match(segment):
            continue
        shown = segment or "(nothing)"
        raise SyntaxProblem(
            f"'{text}' is not a {what}: part {index + 1} is {shown!r}; write names, numbers or * joined by dots, "
            "e.g. billing.company, lines.0.sku or invoiceLines.*.description.value."
        )
    if not prefixes and segments[0] in ("raw", "body"):
        raise SyntaxProblem(f"a {what} cannot start with {segments[0]}.")
    if segments[0] in ("*",) or segments[0].isdigit():
        raise SyntaxProblem(f"'{text}' starts with {segments[0]}: a path starts with a field name.")
    return segments


def stars(path: str) -> int:
    return path_segments(path).count("*") if path.strip() else 0


@dataclass(frozen=True)
class Condition:
    path: str
    op: str
    value: str = ""


CONDITION = re.compile(r"^\s*(?P<path>\S+)\s+(?P<op>!=|=|contains|notempty|empty)(?:\s+(?P<value>.*?))?\s*$")


def condition_parse(text: str) -> Condition:
    """`<source path> <op> [value]`: ops = != contains (with a value), empty notempty (without one)."""
    match = CONDITION.match(text or "")
    if not match:
        raise SyntaxProblem(
            f"'{text}' is not a condition: write <source path> <op> [value], op one of = != contains empty "
            "notempty, e.g. billing.country = SE or billing.company notempty."
        )
    path_check(match["path"], what="source path", prefixes=True)
    op, value = match["op"], match["value"]
    if op in ("empty", "notempty"):
        if value:
            raise SyntaxProblem(f"'{op}' takes no value; remove '{value}'.")
        return Condition(match["path"], op)
    if value is None:
        raise SyntaxProblem(f"'{op}' needs a value to compare with, e.g. {match['path']} {op} SE.")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return Condition(match["path"], op, value)


ESCAPED = ";=\\"  # what a backslash escapes in a lookup table (any other backslash is itself)


def _lookup_entries(text: str) -> list[str]:
    """The entries of a lookup table: split at ';' and new lines, except an escaped one (`\\;`)."""
    entries, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] in tuple(ESCAPED):
            current.append(text[index : index + 2])  # kept escaped until the key/value split
            index += 2
            continue
        if char in ";\n":
            entries.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    entries.append("".join(current))
    return entries


def _unescaped(text: str) -> str:
    return re.sub(r"\\([;=\\])", r"\1", text)


def _split_entry(entry: str) -> tuple[str, str, str]:
    """(key, "=", value) at the first '=' not escaped; ("", "", entry) when there is none."""
    index = 0
    while index < len(entry):
        if entry[index] == "\\" and entry[index + 1 : index + 2] in tuple(ESCAPED):
            index += 2
            continue
        if entry[index] == "=":
            return entry[:index], "=", entry[index + 1 :]
        index += 1
    return entry, "", ""


def lookup_parse(text: str) -> dict[str, str]:
    """`key=value` entries, one per line or separated by ';'; `*=value` is the default.

    A value may hold '=' (the first '=' of an entry ends its key); `\\;` writes a ';' into a key or value,
    `\\=` an '=' into a key, `\\\\` a backslash."""
    table: dict[str, str] = {}
    seen: dict[str, str] = {}
    for raw in _lookup_entries(text or ""):
        entry = raw.strip()
        if not entry:
            continue
        key, sep, value = _split_entry(entry)
        key = _unescaped(key.strip())
        if not sep or not key:
            raise SyntaxProblem(
                f"'{entry}' is not a lookup entry: write key=value, entries separated by ';' or new lines, "
                "e.g. SE=Sweden; NO=Norway; *=Other (write \\; for a ';' inside a key or value)."
            )
        if key.casefold() in seen:
            raise SyntaxProblem(f"the key '{key}' is given twice ('{seen[key.casefold()]}' and '{entry}').")
        seen[key.casefold()] = entry
        table[key] = _unescaped(value.strip())
    if not table:
        raise SyntaxProblem("the lookup table is empty: write key=value entries, e.g. SE=Sweden; *=Other.")
    return table


def template_parse(text: str) -> list[tuple[str, str]]:
    """[(literal text, source path or '')]: `{path}` places a field, `{{` and `}}` write braces."""
    parts: list[tuple[str, str]] = []
    literal = []
    index = 0
    text = text or ""
    while index < len(text):
        char = text[index]
        if text.startswith("{{", index) or text.startswith("}}", index):
            literal.append(char)
            index += 2
            continue
        if char == "}":
            raise SyntaxProblem(
                f"the template has a '}}' without its '{{' at character {index + 1}; write }}}} for a brace."
            )
        if char == "{":
            end = text.find("}", index)
            if end < 0:
                raise SyntaxProblem(f"the '{{' at character {index + 1} is not closed with '}}'.")
            path = text[index + 1 : end].strip()
            try:
                path_check(path, what="field in the template", prefixes=True)
            except SyntaxProblem as exc:
                raise SyntaxProblem(f"{{{text[index + 1 : end]}}}: {exc}") from None
            parts.append(("".join(literal), path))
            literal = []
            index = end + 1
            continue
        literal.append(char)
        index += 1
    parts.append(("".join(literal), ""))
    if not any(path for _, path in parts):
        raise SyntaxProblem(
            "the template names no field: put source paths in braces, e.g. {billing.first_name} {billing.last_name} "
            "(a text without fields is a constant)."
        )
    return parts


def date_format_check(text: str) -> None:
    directives = re.findall(r"%(.)", text or "")
    if not directives:
        raise SyntaxProblem(
            f"'{text}' has no date directive: write a strftime format, e.g. %Y-%m-%d or %d.%m.%Y (YYYY is not read)."
        )
    unknown = sorted({d for d in directives if d not in DATE_DIRECTIVES})
    if unknown or text.rstrip().endswith("%") and not text.rstrip().endswith("%%"):
        shown = ", ".join(f"%{d}" for d in unknown) or "a lone %"
        raise SyntaxProblem(f"{shown} is not a date directive; use e.g. %Y year, %m month, %d day, %H:%M time.")
    datetime(2026, 11, 30, 12, 0).strftime(text)


def length_parse(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SyntaxProblem(
            f"'{text}' is not a length: give a whole number of characters, e.g. 30 (blank: the spec's)."
        )
    return int(text)


def rule_problems(*, transform: str, source_path: str, target_path: str, argument: str, condition: str) -> dict:
    """{field: sentence} for every part of the rule that is written wrongly (empty when it is fine)."""
    problems: dict[str, str] = {}

    def check(field: str, call, *args, **kwargs):
        try:
            call(*args, **kwargs)
        except SyntaxProblem as exc:
            problems.setdefault(field, _capital(str(exc)))

    check("target_path", path_check, target_path, what="target path")
    if transform not in TRANSFORMS:
        problems["transform"] = f"Unknown transform '{transform}': use one of {', '.join(TRANSFORMS)}."
        return problems
    if source_path.strip():
        if transform in (CONSTANT, CONCAT):
            problems["source_path"] = f"{TRANSFORMS[transform]} reads no source path: leave it empty."
        else:
            check("source_path", path_check, source_path, what="source path", prefixes=True)
    elif transform == COPY:
        problems["source_path"] = "Copy needs a source path, e.g. customer_email or billing.company."
    if transform == LOOKUP:
        check("argument", lookup_parse, argument)
    elif transform == CONCAT:
        check("argument", template_parse, argument)
    elif transform == DATE:
        check("argument", date_format_check, argument)
    elif transform == TRUNCATE:
        check("argument", length_parse, argument)
    if condition.strip():
        check("condition", condition_parse, condition)
    if "target_path" not in problems:
        allowed = stars(target_path)
        used = [source_path] if transform in READS_SOURCE else []
        if transform == CONCAT and "argument" not in problems:
            used += [path for _, path in template_parse(argument) if path]
        if condition.strip() and "condition" not in problems:
            used.append(condition_parse(condition).path)
        for path in used:
            if path.strip() and stars(path) > allowed:
                problems.setdefault(
                    "source_path",
                    f"{path} has more * than the target path {target_path}: a * in a source path follows the "
                    "target's element, so the target needs one too (or pick an element: lines.0.sku).",
                )
    return problems


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
