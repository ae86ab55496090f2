"""Reading PSP settlement (payout) files: format presets, strict amounts, row kinds, totals rows.

`payout_file_parse` reads a file with a `PayoutFormat` and either returns every row it
counts (plus the rows it skipped, with the reason) or raises `PayoutFileError` listing
every problem with its row number: nothing is half read.

Row numbers are the file's lines, as a text editor numbers them (the header is usually row 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from config.errors import ApplicationError
from config.storable import storable_text
from mappings.file_problems import invisible_strip, text_shown
from sync.models import PayoutFormat, PayoutLine
from sync.money import money_text

from .amounts import MAX_DECIMALS, amount_limit_problem, amount_parse, total_limit_problem  # noqa: F401
from .checks import (
    RepeatedRows,
    currency_problem,
    header_key,
    id_problems,
    length_problems,
    open_quote_problem,
    repeated_header_problems,
    unreadable_row_problem,
)
from .hints import delimiter_hint, missing_columns, separator_hint
from .presets import (  # noqa: F401
    KIND_FIELDS,
    PRESETS,
    SIGNS,
    TOTALS_TYPES,
    payout_format_from_preset,
    payout_provider,
)


class PayoutFileError(ApplicationError):
    """The file cannot be imported; `problems` lists every reason with its row number."""

    def __init__(self, problems: list[str]):
        super().__init__("The payout file was not imported: " + "; ".join(problems[:20]))
        self.problems = problems


def _values(text: str) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def _columns(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


# --------------------------------------------------------------------------- rows
@dataclass
class ParsedLine:
    line_no: int
    kind: str
    type_value: str
    order_number: str
    psp_reference: str
    merchant_account: str
    gross: Decimal  # positive; signed for adjustments (positive = paid to the merchant) and bank transfers
    fee: Decimal  # positive: what the provider kept
    currency: str
    booked_on: date | None
    payout_ref: str
    message: str = ""


@dataclass
class ParsedFile:
    lines: list[ParsedLine]
    skipped: list[str] = field(default_factory=list)  # "Row 7 ('Total'): a totals row, not counted"


class _RowError(ValueError):
    pass


class _Row:
    """One CSV record read through the format; amounts strictly, errors as sentences naming row and column."""

    def __init__(self, fmt: PayoutFormat, number: int, row: dict, bad_amounts: list[str] | None = None):
        self.fmt, self.number, self.row = fmt, number, row
        self.bad_amounts = bad_amounts if bad_amounts is not None else []

    def text(self, column: str) -> str:
        """The column's text without spaces and invisible characters at its ends ('PO-1\u200b' → 'PO-1')."""
        return invisible_strip(self.row.get(column) or "") if column else ""

    def amount(self, column: str, *, currency: str = "") -> Decimal:
        """The column's amount, exact: _RowError when it is not an amount, has more decimals than `currency`'s
        minor unit or more digits than a payout stores."""
        if not column:
            return Decimal("0")
        value = invisible_strip(self.row.get(column) or "")
        amount = amount_parse(value, decimal_separator=self.fmt.decimal_separator, max_decimals=None)
        if amount is None:
            self.bad_amounts.append(value)
            raise _RowError(
                f"Row {self.number}, column {column} (value '{text_shown(value)}'): not an amount for this format "
                f"(decimal separator '{self.fmt.decimal_separator}')"
            )
        limit = amount_limit_problem(amount, currency=currency)
        if limit:
            raise _RowError(f"Row {self.number}, column {column} (value '{text_shown(value)}'): {limit}")
        return amount

    def has_amount(self, *columns: str) -> bool:
        return any(self.text(c) for c in columns if c)


def _known_types(fmt: PayoutFormat) -> str:
    parts = []
    for kind, name in KIND_FIELDS.items():
        values = _values(getattr(fmt, name))
        if values:
            parts.append(f"{PayoutLine.Kind(kind).label.lower()}: {', '.join(values)}")
    return "; ".join(parts)


