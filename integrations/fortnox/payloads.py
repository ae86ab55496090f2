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
- VAT as charged (vat.py ROUNDING): Fortnox computes a rate's VAT from the sum of its rows' nets, the
  shop charged the VAT of its lines, which may differ by a unit or so. Then two rows on the draft's
  rounding account carry it (vat_remainder_rows): +δ at that rate and −δ at 0 %, δ the fewest cents that
  make Fortnox's VAT at the rate the shop's. Total, VAT per rate and the sales accounts stay the shop's;
  the rounding account nets to zero. Without a rounding account the difference stays a problem (limits.py).
- ExternalInvoiceReference1 is the shop's order number (Koppla's reference); a credit invoice made by
  Koppla carries "R<refund id>" in ExternalInvoiceReference2 and the original in CreditInvoiceReference.
- Currency rate: a document in a currency other than SEK whose draft has the shop's rate carries it as
  CurrencyRate (a JSON number: the spec's type is number/double, not text) with CurrencyUnit 1 (SEK per 1
  unit); a SEK document, or one without a rate, carries neither and Fortnox applies its own rate of the day.
- Sales orders ({"Order": {...}}, POST /3/orders) carry the invoice's rows (`row`, plus OrderedQuantity =
  DeliveredQuantity) and its VAT remainder rows; OrderRow VAT is a double in the spec (InvoiceRow VAT an
  int32), so an order row may carry 25.5 %.
"""

from __future__ import annotations

from decimal import Decimal

from integrations.text_length import text_cut
from mappings.countries import EU_VAT_AREA_GOODS
from sync.drafts import CreditNoteDraft, CustomerDraft, DraftLine, Figures, InvoiceDraft, TaxDetail
from sync.erp import SALES_ORDER, ErpCustomer, ErpDocument

from .vat import CENT, VAT_CATEGORIES, round_half_up, row_net, vat_by_rate

HOME = "SE"  # Fortnox keeps Swedish companies' books
ZERO = Decimal("0")
ROW_TEXT = 255  # spec: row Description
REMAINDER_TEXT = "Rounding (VAT as charged)"
REMAINDER_STEPS = 2_000  # δ is looked for up to this many cents either way


def number(value: Decimal) -> float | int:
    """A Decimal of at most two decimals as a JSON number."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value.quantize(CENT))


def currency_rate_fields(currency: str, rate: Decimal | None) -> dict:
    """{"CurrencyRate": SEK per 1 unit of `currency`, "CurrencyUnit": 1} for a foreign-currency document with a
    rate; {} for SEK or without a rate. The rate goes as a double: shops state theirs as one (Centra's Float),
    so nothing the shop stated is lost."""
    if rate is None or currency.upper() == "SEK":
        return {}
    rate = Decimal(rate)
    return {"CurrencyRate": int(rate) if rate == rate.to_integral_value() else float(rate), "CurrencyUnit": 1}


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
        "Description": text_cut(text, ROW_TEXT),
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
        **currency_rate_fields(draft.currency, draft.currency_rate),
        "ExternalInvoiceReference1": draft.order_number,
        "YourOrderNumber": draft.order_number[:75],
        "TermsOfPayment": draft.credit_terms,
        "Remarks": remarks,
        "VATIncluded": False,
        "InvoiceRows": with_vat_remainder([row(line) for line in draft.lines], draft, sign=1),
    }
    return {"Invoice": {key: value for key, value in fields.items() if value not in ("", None)}}


def order_body(draft: InvoiceDraft, *, customer_number: str) -> dict:
    """The sales order of a draft: the invoice's fields and rows (OrderDate, OrderRows ordered as delivered:
    Fortnox totals a row's DeliveredQuantity)."""
    fields = {
        "OrderDate" if key == "InvoiceDate" else key: value
        for key, value in invoice_body(draft, customer_number=customer_number)["Invoice"].items()
        if key != "InvoiceRows"
    }
    rows = with_vat_remainder([row(line) for line in draft.lines], draft, sign=1)
    fields["OrderRows"] = [{**r, "OrderedQuantity": r["DeliveredQuantity"]} for r in rows]
    return {"Order": fields}


def document_rows(body: dict) -> list[dict]:
    """The rows of an invoice or a sales order body."""
    if "Order" in body:
        return body["Order"].get("OrderRows") or []
    return body["Invoice"].get("InvoiceRows") or []


def credit_reference(refund_id: str) -> str:
    """What a credit invoice carries in ExternalInvoiceReference2: the refund it credits."""
    return f"R{refund_id}"


