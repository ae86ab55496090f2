"""What a document booked, line by line and per VAT category, as stored on its binding. Pure.

An invoice's binding keeps its figures (`figures_data`), and so does each credit note's, so a credit
note can reverse exactly what was invoiced and not yet credited (`figures_left`), whatever the
mapping says today. Shape of the stored data (amounts as text, in the document's currency):

    {"lines": [{"key": "line:2001", "description": "...", "quantity": "2", "amount": "83.33",
                "gross": "99.99", "rate": "20", "vat_category": "OSS-AT", "account": "3106",
                "inventory_number": "1001-BLK-M"}, ...],
     "tax": [{"vat_category": "OSS-AT", "taxable": "87.45", "vat": "17.49"}],
     "gross": "104.94"}
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from sync.drafts import DraftLine, Figures, TaxDetail
from sync.money import money_text

ZERO = Decimal("0")


def figures_data(lines: tuple[DraftLine, ...], tax: tuple[TaxDetail, ...], gross: Decimal) -> dict:
    return {
        "lines": [
            {
                "key": line.key,
                "description": line.description,
                "quantity": str(line.quantity),
                "amount": str(line.amount),
                "gross": str(line.gross),
                "rate": str(line.rate),
                "vat_category": line.vat_category,
                "account": line.account,
                "inventory_number": line.inventory_number,
            }
            for line in lines
        ],
        "tax": [{"vat_category": t.vat_category, "taxable": str(t.taxable), "vat": str(t.vat)} for t in tax],
        "gross": str(gross),
    }


def figures_from(data: dict | None) -> Figures | None:
    """The figures stored on a binding's data, or None when there are none (or they cannot be read)."""
    data = data or {}
    stored = data.get("figures")
    try:
        if not stored:
            return Figures((), (), Decimal(str(data["total"]))) if data.get("total") else None
        lines = tuple(
            DraftLine(
                description=row["description"],
                quantity=Decimal(row["quantity"]),
                unit_price=ZERO,
                amount=Decimal(row["amount"]),
                vat_category=row["vat_category"],
                account=row["account"],
                inventory_number=row.get("inventory_number", ""),
                key=row["key"],
                gross=Decimal(row["gross"]),
                rate=Decimal(row["rate"]),
            )
            for row in stored["lines"]
        )
        tax = tuple(
            TaxDetail(row["vat_category"], Decimal(row["taxable"]), Decimal(row["vat"])) for row in stored["tax"]
        )
        return Figures(lines, tax, Decimal(stored["gross"]))
    except (KeyError, TypeError, InvalidOperation):
        return None


def figures_left(invoiced: Figures, credited: list[Figures]) -> Figures:
    """What of `invoiced` no credit note has reversed yet: per line key and per VAT category.

    A credited line the invoice did not have (a "Refund adjustment": a restocking fee kept, a voucher's
    share) is left with the opposite sign, so the credit note of the rest reverses it and invoice and
    credit notes still net to zero on every account."""
    lines = {line.key: line for line in invoiced.lines}
    tax = {t.vat_category: t for t in invoiced.tax}
    gross = invoiced.gross
    for note in credited:
        gross -= note.gross
        for line in note.lines:
            base = lines.get(line.key)
            if base is None:  # a line the invoice did not have (a refund adjustment): the rest takes it back
                base = replace(line, quantity=ZERO, amount=ZERO, gross=ZERO)
            lines[line.key] = replace(
                base,
                quantity=base.quantity - line.quantity,
                amount=base.amount - line.amount,
                gross=base.gross - line.gross,
            )
        for t in note.tax:
            base = tax.get(t.vat_category)
            if base is not None:
                tax[t.vat_category] = TaxDetail(t.vat_category, base.taxable - t.taxable, base.vat - t.vat)
    return Figures(tuple(lines.values()), tuple(tax.values()), gross)


def document_totals_text(draft, *, also: str = "") -> str:
    """An invoice's or credit note's totals as its record log shows them, every amount with its currency:
    "net 100.00 SEK + VAT 25.00 SEK = 125.00 SEK (VAT per category: 1: 100.00 SEK + VAT 25.00 SEK)".

    `draft` is an InvoiceDraft or CreditNoteDraft (net_total, vat_total, gross_total, currency, tax_details);
    `also` is added inside the parentheses ("; reverses all that was left of the invoice")."""

    def money(value: Decimal) -> str:
        return money_text(value, draft.currency)

    per_category = "; ".join(f"{t.vat_category}: {money(t.taxable)} + VAT {money(t.vat)}" for t in draft.tax_details)
    return (
        f"net {money(draft.net_total)} + VAT {money(draft.vat_total)} = {money(draft.gross_total)} "
        f"(VAT per category: {per_category}{'; ' + also if also else ''})"
    )
