"""Sentences for a file read with the wrong settings: which columns are missing, which delimiter or decimal
separator the file seems to use, and where in the format to change it. Nothing is read at a guessed setting:
the user chooses."""

from __future__ import annotations

from sync.models import PayoutFormat

from .amounts import amount_parse


def missing_columns(fmt: PayoutFormat, missing: list[str]) -> str:
    return f"missing column(s) {', '.join(missing)} (format “{fmt.name}”)"


_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def delimiter_hint(fmt: PayoutFormat, headers: list[str], delimiter: str) -> str:
    """When the header reads as one column holding another separator: which one the file seems to use."""
    cells = [h for h in headers if h]
    if len(cells) != 1:
        return ""
    counts = {d: cells[0].count(d) for d in _DELIMITER_NAMES if d != delimiter}
    found = max(counts, key=counts.get)
    if not counts[found]:
        return ""
    return (
        f"the file looks {_DELIMITER_NAMES[found]}-separated (its header reads as one column) but format "
        f"“{fmt.name}” expects {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}: change the format's delimiter "
        f"(Payout formats › {fmt.name} › Delimiter) or save the file {_DELIMITER_NAMES.get(delimiter)}-separated"
    )


def separator_hint(fmt: PayoutFormat, bad_amounts: list[str]) -> str:
    """One sentence when every refused amount reads with the other decimal separator (a file of decimal commas
    under a format of decimal points, or the reverse): which format setting to change. Nothing is read at that
    separator here; the user chooses."""
    other = "," if fmt.decimal_separator == "." else "."
    if not bad_amounts or any(amount_parse(v, decimal_separator=other) is None for v in bad_amounts):
        return ""
    return (
        f"The amounts use the decimal separator '{other}' (e.g. '{bad_amounts[0]}'), but format “{fmt.name}” reads "
        f"'{fmt.decimal_separator}': choose a format whose decimal separator is '{other}', or change it under "
        f"Payout formats › {fmt.name} › Decimal separator"
    )