def credit_invoice_body(draft: CreditNoteDraft) -> dict:
    """A credit invoice for a partial (or second) refund: the refunded rows negated, referencing the original."""
    fields = {
        "CustomerNumber": draft.customer_number,
        "InvoiceDate": draft.document_date,
        "Currency": draft.currency,
        **currency_rate_fields(draft.currency, draft.currency_rate),
        "ExternalInvoiceReference1": draft.order_number,
        "ExternalInvoiceReference2": credit_reference(draft.refund_id),
        "CreditInvoiceReference": draft.invoice_number,
        "Remarks": draft.text,
        "VATIncluded": False,
        "InvoiceRows": with_vat_remainder([row(line, sign=-1) for line in draft.lines], draft, sign=-1),
    }
    return {"Invoice": {key: value for key, value in fields.items() if value not in ("", None)}}


# --------------------------------------------------------------------------- the invariant
def _rows_vat(rows: list[dict]) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    """(net per rate, VAT per rate) as Fortnox books the rows."""
    nets: dict[Decimal, Decimal] = {}
    pairs = []
    for r in rows:
        net, rate = row_net(Decimal(str(r["Price"])), Decimal(r["DeliveredQuantity"])), Decimal(str(r["VAT"]))
        nets[rate.normalize()] = nets.get(rate.normalize(), ZERO) + net
        pairs.append((net, rate))
    return nets, vat_by_rate(pairs)


def _shift(net: Decimal, rate: Decimal, vat: Decimal) -> Decimal | None:
    """The fewest cents δ (either way) for which Fortnox's VAT of `net` + δ at `rate` is `vat`; None if none near."""
    for step in range(1, REMAINDER_STEPS + 1):
        for delta in (CENT * step, -CENT * step):
            if round_half_up((net + delta) * rate / 100) == vat:
                return delta
    return None


def vat_remainder_rows(rows: list[dict], drafted: dict[Decimal, Decimal], *, account: str) -> list[dict]:
    """Rows that make Fortnox's VAT per rate `drafted` (signed as the rows are): +δ at the rate, −δ at 0 %.

    `account` is the integration's rounding account; rates Fortnox already books as drafted get none,
    a rate whose VAT no δ reaches gets none (limits.py then names the difference).
    """
    if not (account.isdigit() and 1000 <= int(account) <= 9999):
        return []
    nets, booked = _rows_vat(rows)
    extra: list[dict] = []
    for rate, vat in sorted(drafted.items()):
        if not rate or booked.get(rate, ZERO) == vat:
            continue
        delta = _shift(nets.get(rate, ZERO), rate, vat)
        if delta is None:
            continue
        for price, at in ((delta, number(rate)), (-delta, 0)):
            extra.append(
                {
                    "Description": REMAINDER_TEXT,
                    "DeliveredQuantity": "1.00",
                    "Price": number(price),
                    "VAT": at,
                    "AccountNumber": int(account),
                }
            )
    return extra


def with_vat_remainder(rows: list[dict], draft: InvoiceDraft | CreditNoteDraft, *, sign: int) -> list[dict]:
    """The draft's rows plus what carries its VAT per rate exactly (vat_remainder_rows)."""
    drafted = {rate: vat * sign for rate, vat in drafted_vat(draft.lines, draft.tax_details).items()}
    return rows + vat_remainder_rows(rows, drafted, account=draft.rounding_account)


def booked_vat(body: dict) -> dict[Decimal, Decimal]:
    """VAT per rate Fortnox books for an invoice or sales order body (vat.py ROUNDING)."""
    rows = document_rows(body)
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
    """What an invoice, credit invoice or sales order carries: rows in order (positive amounts), VAT per rate."""
    lines = []
    for r in node.get("InvoiceRows") or node.get("OrderRows") or []:
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


def order_from_fortnox(node: dict, *, figures: bool = False) -> ErpDocument:
    """A sales order as Fortnox holds it (kind SALES_ORDER; never `released`: it is not booked, Fortnox
    invoices it later; status Cancelled, Invoiced or Open)."""
    cancelled = flag(node.get("Cancelled"))
    invoiced = str(node.get("InvoiceReference") or "0") not in ("0", "")
    total = amount(node.get("Total"))
    if total is not None and amount(node.get("RoundOff")) and node.get("Net") is not None:
        total = amount(Decimal(str(node["Net"])) + Decimal(str(node.get("TotalVAT") or 0)))
    return ErpDocument(
        kind=SALES_ORDER,
        number=str(node.get("DocumentNumber") or ""),
        status="Cancelled" if cancelled else "Invoiced" if invoiced else "Open",
        customer_number=str(node.get("CustomerNumber") or ""),
        currency=str(node.get("Currency") or ""),
        total=total,
        order_number=str(node.get("ExternalInvoiceReference1") or ""),
        date=str(node.get("OrderDate") or "")[:10],
        figures=figures_read(node) if figures else None,
        updated_at=str(node.get("LastUpdated") or ""),
        voided=cancelled,
    )
