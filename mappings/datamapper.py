"""The datamapper: field rules that reshape a body after the built-in mapping. Pure: no I/O, no database.

`rules_apply(rules, body=..., source=...)` returns a new body (the input is never changed) and the names of
the rules that changed something; a rule that cannot apply to the record raises FieldRuleError naming the
rule, so the record fails and nothing is sent. Rules run in their order: a later rule sees what an earlier
one wrote.

Paths (README "Field rules (datamapper)"): dotted names; a number picks an element of a list, `*` every
element. A target path names a field of the body the adapter sends (`invoiceLines.*.description.value`); a
source path names a field of the record the flow is processing (`billing.company`, `lines.0.sku`), of the
raw record as the shop sent it (`raw.…`), of the body itself (`body.…`), or, left empty, the target's own
value. With `*` in the target, a `*` in a source path follows the target's element (line 2 reads line 2).

Transforms: copy, constant, lookup (`SE=Sweden; NO=Norway; *=Elsewhere`), concat (`{billing.first_name}
{billing.last_name}`), upper, lower, truncate (to `length`), date (strftime format, e.g. `%d.%m.%Y`),
default (the argument when the value is empty). Condition: `<source path> <op> [value]`, op one of
= != contains empty notempty; text compares ignore upper/lower case, numbers compare as numbers.

Money stays Decimal: a Decimal written over a JSON number becomes a number only when a double carries it
exactly (else FieldRuleError); over text, or into a text field, it is written as plain digits ("19.90").
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.text_length import text_cut

from .datamapper_syntax import (
    COPY,
    DATE,
    DEFAULT,
    LOOKUP,
    TRUNCATE,
    Condition,
    SyntaxProblem,
    condition_parse,
    lookup_parse,
    path_segments,
    template_parse,
)
from .datamapper_values import FieldRuleError, body_value, empty, text_of


@dataclass(frozen=True)
class Rule:
    """One field rule as the engine applies it (mappings.models.FieldRule.as_rule builds it).

    `length`: what truncate cuts to (its argument, else the target's length in the ERP's spec);
    `target_type`: the spec's JSON type of the target ("string", "number", "integer", "boolean", "" unknown);
    `problem`: set when the rule may not apply at all; every record it meets then fails with it.
    """

    name: str
    target_path: str
    transform: str = COPY
    source_path: str = ""
    argument: str = ""
    condition: str = ""
    length: int | None = None
    target_type: str = ""
    problem: str = ""  # why the rule may not apply at all (e.g. it targets the field Koppla finds the record by)


MISSING = object()


def rules_apply(rules: Iterable[Rule], *, body: dict, source: object) -> tuple[dict, list[str]]:
    """(new body, names of the rules that changed it). `body` is not changed; FieldRuleError when a rule cannot apply."""
    new = copy.deepcopy(body)
    applied: list[str] = []
    for rule in rules:
        try:
            changed = _rule_apply(rule, new, source)
        except SyntaxProblem as exc:  # a rule saved around its checks (e.g. edited in the database)
            raise FieldRuleError(f"{rule.name}: {exc} Correct the rule.") from None
        if changed:
            applied.append(rule.name)
    return new, applied


# --------------------------------------------------------------------------- one rule
def _rule_apply(rule: Rule, body: dict, source: object) -> bool:
    if rule.problem:
        raise FieldRuleError(f"{rule.name}: {rule.problem}")
    condition = condition_parse(rule.condition) if rule.condition.strip() else None
    changed = False
    for container, keys, stars in _targets(rule, body):
        current = _get(container, keys)
        if condition is not None and not _holds(condition, rule, body, source, stars, _or_none(current)):
            continue
        value = _transformed(rule, body, source, stars, _or_none(current))
        if value is MISSING:
            continue
        value = body_value(value, _or_none(current), rule)
        if current is MISSING or current != value or type(current) is not type(value):
            _set(container, keys, value)
            changed = True
    return changed


def _or_none(value: Any) -> Any:
    return None if value is MISSING else value


def _get(container, keys: list) -> Any:
    """The value at `keys` under `container` (MISSING when a field on the way is absent)."""
    node = container
    for key in keys:
        if isinstance(node, dict):
            if key not in node:
                return MISSING
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return MISSING
    return node


def _set(container, keys: list, value: Any) -> None:
    """Write `value` at `keys`, making the objects on the way that the body lacks."""
    node = container
    for key in keys[:-1]:
        if isinstance(node, dict) and not isinstance(node.get(key), (dict, list)):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def _targets(rule: Rule, body: dict) -> list[tuple[Any, list, tuple[int, ...]]]:
    """(container, keys from it to the field, the indexes `*` took) of every place the target path names.

    Objects the body lacks on the way are written only when the rule writes (see _set)."""
    segments = path_segments(rule.target_path)
    found: list[tuple[Any, list, tuple[int, ...]]] = []

    def walk(node, position: int, stars: tuple[int, ...], where: str):
        segment = segments[position]
        last = position == len(segments) - 1
        here = f"{where}.{segment}" if where else segment
        if segment == "*" or segment.isdigit():
            if not isinstance(node, list):
                raise FieldRuleError(
                    f"{rule.name}: {where or 'the body'} is not a list in this body, so {here} names nothing."
                )
            indexes = range(len(node)) if segment == "*" else [int(segment)]
            for index in indexes:
                if index >= len(node):
                    raise FieldRuleError(
                        f"{rule.name}: {where} has {len(node)} element(s) in this body, so {here} names nothing."
                    )
                step = (*stars, index) if segment == "*" else stars
                if last:
                    found.append((node, [index], step))
                else:
                    walk(node[index], position + 1, step, here)
            return
        if not isinstance(node, dict):
            raise FieldRuleError(
                f"{rule.name}: {where or 'the body'} holds a value, not fields, so {here} names nothing."
            )
        if last:
            found.append((node, [segment], stars))
            return
        child = node.get(segment)
        if child is None:
            rest = segments[position + 1 :]
            if any(part == "*" or part.isdigit() for part in rest):
                return  # no such list in this body: nothing to change
            found.append((node, [segment, *rest], stars))  # made when the rule writes
            return
        walk(child, position + 1, stars, here)

    walk(body, 0, (), "")
    return found


# --------------------------------------------------------------------------- reading values
def source_value(path: str, *, rule: Rule, body: dict, source: object, stars: tuple[int, ...], current: Any) -> Any:
    """The value `path` names for one target (None when a field is empty or missing)."""
    if not path.strip():
        return None if current is MISSING else current
    segments = path_segments(path)
    root: Any = source
    where = ""
    if segments[0] == "body":
        root, segments, where = body, segments[1:], "body"
    elif segments[0] == "raw":
        root = getattr(source, "raw", None)
        if not isinstance(root, Mapping) or not root:
            raise FieldRuleError(
                f"{rule.name}: this record carries no raw source record, so {path} cannot be read; "
                "use a field of the record instead (without raw.)."
            )
        segments, where = segments[1:], "raw"
    pending = list(stars)
    node = root
    for segment in segments:
        here = f"{where}.{segment}" if where else segment
        if node is None:
            return None
        if segment == "*":
            if not pending:
                raise FieldRuleError(f"{rule.name}: {path} has more * than the target path {rule.target_path}.")
            segment = str(pending.pop(0))
        node = _step(node, segment, rule, here)
        where = here
    return node


def _step(node: Any, segment: str, rule: Rule, where: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(segment)
    if isinstance(node, (list, tuple)):
        if not segment.isdigit():
            raise FieldRuleError(
                f"{rule.name}: {where.rpartition('.')[0]} is a list: write a number or * before {segment}."
            )
        index = int(segment)
        return node[index] if index < len(node) else None
    if segment.isdigit() or segment.startswith("_") or not hasattr(node, segment):
        raise FieldRuleError(
            f"{rule.name}: the record's {where.rpartition('.')[0] or 'top level'} has no field '{segment}'"
            f"{_known_fields(node)}."
        )
    value = getattr(node, segment)
    if callable(value):
        raise FieldRuleError(f"{rule.name}: {where} is not a field of the record.")
    return value


def _known_fields(node: Any) -> str:
    if is_dataclass(node):
        names = [f.name for f in fields(node)]
        return f" (its fields: {', '.join(names)})"
    return ""


# --------------------------------------------------------------------------- conditions and transforms
def _holds(condition: Condition, rule: Rule, body: dict, source: object, stars, current) -> bool:
    value = source_value(condition.path, rule=rule, body=body, source=source, stars=stars, current=current)
    if condition.op == "empty":
        return empty(value)
    if condition.op == "notempty":
        return not empty(value)
    text = text_of(value, rule=rule, what=condition.path)
    if condition.op == "contains":
        return condition.value.casefold() in text.casefold()
    same = _same(text, condition.value)
    return same if condition.op == "=" else not same


def _same(left: str, right: str) -> bool:
    try:
        return Decimal(left.strip()) == Decimal(right.strip())
    except (InvalidOperation, ValueError):
        return left.strip().casefold() == right.strip().casefold()


def _transformed(rule: Rule, body: dict, source: object, stars, current) -> Any:
    transform = rule.transform
    if transform == "constant":
        return rule.argument
    if transform == "concat":
        parts = []
        for literal, path in template_parse(rule.argument):
            parts.append(literal)
            if path:
                value = source_value(path, rule=rule, body=body, source=source, stars=stars, current=current)
                parts.append(text_of(value, rule=rule, what=path))
        return re.sub(r" {2,}", " ", "".join(parts)).strip()
    value = source_value(rule.source_path, rule=rule, body=body, source=source, stars=stars, current=current)
    what = rule.source_path or rule.target_path
    if transform == COPY:
        return value
    if transform == DEFAULT:
        return rule.argument if empty(value) else value
    if transform == "upper":
        return text_of(value, rule=rule, what=what).upper()
    if transform == "lower":
        return text_of(value, rule=rule, what=what).lower()
    if transform == TRUNCATE:
        if rule.length is None:
            raise FieldRuleError(
                f"{rule.name}: truncate needs a length and the spec gives none: give it as the argument."
            )
        if _is_number(value) or _is_number(current) or rule.target_type in ("number", "integer"):
            raise FieldRuleError(
                f"{rule.name}: truncate cuts text and {what} is a number, so cutting its digits would change the "
                "amount: truncate a text field, or leave the number as it is."
            )
        return text_cut(text_of(value, rule=rule, what=what), rule.length)
    if transform == LOOKUP:
        return _looked_up(rule, text_of(value, rule=rule, what=what))
    if transform == DATE:
        return _date_formatted(rule, value, what)
    raise FieldRuleError(f"{rule.name}: unknown transform '{transform}'.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _looked_up(rule: Rule, key: str) -> str:
    table = lookup_parse(rule.argument)
    if key in table:
        return table[key]
    folded = {k.casefold(): v for k, v in table.items()}
    if key.casefold() in folded:
        return folded[key.casefold()]
    if "*" in table:
        return table["*"]
    raise FieldRuleError(
        f"{rule.name}: the lookup table has no entry for '{key}' and no default: add a line {key}=… "
        "(or *=… for every other value) to the rule's argument."
    )


def _date_formatted(rule: Rule, value: Any, what: str) -> Any:
    if empty(value):
        return MISSING  # nothing to format: the field keeps what it has
    if isinstance(value, (datetime, date)):
        moment = value
    else:
        text = text_of(value, rule=rule, what=what).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FieldRuleError(
                f"{rule.name}: '{text}' in {what} is not a date (ISO 8601, e.g. 2026-11-30 or 2026-11-30T12:00:00Z)."
            ) from None
    return moment.strftime(rule.argument)
