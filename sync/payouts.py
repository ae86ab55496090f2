"""PSP settlement (payout) files: presets, parsing, import (all rows or none) and the report."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from config.errors import ApplicationError
from config.storable import storable_text
from mappings.selectors import currency_decimals

from .models import ExternalRef, Integration, Payout, PayoutFormat, PayoutLine
from .vat import unit

PRESETS: dict[str, dict] = {
    PayoutFormat.Preset.GENERIC: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d",
        "col_type": "type",
        "col_order": "order_number",
        "col_psp_reference": "psp_reference",
        "col_gross": "gross",
        "col_fee": "fee",
        "col_currency": "currency",
        "col_date": "date",
        "col_payout": "payout",
        "type_payment": "payment",
        "type_refund": "refund",
        "type_fee": "fee",
        "type_payout": "payout",
    },
    PayoutFormat.Preset.ADYEN: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "col_type": "Type",
        "col_order": "Merchant Reference",
        "col_psp_reference": "Psp Reference",
        "col_gross": "Gross Credit (GC)",
        "col_gross_debit": "Gross Debit (GC)",
        "col_fee": "Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC)",
        "col_currency": "Gross Currency",
        "col_date": "Creation Date",
        "col_payout": "Batch Number",
        "type_payment": "Settled",
        "type_refund": "Refunded",
        "type_fee": "Fee,MiscCosts",
        "type_payout": "MerchantPayout",
    },
    PayoutFormat.Preset.KLARNA: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d",
        "col_type": "type",
        "col_order": "merchant_reference1",
        "col_psp_reference": "order_id",
        "col_gross": "amount",
        "col_fee": "",
        "col_currency": "currency_code",
        "col_date": "capture_date",
        "col_payout": "payment_reference",
        "type_payment": "SALE",
        "type_refund": "RETURN",
        "type_fee": "FEE",
        "type_payout": "",
    },
    PayoutFormat.Preset.STRIPE: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "col_type": "Type",
        "col_order": "order_number (metadata)",
        "col_psp_reference": "Source",
        "col_gross": "Amount",
        "col_fee": "Fee",
        "col_currency": "Currency",
        "col_date": "Created (UTC)",
        "col_payout": "Transfer",
        "type_payment": "charge,payment",
        "type_refund": "refund,payment_refund",
        "type_fee": "stripe_fee",
        "type_payout": "payout",
    },
}


def payout_format_from_preset(*, name: str, preset: str) -> PayoutFormat:
    return PayoutFormat.objects.create(name=name, preset=preset, **PRESETS[preset])


class PayoutFileError(ApplicationError):
    """The file cannot be imported; `problems` lists every reason with its row number."""

    def __init__(self, problems: list[str]):
        super().__init__("The payout file was not imported: " + "; ".join(problems[:20]))
        self.problems = problems


def _values(text: str) -> set[str]:
    return {v.strip().lower() for v in text.split(",") if v.strip()}


@dataclass
class ParsedLine:
    line_no: int
    kind: str
    order_number: str
    psp_reference: str
    gross: Decimal
    fee: Decimal
    currency: str
    booked_on: date | None
    payout_ref: str
    message: str = ""


def _amount(fmt: PayoutFormat, text: str) -> Decimal:
    raw = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        return Decimal("0")
    if fmt.decimal_separator == ",":
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount") from None


def payout_file_parse(*, fmt: PayoutFormat, content: str) -> list[ParsedLine]:
    """Read a settlement CSV with the format's columns; raise PayoutFileError listing every bad row."""
    delimiter = "\t" if fmt.delimiter in ("\\t", "tab") else fmt.delimiter
    # A NUL or a lone surrogate in an uploaded file could not be stored: drop them before reading.
    reader = csv.DictReader(io.StringIO(storable_text(content).lstrip("\ufeff")), delimiter=delimiter)
    headers = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = headers
    fee_columns = [c.strip() for c in fmt.col_fee.split(",") if c.strip()]
    needed = [
        fmt.col_order,
        fmt.col_gross,
        fmt.col_type,
        fmt.col_currency,
        fmt.col_gross_debit,
        fmt.col_date,
        fmt.col_payout,
    ]
    needed += fee_columns + [fmt.col_psp_reference]
    missing = [c for c in needed if c and c not in headers]
    if missing:
        raise PayoutFileError([f"missing column(s) {', '.join(missing)} (format “{fmt.name}”)"])
    kinds = {
        PayoutLine.Kind.PAYMENT: _values(fmt.type_payment),
        PayoutLine.Kind.REFUND: _values(fmt.type_refund),
        PayoutLine.Kind.FEE: _values(fmt.type_fee),
        PayoutLine.Kind.PAYOUT: _values(fmt.type_payout),
    }
    problems: list[str] = []
    lines: list[ParsedLine] = []
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        if not any((v or "").strip() for v in row.values()):
            continue
        try:
            type_value = (row.get(fmt.col_type) or "").strip() if fmt.col_type else "payment"
            kind = next((k for k, values in kinds.items() if type_value.lower() in values), PayoutLine.Kind.OTHER)
            gross = _amount(fmt, row.get(fmt.col_gross, ""))
            if fmt.col_gross_debit:
                gross -= _amount(fmt, row.get(fmt.col_gross_debit, ""))
            fee = sum((_amount(fmt, row.get(c, "")) for c in fee_columns), Decimal("0"))
            if fmt.fees_negative:
                fee = -fee
            if kind == PayoutLine.Kind.FEE and not fee_columns:
                fee, gross = abs(gross), Decimal("0")
            booked_on = None
            if fmt.col_date and (row.get(fmt.col_date) or "").strip():
                try:
                    booked_on = datetime.strptime(row[fmt.col_date].strip(), fmt.date_format).date()
                except ValueError:
                    raise ValueError(f"date '{row[fmt.col_date]}' does not match {fmt.date_format}") from None
            order_number = (row.get(fmt.col_order) or "").strip()
            if kind in (PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND) and not order_number:
                raise ValueError(f"a {kind} line needs an order number in '{fmt.col_order}'")
            lines.append(
                ParsedLine(
                    line_no=number,
                    kind=kind,
                    order_number=order_number,
                    psp_reference=(row.get(fmt.col_psp_reference) or "").strip() if fmt.col_psp_reference else "",
                    gross=abs(gross),
                    fee=fee,
                    currency=((row.get(fmt.col_currency) or "").strip().upper() if fmt.col_currency else ""),
                    booked_on=booked_on,
                    payout_ref=(row.get(fmt.col_payout) or "").strip() if fmt.col_payout else "",
                    message=""
                    if kind != PayoutLine.Kind.OTHER
                    else f"type '{type_value}' is not configured in the format",
                )
            )
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
    currencies = {line.currency for line in lines if line.currency}
    if len(currencies) > 1:
        problems.append(f"one payout has one currency, the file has {', '.join(sorted(currencies))}")
    refs = {line.payout_ref for line in lines if line.payout_ref}
    if len(refs) > 1:
        problems.append(f"the file holds several payouts ({', '.join(sorted(refs))}): import them one file each")
    if not lines and not problems:
        problems.append("the file has no rows")
    if problems:
        raise PayoutFileError(problems)
    return lines