def _kind_of(fmt: PayoutFormat, type_value: str) -> str | None:
    lowered = type_value.lower()
    for kind, name in KIND_FIELDS.items():
        if lowered in {v.lower() for v in _values(getattr(fmt, name))}:
            return kind
    return None


def _sign_problem(fmt: PayoutFormat, row: _Row, kind: str, expected: int, has_gross: bool) -> str:
    credit, debit = (fmt.col_gross, fmt.col_gross_debit) if has_gross else (fmt.col_net, fmt.col_net_debit)
    label = PayoutLine.Kind(kind).label.lower()
    column = debit if debit and row.text(debit) else credit
    text = f"Row {row.number}, column {column} (value '{row.text(column)}'): a {label} must be "
    if debit:
        return (
            text
            + f"{'a credit' if expected > 0 else 'a debit'} (column {credit if expected > 0 else debit}) "
            + (f"in format “{fmt.name}”")
        )
    return text + f"{'positive' if expected > 0 else 'negative'} in this format (“{fmt.name}”)"


_TEXT_FIELDS = ("col_payout", "col_merchant_account", "col_order", "col_psp_reference")


def _fee_sign_problems(fmt: PayoutFormat, row: _Row, values: dict[str, Decimal], fee_columns: list[str]) -> list[str]:
    """Generic formats (Koppla's columns): a fee is a cost the provider kept, written positive (negative when
    the format says fees are written negative); the other sign would add the fee to the payout."""
    if fmt.preset != PayoutFormat.Preset.GENERIC:
        return []
    problems = []
    for column in fee_columns:
        value = values.get(column)
        if value is not None and (value < 0 if not fmt.fees_negative else value > 0):
            written = "negative numbers" if fmt.fees_negative else "positive numbers"
            problems.append(
                f"Row {row.number}, column {column} (value '{row.text(column)}'): fees are costs the provider kept, "
                f"written as {written} in format “{fmt.name}”; a fee the provider paid back is an adjustment row"
            )
    return problems


