"""Checks of a settlement file beyond its amounts: a header naming a column twice, a quote left open, a row
repeated, a currency that is not ISO 4217, a value longer than the payout's field holds, an id with an invisible
character inside or rewritten by Excel in scientific notation; and what the import form's typed payout id and
bank amount must agree with.

Each returns the problem as one sentence naming the row (the file's line number) and column, or '' when
there is none; `payout_file_parse` (files.py) collects them so that every problem of a file is listed.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from mappings.countries import CURRENCIES, currency_minor_unit
from mappings.file_problems import excel_scientific_problem, invisible_inside, invisible_strip, text_shown
from mappings.selectors import currency_decimals
from sync.models import Payout, PayoutFormat, PayoutLine
from sync.money import money_text

from .amounts import digits_beyond, total_limit_problem


def header_key(name: str) -> str:
    """A header as Koppla matches it: without a byte order mark, surrounding spaces or invisible characters
    (mappings.file_problems.invisible_strip), letter case ignored."""
    return invisible_strip(name.replace("\ufeff", "")).casefold()


def repeated_header_problems(fmt: PayoutFormat, headers: list[str], read: list[str], *, row: int) -> list[str]:
    """A column the format reads that the header names twice or more (letter case ignored): which of the two
    holds the value cannot be told, so the file is refused. Columns the format does not read may repeat."""
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(headers, start=1):
        positions.setdefault(header_key(name), []).append(number)
    problems = []
    for column in dict.fromkeys(c for c in read if c):
        found = positions.get(header_key(column), [])
        if len(found) > 1:
            problems.append(
                f"Row {row}: the header names column {column} {len(found)} times (columns "
                f"{', '.join(map(str, found))}): Koppla cannot tell which one format “{fmt.name}” should read; "
                "remove or rename the extra one(s)"
            )
    return problems


def open_quote_problem(
    fmt: PayoutFormat, *, start: int, end: int, headers: list[str], record: list[str], read: set[str]
) -> str:
    """A record read over several lines because a quote opened in one of its values was not closed on its row.

    A value with a line break is accepted only in a column the format does not read, and only when it holds no
    delimiter (a note written over two lines); otherwise the quote swallowed the rows after it."""
    if end <= start:
        return ""
    delimiter = "\t" if fmt.delimiter in ("\\t", "tab") else fmt.delimiter
    for index, value in enumerate(record):
        if "\n" not in value and "\r" not in value:
            continue
        column = headers[index] if index < len(headers) else f"number {index + 1}"
        if column in read or delimiter in value or index >= len(headers):
            return (
                f'Row {start}, column {column}: a quote (") opens in this value and is not closed on its row, so '
                f"rows {start} to {end} were read as one value; close the quote or remove it"
            )
    return ""


def unreadable_row_problem(start: int, error: Exception) -> str:
    """A row Python's csv module refuses. A quote left open that runs past csv's field size limit (a large file)
    is named as the quote it is; anything else keeps the module's words."""
    if "field larger than field limit" in str(error):
        return (
            f'Row {start}: a quote (") opens in this row and is not closed, so the rest of the file was read as one '
            "value; close the quote or remove it"
        )
    return f"Row {start}: not readable as CSV ({error})"


class RepeatedRows:
    """Rows identical in every column (surrounding spaces ignored): an export that wrote a row twice. Each
    repeat is refused naming both rows; a provider's two real entries differ at least in their reference."""

    def __init__(self):
        self.seen: dict[tuple[str, ...], int] = {}

    def problem(self, number: int, record: list[str]) -> str:
        cells = [cell.strip() for cell in record]
        while cells and not cells[-1]:
            cells.pop()
        first = self.seen.setdefault(tuple(cells), number)
        if first == number:
            return ""
        return (
            f"Row {number} repeats row {first} exactly (the same value in every column): it would be counted twice; "
            "remove the repeated row"
        )


def currency_problem(number: int, column: str, code: str) -> str:
    """'' for a blank code or an ISO 4217 code (mappings.countries.CURRENCIES); else the sentence naming it."""
    if not code or code.upper() in CURRENCIES:
        return ""
    return (
        f"Row {number}, column {column} (value '{code}'): not an ISO 4217 currency code (three letters, such as "
        "EUR, SEK, USD)"
    )


_LENGTHS = {  # (format field naming the column, what the value is, the model field that stores it)
    "col_payout": ("payout id", Payout._meta.get_field("reference")),
    "col_merchant_account": ("merchant account", Payout._meta.get_field("merchant_account")),
    "col_order": ("order number", PayoutLine._meta.get_field("order_number")),
    "col_psp_reference": ("PSP reference", PayoutLine._meta.get_field("psp_reference")),
}