@transaction.atomic
def payout_import(
    *,
    integration: Integration,
    fmt: PayoutFormat,
    content: str,
    file_name: str = "",
    reference: str = "",
    bank_amount: Decimal | None = None,
) -> Payout:
    """Import one settlement file (all rows or none). Fee-only lines of an order are folded into its payment."""
    lines = payout_file_parse(fmt=fmt, content=content)
    reference = reference or next((line.payout_ref for line in lines if line.payout_ref), "") or file_name
    if not reference:
        raise PayoutFileError(["no payout reference: enter it, or give the file a payout column"])
    if Payout.objects.filter(integration=integration, format=fmt, reference=reference).exists():
        raise PayoutFileError([f"payout {reference} was already imported"])
    transfer = [line for line in lines if line.kind == PayoutLine.Kind.PAYOUT]
    if bank_amount is None and transfer:
        bank_amount = sum((line.gross for line in transfer), Decimal("0"))
    if bank_amount is None:
        raise PayoutFileError(["the file has no bank transfer line: enter the amount that reached the bank"])
    currency = next((line.currency for line in lines if line.currency), "")
    if not currency:
        raise PayoutFileError(["no currency in the file"])

    # An order's fee written on its own line belongs to that order's payment.
    payments = {line.order_number: line for line in lines if line.kind == PayoutLine.Kind.PAYMENT}
    kept = []
    for line in lines:
        if line.kind == PayoutLine.Kind.FEE and line.order_number in payments:
            payments[line.order_number].fee += line.fee
        else:
            kept.append(line)

    payout = Payout.objects.create(
        integration=integration,
        format=fmt,
        reference=reference[:100],
        currency=currency,
        bank_amount=bank_amount,
        paid_out_on=max((line.booked_on for line in lines if line.booked_on), default=None),
        file_name=file_name[:200],
    )
    PayoutLine.objects.bulk_create(
        [
            PayoutLine(
                payout=payout,
                line_no=line.line_no,
                kind=line.kind,
                order_number=line.order_number[:100],
                psp_reference=line.psp_reference[:100],
                gross=line.gross,
                fee=line.fee,
                currency=line.currency or currency,
                booked_on=line.booked_on,
                status=(
                    PayoutLine.Status.PENDING
                    if line.kind in (PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND)
                    else PayoutLine.Status.INFO
                ),
                message=line.message,
            )
            for line in kept
        ]
    )
    return payout