def _read_row(fmt: PayoutFormat, row: _Row, fee_columns: list[str]) -> ParsedLine | str:
    """A counted line, or the reason the row is skipped (a str); _RowError when it is refused."""
    amount_columns = [fmt.col_gross, fmt.col_gross_debit, fmt.col_net, fmt.col_net_debit, *fee_columns]
    type_value = row.text(fmt.col_type) if fmt.col_type else PayoutLine.Kind.PAYMENT
    order_number = row.text(fmt.col_order)
    kind = _kind_of(fmt, type_value) if fmt.col_type else PayoutLine.Kind.PAYMENT
    if kind is None:
        lowered = type_value.lower().rstrip(":")
        if lowered in TOTALS_TYPES or lowered.startswith("total"):
            return f"Row {row.number} ('{type_value}'): a totals row, not counted"
        if not type_value:
            if not order_number and not row.text(fmt.col_psp_reference):
                if row.has_amount(*amount_columns):
                    return f"Row {row.number}: amounts without a type or order (a totals row), not counted"
                return f"Row {row.number}: no type and no amount, not counted"
            raise _RowError(f"Row {row.number}, column {fmt.col_type}: no row type; known types: {_known_types(fmt)}")
        raise _RowError(
            f"Row {row.number}, column {fmt.col_type} (value '{type_value}'): not a row type of format "
            f"“{fmt.name}”; known types: {_known_types(fmt)}. Add it to the format's type values or remove the row"
        )

    # Read every amount and currency first so that all bad cells of the row are reported together.
    currency = row.text(fmt.col_currency).upper()
    net_currency = row.text(fmt.col_net_currency).upper()
    errors = [
        problem
        for column in (fmt.col_currency, fmt.col_net_currency)
        if (problem := currency_problem(row.number, column, row.text(column)))
    ]
    ids = {name: row.text(getattr(fmt, name)) for name in _TEXT_FIELDS}
    errors += length_problems(fmt, row.number, ids) + id_problems(fmt, row.number, ids)
    values = {}
    for column in dict.fromkeys(c for c in amount_columns if c):
        try:
            values[column] = row.amount(column, currency=net_currency or currency)
        except _RowError as exc:
            errors.append(str(exc))
    errors += _fee_sign_problems(fmt, row, values, fee_columns)
    if errors:
        raise _RowError("; ".join(errors))
    zero = Decimal("0")
    signed_gross = values.get(fmt.col_gross, zero) - values.get(fmt.col_gross_debit, zero)
    fee = sum((values[c] for c in fee_columns), zero)
    if fmt.fees_negative:
        fee = -fee
    has_gross = row.has_amount(fmt.col_gross, fmt.col_gross_debit)
    has_net = row.has_amount(fmt.col_net, fmt.col_net_debit)
    signed_net = values.get(fmt.col_net, zero) - values.get(fmt.col_net_debit, zero)

    expected = SIGNS.get(fmt.preset, SIGNS[PayoutFormat.Preset.GENERIC]).get(kind)
    # A row without a gross states its net and fees: its gross is net + fees (the net is gross − fees), for
    # payments, refunds, chargebacks and adjustments alike. A fee row's net is the fee itself; a bank transfer's
    # net is what reached the bank.
    if not has_gross and kind not in (PayoutLine.Kind.FEE, PayoutLine.Kind.PAYOUT):
        signed_gross = signed_net + fee
    signed = signed_gross if has_gross or kind not in (PayoutLine.Kind.FEE, PayoutLine.Kind.PAYOUT) else signed_net
    if kind == PayoutLine.Kind.PAYOUT:
        # The transfer's own sign is kept: against the convention it is money taken back from the bank
        # (a payout of more refunds than payments, a failed transfer returned), never read as paid.
        pass
    elif expected and signed and (signed > 0) != (expected > 0):
        raise _RowError(_sign_problem(fmt, row, kind, expected, has_gross))
    if currency and net_currency and currency != net_currency:
        raise _RowError(
            f"Row {row.number}: gross currency {currency} (column {fmt.col_currency}) differs from net currency "
            f"{net_currency} (column {fmt.col_net_currency}); Koppla books a payout in one currency and does not "
            f"convert between them, so this payout cannot be imported: book it by hand in the ERP in "
            f"{net_currency}, or ask the provider for a report settled in one currency"
        )
    if has_gross and has_net and signed_gross - fee != signed_net:
        raise _RowError(
            f"Row {row.number}: gross {money_text(signed_gross, currency)} − fees {money_text(fee, currency)} is "
            f"{money_text(signed_gross - fee, currency)}, but the file's net (column {fmt.col_net}) is "
            f"{money_text(signed_net, currency)}: the format reads this row wrongly (check its fee columns)"
        )

    if kind == PayoutLine.Kind.FEE:
        if not fee:
            fee = signed * expected
        gross = zero
    elif kind == PayoutLine.Kind.ADJUSTMENT:
        gross = signed_gross
    elif kind == PayoutLine.Kind.PAYOUT:
        gross = signed * expected  # what reached the bank: negative when the bank was debited
    else:
        gross = abs(signed_gross)
    if kind in (PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND, PayoutLine.Kind.CHARGEBACK) and not order_number:
        raise _RowError(
            f"Row {row.number}, column {fmt.col_order}: a {PayoutLine.Kind(kind).label.lower()} row needs an "
            "order number"
        )
    booked_on = None
    if fmt.col_date and row.text(fmt.col_date):
        try:
            booked_on = datetime.strptime(row.text(fmt.col_date), fmt.date_format).date()
        except ValueError:
            raise _RowError(
                f"Row {row.number}, column {fmt.col_date} (value '{row.text(fmt.col_date)}'): not a date in the "
                f"format's pattern {fmt.date_format}"
            ) from None
    too_large = [p for what, v in (("the gross", gross), ("the fees", fee)) if (p := total_limit_problem(v, what=what))]
    if too_large:
        raise _RowError(f"Row {row.number}: " + "; ".join(too_large))
    return ParsedLine(
        line_no=row.number,
        kind=kind,
        type_value=type_value,
        order_number=order_number,
        psp_reference=row.text(fmt.col_psp_reference),
        merchant_account=row.text(fmt.col_merchant_account),
        gross=gross,
        fee=fee,
        currency=net_currency or currency,
        booked_on=booked_on,
        payout_ref=row.text(fmt.col_payout),
    )


