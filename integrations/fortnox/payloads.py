"""Neutral drafts → Fortnox request bodies, Fortnox answers → neutral records. Pure: no I/O.

FortnoxErp (adapter.py) is the only caller. Bodies are the spec's envelopes ({"Customer": {...}},
{"Invoice": {...}}, {"InvoicePayment": {...}}) with plain JSON numbers (Decimal → float only for
values with at most two decimals, so nothing is lost).

Rules (issue 16; api-notes § A4, § A5):
- Customers: Type COMPANY for a company, else PRIVATE; VATType from where the sale is taxed, for a
  Swedish Fortnox company: SE → SEVAT, an EU country with a reverse-charge (B2B) sale → EUREVERSEDVAT,
  another EU country → EUVAT, elsewhere EXPORT.
- Invoice rows: Price with two decimals and DeliveredQuantity with two decimals, so that Fortnox
  books exactly the draft line's amount: when amount / quantity has more than two decimals the row
  is sent as quantity 1 at the line's amount ("3 × …" in its text). VAT is the line's rate (a whole
  percent: other rates are a problem, see limits.py), AccountNumber the line's account (per country
  from the tax-zone mapping). Shipping is a row of its own, so its VAT follows its rate exactly.
- ExternalInvoiceReference1 is the shop's order number (Koppla's reference); a credit invoice made by
  Koppla carries "R<refund id>" in ExternalInvoiceReference2 and the original in CreditInvoiceReference.
"""

from __future__ import annotations

from decimal import Decimal

from mappings.countries import EU_VAT_AREA_GOODS
from sync.drafts import CreditNoteDraft, CustomerDraft, DraftLine, Figures, InvoiceDraft, TaxDetail
from sync.erp import ErpCustomer, ErpDocument

from .vat import CENT, VAT_CATEGORIES, row_net, vat_by_rate

HOME = "SE"  # Fortnox keeps Swedish companies' books
ZERO = Decimal("0")
ROW_TEXT = 255  # spec: row Description


def number(value: Decimal) -> float | int:
    """A Decimal of at most two decimals as a JSON number."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value.quantize(CENT))


def two_places(value: Decimal) -> bool:
    return Decimal(value) == Decimal(value).quantize(CENT)


def vat_type(customer: CustomerDraft) -> str:
    country = customer.country.upper()
    if country == HOME:
        return "SEVAT"
    if country in EU_VAT_AREA_GOODS:
        return "EUREVERSEDVAT" if customer.customer_type == "B2B" and customer.vat_number else "EUVAT"
    return "EXPORT"


def customer_body(customer: CustomerDraft) -> dict:
    address = customer.address
    country = (address.country or customer.country).upper()
    fields = {
        "Name": customer.name,
        "Type": "COMPANY" if customer.is_company else "PRIVATE",
        "VATType": vat_type(customer),
        "Email": customer.email,
        "Address1": address.address1,
        "Address2": address.address2,
        "ZipCode": address.zip_code,
        "City": address.city,
        "CountryCode": "GB" if country == "XI" else country,
        "Currency": customer.currency,
        "VATNumber": customer.vat_number,
        "Phone1": address.phone,
        "TermsOfPayment": customer.credit_terms,
        "YourReference": address.person_name if customer.is_company else "",
    }
    return {"Customer": {key: value for key, value in fields.items() if value}}


def row(line: DraftLine, *, sign: int = 1) -> dict:
    """An invoice row booking exactly `line.amount` (× sign) at the line's rate on the line's account."""
    amount = line.amount * sign
    quantity = line.quantity or Decimal(1)
    text = line.description
    price = amount / quantity if quantity else amount
    if not (two_places(quantity) and two_places(price) and row_net(price, quantity) == amount):
        text, price, quantity = f"{line.quantity.normalize():f} × {text}", amount, Decimal(1)
        quantity = Decimal(1)
    body = {
        "Description": text[:ROW_TEXT],
        "DeliveredQuantity": f"{quantity.quantize(CENT)}",
        "Price": number(price),
        "VAT": int(line.rate) if line.rate == line.rate.to_integral_value() else number(line.rate),
        "AccountNumber": int(line.account) if line.account.isdigit() else line.account,
    }
    if line.inventory_number:
        body["ArticleNumber"] = line.inventory_number
    return body


def invoice_body(draft: InvoiceDraft, *, customer_number: str) -> dict:
    remarks = "\n".join(text for text in (draft.text, draft.note) if text)
    fields = {
        "CustomerNumber": customer_number,
        "InvoiceDate": draft.document_date,
        "Currency": draft.currency,
        "ExternalInvoiceReference1": draft.order_number,
        "YourOrderNumber": draft.order_number[:75],
        "TermsOfPayment": draft.credit_terms,
        "Remarks": remarks,
        "VATIncluded": False,
        "InvoiceRows": [row(line) for line in draft.lines],
    }
    return {"Invoice": {key: value for key, value in fields.items() if value not in ("", None)}}


def credit_reference(refund_id: str) -> str:
    """What a credit invoice carries in ExternalInvoiceReference2: the refund it credits."""
    return f"R{refund_id}"


def credit_invoice_body(draft: CreditNoteDraft) -> dict:
    """A credit invoice for a partial (or second) refund: the refunded rows negated, referencing the original."""
    fields = {
        "CustomerNumber": draft.customer_number,
        "InvoiceDate": draft.document_date,
        "Currency": draft.currency,
        "ExternalInvoiceReference1": draft.order_number,
        "ExternalInvoiceReference2": credit_reference(draft.refund_id),
        "CreditInvoiceReference": draft.invoice_number,
        "Remarks": draft.text,
        "VATIncluded": False,
        "InvoiceRows": [row(line, sign=-1) for line in draft.lines],
    }
    return {"Invoice": {key: value for key, value in fields.items() if value not in ("", None)}}


# --------------------------------------------------------------------------- the invariant
def booked_vat(body: dict) -> dict[Decimal, Decimal]:
    """VAT per rate Fortnox books for an invoice body (vat.py ROUNDING)."""
    rows = body["Invoice"].get("InvoiceRows") or []
    return vat_by_rate(
        (row_net(Decimal(str(r["Price"])), Decimal(r["DeliveredQuantity"])), Decimal(str(r["VAT"]))) for r in rows
    )


def drafted_vat(lines: tuple[DraftLine, ...], tax: tuple[TaxDetail, ...]) -> dict[Decimal, Decimal]:
    """The draft's VAT per rate (its tax details, grouped by the rate of their category's lines)."""
    rate_of = {line.vat_category: line.rate.normalize() for line in lines}
    result: dict[Decimal, Decimal] = {}
    for detail in tax:
        rate = rate_of.get(detail.vat_category, ZERO)
        result[rate] = result.get(rate, ZERO) + detail.vat
    return {rate: vat for rate, vat in result.items() if vat or rate in {r for r in rate_of.values()}}


# --------------------------------------------------------------------------- records
def customer_from_fortnox(node: dict) -> ErpCustomer:
    return ErpCustomer(
        number=str(node.get("CustomerNumber") or ""),
        name=str(node.get("Name") or ""),
        email=str(node.get("Email") or ""),
    )


def flag(value) -> bool:
    """Fortnox's booleans, also when sent as text ("Credit": "false")."""
    return value is True or str(value).strip().lower() == "true"


def amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return abs(Decimal(str(value))).quantize(CENT)


def status_of(node: dict) -> str:
    if flag(node.get("Cancelled")):
        return "Cancelled"
    if not flag(node.get("Booked")):
        return "Not booked"
    return "Paid" if node.get("FinalPayDate") or amount(node.get("Balance")) == 0 else "Booked"


def category_of(rate: Decimal) -> str:
    """The VAT category of a row read back: the first of VAT_CATEGORIES at that rate (Fortnox keeps only the rate)."""
    rate = Decimal(rate).normalize()
    return next((c.id for c in VAT_CATEGORIES if c.rates and c.rates[-1][1].normalize() == rate), f"{rate:f}")


def figures_read(node: dict) -> Figures:
    """What an invoice or credit invoice booked: rows in order (positive amounts), VAT per rate."""
    lines = []
    for r in node.get("InvoiceRows") or []:
        if not r.get("Price") and not r.get("DeliveredQuantity") and not r.get("AccountNumber"):
            continue  # a text row
        rate = Decimal(str(r.get("VAT") or 0))
        quantity = Decimal(str(r.get("DeliveredQuantity") or 0))
        net = abs(row_net(Decimal(str(r.get("Price") or 0)), quantity))
        lines.append(
            DraftLine(
                description=str(r.get("Description") or ""),
                quantity=abs(quantity),
                unit_price=abs(Decimal(str(r.get("Price") or 0))),
                amount=net,
                vat_category=category_of(rate),
                account=str(r.get("AccountNumber") or ""),
                inventory_number=str(r.get("ArticleNumber") or ""),
                rate=rate,
            )
        )
    vat = vat_by_rate((line.amount, line.rate) for line in lines)
    tax = tuple(
        TaxDetail(category_of(rate), sum((x.amount for x in lines if x.rate.normalize() == rate), ZERO), value)
        for rate, value in vat.items()
    )
    gross = sum((x.amount for x in lines), ZERO) + sum(vat.values(), ZERO)
    return Figures(tuple(lines), tax, gross)


def document_from_fortnox(kind: str, node: dict, *, figures: bool = False) -> ErpDocument:
    """An invoice or credit invoice as Fortnox holds it (amounts positive, `total` without RoundOff)."""
    status = status_of(node)
    booked, cancelled = flag(node.get("Booked")), flag(node.get("Cancelled"))
    balance = amount(node.get("Balance"))
    total = amount(node.get("Total"))
    round_off = amount(node.get("RoundOff")) or ZERO
    if total is not None and round_off and node.get("Net") is not None:
        total = amount(Decimal(str(node["Net"])) + Decimal(str(node.get("TotalVAT") or 0)))
    return ErpDocument(
        kind=kind,
        number=str(node.get("DocumentNumber") or ""),
        status=status,
        released=booked and not cancelled,
        customer_number=str(node.get("CustomerNumber") or ""),
        currency=str(node.get("Currency") or ""),
        total=total,
        balance=balance if balance is not None else ZERO,
        order_number=str(node.get("ExternalInvoiceReference1") or ""),
        date=str(node.get("InvoiceDate") or "")[:10],
        vat_zone="",
        figures=figures_read(node) if figures else None,
        updated_at=str(node.get("LastUpdated") or node.get("@LastUpdated") or ""),
        voided=cancelled,
        settled=booked and not cancelled and balance == 0,
        awaiting_release=not booked and not cancelled,
    )
