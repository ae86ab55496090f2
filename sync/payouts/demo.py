"""The demo payment provider's settlement file (sandbox installs): built from the integration's invoices."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from config.errors import ApplicationError
from integrations.adapters import erp_for
from sync.erp import CREDIT_NOTE, INVOICE
from sync.models import ExternalRef, Integration, PayoutFormat

from .files import PRESETS

CENT = Decimal("0.01")
DEMO_FEE_RATE = Decimal("0.015")
DEMO_FEE_FIXED = Decimal("0.25")
# Columns a real Adyen settlement details report has besides the ones the preset reads.
_ADYEN_EXTRA = ["Company Account", "Payment Method", "TimeZone"]  # first, then after the reference columns
DEMO_MERCHANT_ACCOUNT = {"adyen": "KopplaDemoEU", "klarna": "K000123"}


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
    erp=None,
) -> str:
    """A settlement file of the demo payment provider for the integration's invoices, in a preset's columns.

    One capture per open invoice bound to an order (of the first `limit` orders by number, in the
    currency most of them use; gross = what is still open on the invoice in the ERP, fee = 1.5 % +
    0.25), one refund of an open credit note when the integration has one, one capture of an order that
    has no invoice (to show an unmatched line) and the bank transfer of the net. Presets without a
    transfer type (Klarna) get no transfer line: give the bank amount on import. The ERP is read through
    its port (`erp`, default erp_for(integration)), so every ERP gives a file; a document no longer in
    the ERP is left out. ApplicationError when there is nothing open to capture.
    """
    if format_preset not in PRESETS:
        raise ApplicationError(f"Unknown payout format '{format_preset}': use one of {', '.join(PRESETS)}.")
    preset = PRESETS[format_preset]
    erp = erp or erp_for(integration)
    invoices = sorted(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.INVOICE),
        key=lambda ref: _order_key(ref.source_id),
    )[:limit]
    if not invoices:
        raise ApplicationError(f"{integration} has no invoices bound to orders yet: run the orders flow first.")
    captures = []
    for ref in invoices:
        invoice = erp.document_get(INVOICE, ref.target_id)
        if invoice is None or invoice.voided or not invoice.balance or invoice.balance <= 0:
            continue  # gone, voided or paid: nothing for a provider to capture
        captures.append((ref.source_id, invoice.balance, invoice.currency or ref.data.get("currency") or ""))
    if not captures:
        raise ApplicationError(
            f"{integration}'s invoices in {erp.display_name} are all paid: export new orders, then download again."
        )
    currency = Counter(c for _, _, c in captures).most_common(1)[0][0]
    captures = [(order, gross, c) for order, gross, c in captures if c == currency]

    refund = None
    for ref in sorted(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.CREDIT_NOTE),
        key=lambda r: _order_key(r.source_id),
    ):
        note = erp.document_get(CREDIT_NOTE, ref.target_id)
        if note is None or note.currency != currency or not note.released or note.voided or note.settled:
            continue
        if note.balance and note.balance > 0:
            refund = (str(ref.data.get("order_number") or note.order_number or ""), note.balance)
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
        preset["col_merchant_account"],
        preset["col_type"],
        preset["col_psp_reference"],
        preset["col_order"],
        preset["col_date"],
        preset["col_currency"],
        preset["col_gross"],
        preset.get("col_gross_debit", ""),
        *fee_columns,
        preset["col_net_currency"],
        preset["col_net"],
        preset["col_net_debit"],
        preset["col_payout"],
    ]
    if format_preset == PayoutFormat.Preset.ADYEN:
        columns = _ADYEN_EXTRA[:1] + columns[:1] + columns[1:] + _ADYEN_EXTRA[1:]
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
        if preset["col_merchant_account"]:
            values[preset["col_merchant_account"]] = DEMO_MERCHANT_ACCOUNT.get(format_preset, "demo")
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
        if preset["col_net_currency"]:
            values[preset["col_net_currency"]] = currency
        if preset["col_net"]:
            net = (-gross if outgoing else gross) - (fee if fee_columns else Decimal("0"))
            if preset["col_net_debit"]:
                values[preset["col_net_debit" if net < 0 else "col_net"]] = money(abs(net))
            else:
                values[preset["col_net"]] = money(net)
        if format_preset == PayoutFormat.Preset.ADYEN:
            values.update(
                {
                    "Company Account": "KopplaDemo",
                    "Payment Method": ("visa", "mc", "amex")[number % 3] if row["order"] else "",
                    "TimeZone": "CET",
                }
            )
        writer.writerow(values)
        if fee and not fee_columns and types["fee"]:  # fees on rows of their own (Klarna)
            writer.writerow(
                {
                    **(
                        {preset["col_merchant_account"]: DEMO_MERCHANT_ACCOUNT.get(format_preset, "demo")}
                        if preset["col_merchant_account"]
                        else {}
                    ),
                    preset["col_type"]: types["fee"],
                    preset["col_order"]: row["order"],
                    preset["col_currency"]: currency,
                    preset["col_date"]: when,
                    preset["col_payout"]: reference,
                    preset["col_gross"]: money(-fee if signed else fee),
                }
            )
    return out.getvalue()