def payout_file_parse(*, fmt: PayoutFormat, content: str) -> ParsedFile:
    """Read a settlement CSV with the format's columns; raise PayoutFileError listing every bad row.

    Every row is counted as one of the format's kinds (payment, refund, chargeback, fee, adjustment,
    bank transfer), skipped as a totals/footer or empty row (listed in `skipped`), or refused with
    its row number, column and value. One refused row refuses the file.
    """
    delimiter = "\t" if fmt.delimiter in ("\\t", "tab") else fmt.delimiter
    # A NUL or a lone surrogate in an uploaded file could not be stored: drop them before reading.
    text = storable_text(content).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers: list[str] = []
    header_row = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            headers = [h.strip() for h in record]
            header_row = reader.line_num
            break
    fee_columns = _columns(fmt.col_fee)
    needed = [
        fmt.col_type,
        fmt.col_order,
        fmt.col_psp_reference,
        fmt.col_merchant_account,
        fmt.col_gross,
        fmt.col_gross_debit,
        fmt.col_net,
        fmt.col_net_debit,
        *fee_columns,
        fmt.col_currency,
        fmt.col_net_currency,
        fmt.col_date,
        fmt.col_payout,
    ]
    # Headers are matched ignoring letter case, surrounding spaces and a byte order mark: each is renamed to
    # the format's spelling of its column.
    spelled = {header_key(c): c for c in needed if c}
    headers = [spelled.get(header_key(h), h) for h in headers]
    missing = [c for c in dict.fromkeys(needed) if c and c not in headers]
    if missing:
        raise PayoutFileError([delimiter_hint(fmt, headers, delimiter) or missing_columns(fmt, missing)])
    problems: list[str] = repeated_header_problems(fmt, headers, needed, row=header_row)
    if problems:
        raise PayoutFileError(problems)
    bad_amounts: list[str] = []
    parsed = ParsedFile(lines=[])
    repeated = RepeatedRows()
    read = {c for c in needed if c}
    while True:
        number = reader.line_num + 1  # a record's row is the line it starts on
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(unreadable_row_problem(number, exc))
            break
        if not any(cell.strip() for cell in record):
            continue
        quote = open_quote_problem(fmt, start=number, end=reader.line_num, headers=headers, record=record, read=read)
        if quote:
            problems.append(quote)
            continue
        extra = [cell for cell in record[len(headers) :] if cell.strip()]
        if extra:
            problems.append(
                f"Row {number}: {len(record)} values but the header has {len(headers)} columns (an amount with a "
                f"decimal comma in a file separated by '{fmt.delimiter}'? quote it, or change the format's delimiter)"
            )
            continue
        row = _Row(fmt, number, dict(zip(headers, record[: len(headers)], strict=False)), bad_amounts)
        try:
            result = _read_row(fmt, row, fee_columns)
        except _RowError as exc:
            problems.append(str(exc))
            continue
        if isinstance(result, str):
            parsed.skipped.append(result)
        elif repeat := repeated.problem(number, record):
            problems.append(repeat)
        else:
            parsed.lines.append(result)
    if not parsed.lines and not problems:
        problems.append("the file has no rows")
    if problems:
        hint = separator_hint(fmt, bad_amounts)
        raise PayoutFileError([hint, *problems] if hint else problems)
    return parsed