@dataclass(frozen=True)
class PayoutReport:
    payments: Decimal
    refunds: Decimal
    fees: Decimal
    net: Decimal
    bank_amount: Decimal | None
    difference: Decimal | None
    counts: dict

    @property
    def balances(self) -> bool:
        return self.difference == Decimal("0.00")

    @property
    def booked(self) -> int:
        return self.counts.get(PayoutLine.Status.BOOKED, 0)

    @property
    def unmatched(self) -> int:
        return self.counts.get(PayoutLine.Status.UNMATCHED, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(PayoutLine.Status.FAILED, 0)

    @property
    def waiting(self) -> int:
        return self.counts.get(PayoutLine.Status.PENDING, 0)


def payout_report(*, payout: Payout) -> PayoutReport:
    """Gross, refunds, fees and net paid out, and whether the net equals the bank amount to the currency's
    smallest unit (the currency's decimals: Mappings › Currencies, else ISO 4217)."""
    lines = payout.lines.all()

    def total(kind=None, field="gross"):
        queryset = lines.filter(kind=kind) if kind else lines
        return queryset.aggregate(s=Sum(field))["s"] or Decimal("0")

    payments = total(PayoutLine.Kind.PAYMENT)
    refunds = total(PayoutLine.Kind.REFUND)
    fees = total(field="fee")
    step = unit(currency_decimals(integration=payout.integration, currency=payout.currency))
    net = (payments - refunds - fees).quantize(step, rounding=ROUND_HALF_UP)
    difference = (
        None if payout.bank_amount is None else (net - payout.bank_amount).quantize(step, rounding=ROUND_HALF_UP)
    )
    counts = dict(lines.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return PayoutReport(
        payments=payments,
        refunds=refunds,
        fees=fees,
        net=net,
        bank_amount=payout.bank_amount,
        difference=difference,
        counts=counts,
    )


# --------------------------------------------------------------------------- booking state
def payout_line_mark(*, line: PayoutLine, status: str, message: str, target_id: str | None = None) -> PayoutLine:
    """Record what booking a line did (status, ERP payment number, a message for the operator)."""
    line.status = status
    line.message = storable_text(message)
    fields = ["status", "message", "updated_at"]
    if target_id is not None:
        line.target_id = target_id[:100]
        fields.append("target_id")
    line.save(update_fields=fields)
    return line


def payout_status_refresh(*, payout: Payout) -> Payout:
    """Booked when every payment and refund line is booked, partly booked when some are."""
    lines = payout.lines.filter(kind__in=[PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND])
    total = lines.count()
    booked = lines.filter(status=PayoutLine.Status.BOOKED).count()
    if total and booked == total:
        status = Payout.Status.BOOKED
    elif booked:
        status = Payout.Status.PARTIAL
    else:
        status = Payout.Status.IMPORTED
    if payout.status != status:
        payout.status = status
        payout.save(update_fields=["status", "updated_at"])
    return payout


# --------------------------------------------------------------------------- demo file
CENT = Decimal("0.01")
DEMO_FEE_RATE = Decimal("0.015")
DEMO_FEE_FIXED = Decimal("0.25")
# Columns a real Adyen settlement details report has besides the ones the preset reads.
_ADYEN_EXTRA = ["Company Account", "Merchant Account", "Payment Method", "TimeZone", "Net Currency", "Net Credit (NC)"]


def demo_fee(gross: Decimal) -> Decimal:
    """The demo provider's price: 1.5 % + 0.25 per capture, rounded to the cent."""
    return (gross * DEMO_FEE_RATE + DEMO_FEE_FIXED).quantize(CENT, rounding=ROUND_HALF_UP)


def _order_key(source_id: str) -> tuple:
    return (0, int(source_id), "") if source_id.isdigit() else (1, 0, source_id)


def _first(values: str) -> str:
    return next((v.strip() for v in values.split(",") if v.strip()), "")


def payout_csv_demo(
    *,
    integration: Integration,
    format_preset: str = "adyen",
    limit: int = 40,
    reference: str = "",
    client=None,
) -> str:
    """A settlement file of the demo payment provider for the integration's invoices, in a preset's columns.

    One capture per invoice bound to an order (the first `limit` orders by
    number, in the currency most of them use; gross = the invoice's total in
    the ERP, fee = 1.5 % + 0.25), one refund of an open credit note when the
    integration has one, one capture of an order that has no invoice (to show
    an unmatched line) and the bank transfer of the net. Presets without a
    transfer type (Klarna) get no transfer line: give the bank amount on import.
    """
    from integrations.clients import client_for

    if format_preset not in PRESETS:
        raise ApplicationError(f"Unknown payout format '{format_preset}': use one of {', '.join(PRESETS)}.")
    preset = PRESETS[format_preset]
    client = client or client_for(integration.erp)
    invoices = sorted(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.INVOICE),
        key=lambda ref: _order_key(ref.source_id),
    )[:limit]
    if not invoices:
        raise ApplicationError(f"{integration} has no invoices bound to orders yet: run the orders flow first.")
    captures = []
    for ref in invoices:
        invoice = client.invoice_get(ref.target_id)
        currency = invoice.get("currencyId") or ref.data.get("currency") or ""
        captures.append((ref.source_id, Decimal(str(invoice.get("amount") or 0)), currency))
    currency = Counter(c for _, _, c in captures).most_common(1)[0][0]
    captures = [(order, gross, c) for order, gross, c in captures if c == currency and gross > 0]

    refund = None
    for ref in sorted(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.CREDIT_NOTE),
        key=lambda r: _order_key(r.source_id),
    ):
        note = client.credit_note_get(ref.target_id)
        balance = Decimal(str(note.get("balance") or 0))
        if note.get("currencyId") == currency and note.get("status") == "Open" and balance > 0:
            refund = (str(ref.data.get("order_number") or ""), balance)
            break

    numeric = [int(order) for order, _, _ in captures if order.isdigit()]
    unmatched_order = str(max(numeric, default=0) + 1000)
    reference = reference or f"DEMO-{timezone.now():%Y%m%d-%H%M%S}"
    when = timezone.localtime().strftime(preset["date_format"])

    rows: list[dict] = []  # role, order, gross, fee
    for order, gross, _ in captures:
        rows.append({"role": "payment", "order": order, "gross": gross, "fee": demo_fee(gross)})
    unmatched_gross = Decimal("499.00")
    rows.append(
        {"role": "payment", "order": unmatched_order, "gross": unmatched_gross, "fee": demo_fee(unmatched_gross)}
    )
    if refund and refund[0]:
        rows.append({"role": "refund", "order": refund[0], "gross": refund[1], "fee": Decimal("0")})
    net = sum((r["gross"] - r["fee"] if r["role"] == "payment" else -r["gross"] - r["fee"] for r in rows), Decimal("0"))
    if preset["type_payout"]:
        rows.append({"role": "payout", "order": "", "gross": net, "fee": Decimal("0")})

    fee_columns = [c.strip() for c in preset["col_fee"].split(",") if c.strip()]
    columns = [
        preset["col_type"],
        preset["col_psp_reference"],
        preset["col_order"],
        preset["col_date"],
        preset["col_currency"],
        preset["col_gross"],
        preset.get("col_gross_debit", ""),
        *fee_columns,
        preset["col_payout"],
    ]
    if format_preset == PayoutFormat.Preset.ADYEN:
        columns = _ADYEN_EXTRA[:2] + columns + _ADYEN_EXTRA[2:]
    columns = [c for c in columns if c]
    types = {
        "payment": _first(preset["type_payment"]),
        "refund": _first(preset["type_refund"]),
        "payout": _first(preset["type_payout"]),
        "fee": _first(preset["type_fee"]),
    }
    signed = format_preset != PayoutFormat.Preset.GENERIC  # providers write outgoing money as negative

    def money(value: Decimal) -> str:
        return f"{value:.2f}"

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=preset["delimiter"], lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        role, gross, fee = row["role"], row["gross"], row["fee"]
        values = {
            preset["col_type"]: types[role],
            preset["col_order"]: row["order"],
            preset["col_currency"]: currency,
            preset["col_date"]: when,
            preset["col_payout"]: reference,
        }
        if preset["col_psp_reference"]:
            values[preset["col_psp_reference"]] = (
                hashlib.sha256(f"{reference}:{number}".encode()).hexdigest()[:16].upper() if row["order"] else ""
            )
        outgoing = role in ("refund", "payout")
        if preset.get("col_gross_debit"):
            values[preset["col_gross_debit" if outgoing else "col_gross"]] = money(gross)
        else:
            values[preset["col_gross"]] = money(-gross if outgoing and signed else gross)
        if fee_columns:
            values[fee_columns[0]] = money(fee) if fee else ""
        if format_preset == PayoutFormat.Preset.ADYEN:
            values.update(
                {
                    "Company Account": "KopplaDemo",
                    "Merchant Account": "KopplaDemoEU",
                    "Payment Method": ("visa", "mc", "amex")[number % 3] if row["order"] else "",
                    "TimeZone": "CET",
                    "Net Currency": currency,
                    "Net Credit (NC)": money(gross - fee) if role == "payment" else "",
                }
            )
        writer.writerow(values)
        if fee and not fee_columns and types["fee"]:  # fees on rows of their own (Klarna)
            writer.writerow(
                {
                    preset["col_type"]: types["fee"],
                    preset["col_order"]: row["order"],
                    preset["col_currency"]: currency,
                    preset["col_date"]: when,
                    preset["col_payout"]: reference,
                    preset["col_gross"]: money(-fee if signed else fee),
                }
            )
    return out.getvalue()