def length_problems(fmt: PayoutFormat, number: int, values: dict[str, str]) -> list[str]:
    """Values longer than the field that stores them (`values`: format field → the row's text): refused rather
    than cut, since a cut id would name another payout or order."""
    problems = []
    for name, (what, model_field) in _LENGTHS.items():
        value = values.get(name, "")
        if len(value) > model_field.max_length:
            shown = value[:40] + "…"
            problems.append(
                f"Row {number}, column {getattr(fmt, name)} (value '{shown}', {len(value)} characters): a {what} "
                f"holds at most {model_field.max_length} characters"
            )
    return problems


def id_problems(fmt: PayoutFormat, number: int, values: dict[str, str]) -> list[str]:
    """Ids that are not the id they look like (`values`: format field → the row's text, its ends already without
    spaces and invisible characters): an invisible character inside (a zero-width space pasted from a web page
    would make 'PO-1' another payout), or a number Excel rewrote in scientific notation ('1.11111E+15')."""
    problems = []
    for name in _LENGTHS:
        value = values.get(name, "")
        problem = invisible_inside(value) or excel_scientific_problem(value)
        if value and problem:
            problems.append(f"Row {number}, column {getattr(fmt, name)} (value '{text_shown(value)}'): {problem}")
    return problems


def typed_reference_problem(reference: str) -> str:
    """The payout id typed on the import form (its ends already without invisible characters), held to the same
    limit as the file's and refused with an invisible character inside or in Excel's scientific notation."""
    limit = Payout._meta.get_field("reference").max_length
    if len(reference) > limit:
        return f"the payout id you entered is {len(reference)} characters long: a payout id holds at most {limit}"
    if problem := invisible_inside(reference) or excel_scientific_problem(reference):
        return f"the payout id you entered ('{text_shown(reference)}'): {problem}"
    return ""


def typed_bank_amount_problem(*, integration, typed: Decimal, currency: str, transfer: list, column: str) -> str:
    """Why the bank amount typed on the import form cannot be the payout's, or ''.

    Refused: finer than the currency's decimals (the integration's Mappings › Currencies decimals where it maps
    the currency, else ISO 4217's minor unit: 1000.40 JPY, 10000.40 HUF booked in whole forints), since no
    bank can have received it; and different from the sum of the file's bank transfer rows (`transfer`, parsed
    lines of kind payout), as a typed payout id that is not the file's is. Equal to the file's: accepted.
    """
    places = currency_decimals(integration=integration, currency=currency)
    if digits_beyond(typed, places):
        unit = f"{currency} has {places} decimal{'s' if places != 1 else ''}"
        source = "ISO 4217 minor unit" if places == currency_minor_unit(currency) else "Mappings › Currencies"
        return (
            f"the bank amount you entered ({typed}) is finer than the currency: {unit} ({source}), so the bank "
            "cannot have received it; correct it or leave it blank"
        )
    if not transfer:
        return ""
    in_file = sum((line.gross for line in transfer), Decimal("0"))
    if typed == in_file:
        return ""
    rows = ", ".join(str(line.line_no) for line in transfer)
    return (
        f"the bank amount you entered ({money_text(typed, currency, places)}) is not the file's: its bank transfer "
        f"row(s) {rows} (column {column or 'type'}) say {money_text(in_file, currency, places)} reached the bank; "
        "leave the bank amount blank, the file's is used, or correct it"
    )


def draft_limit_problems(draft, label: str) -> list[str]:
    """A payout's totals that a stored amount cannot hold: its bank amount (the sum of its transfer rows), the
    fees one payment writes off for the others, a payment's fee with its own fee rows folded in."""
    problems = [
        problem
        for what, amount in (("the bank amount", draft.bank_amount), ("the fees carried by one payment", draft.carried))
        if (problem := total_limit_problem(amount, what=what))
    ]
    problems += [
        f"Row {line.line_no}: {problem}"
        for line in draft.lines
        if (problem := total_limit_problem(line.fee, what="the fees with the order's fee rows"))
    ]
    return [f"payout {label}: {problem}" for problem in problems]


class AlreadyImported(str):
    """The problem "Payout 42 (KopplaEU) was already imported on ...": one sentence naming the payout once; the
    import page links the name (`label`) to the payout's page (`payout_pk`)."""

    def __new__(cls, existing: Payout, label: str):
        file = f"file {existing.file_name}" if existing.file_name else "a file without a name"
        after = (
            f" was already imported on {timezone.localtime(existing.created_at):%Y-%m-%d} from {file} with the format "
            f"{existing.format.name}: open it to book or check its lines."
        )
        problem = super().__new__(cls, f"Payout {label}{after}")
        problem.before, problem.label, problem.after, problem.payout_pk = "Payout ", label, after, existing.pk
        return problem
