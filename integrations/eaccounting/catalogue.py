"""Articles and customers into eAccounting (pure): neutral fields → ArticleApi / CustomerApi bodies, and back.

Facts (spec visma-eaccounting-v2, components ArticleApi and CustomerApi):
- An article needs Number (≤ 40), Name (≤ 50), IsActive, CodingId (/articleaccountcodings: the article's
  bookkeeping and VAT rate) and UnitId (/units). NetPrice is the sales price excluding VAT, in the company's
  currency (ArticleApi has no sales-price currency: CurrencyCode is the purchase price's). Barcodes holds
  one BarcodeType 0 (Default) barcode: the EAN. The article has no description field: Koppla writes the
  ERP's description text into Note (≤ 4000).
- StockBalance "Sets the stock balance for this article … When stock module is active, this is read
  only"; a stock article (IsStock) exists only with the stock module. So Koppla sets StockBalance on an
  article that is not IsStock, and refuses (saying why) on one that is.
- PUT /articles/{id} and PUT /customers/{id} replace the record ("Replace an existing article's data"):
  an update sends the record as read, without its read-only fields, with Koppla's changes on top.
- A customer needs Name (≤ 50), IsPrivatePerson, IsActive, InvoiceCity (≤ 50), InvoicePostalCode (≤ 10) and
  TermsOfPaymentId (/termsofpayments); InvoiceCountryCode is needed with a VatNumber.
Lengths are checked on the finished body (after the datamapper's rules, BodyFinishing), so a rule that
truncates a field makes a long value fit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from integrations.text_length import text_length
from sync.drafts import ShopCustomerDraft
from sync.shop import ShopArticle, ShopCustomer

from .reading import customer_from_eaccounting, text

# readOnly properties of the spec's ArticleApi and CustomerApi: never sent back on a PUT.
ARTICLE_READ_ONLY = frozenset(
    "Id CodingName UnitName UnitAbbreviation StockBalanceManuallyChangedUtc StockBalanceReserved "
    "StockBalanceAvailable CreatedUtc ChangedUtc PurchasePriceManuallyChangedUtc MessageThreads Notes "
    "ShowStockInformation IsServiceArticle FreightCostsManuallyChangedUtc StockValue".split()
)
CUSTOMER_READ_ONLY = frozenset(
    "Id PayToAccountId LastInvoiceDate ChangedUtc MessageThreads Notes IsFutureInvoiceDateAllowed "
    "UnpaidInvoicesAmount TermsOfPayment".split()
)
ARTICLE_LIMITS = {"Number": 40, "Name": 50, "Note": 4000}
CUSTOMER_LIMITS = {
    "Name": 50,
    "EmailAddress": 255,
    "InvoiceAddress1": 50,
    "InvoiceAddress2": 50,
    "InvoiceCity": 50,
    "InvoicePostalCode": 10,
    "InvoiceCountryCode": 2,
    "Telephone": 50,
    "CorporateIdentityNumber": 20,
    "VatNumber": 20,
    "ContactPersonName": 100,
}
DEFAULT_BARCODE = 0  # ArticleBarcodeApi.BarcodeType Default


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def json_ready(value):
    """`value` with every Decimal as a JSON number (int when whole, else the float of its exact text), as
    requests sends JSON; bodies read from eAccounting carry Decimals (the client parses numbers so)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(str(value))
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def too_long(body: dict, limits: dict[str, int], *, what: str) -> list[str]:
    """A sentence per field of `body` longer than eAccounting takes (spec maxLength, counted as .NET counts it:
    UTF-16 code units, so an emoji counts as two; integrations/text_length.py)."""
    problems = []
    for field, limit in limits.items():
        value = body.get(field)
        if not isinstance(value, str) or text_length(value) <= limit:
            continue
        size = text_length(value)
        counted = f"{size} characters" if size == len(value) else f"{size} characters as eAccounting counts them"
        note = "" if size == len(value) else " (an emoji or another character outside the BMP counts as two)"
        problems.append(f"{what}: {field} '{value}' has {counted}, eAccounting takes at most {limit}{note}")
    return problems


# --------------------------------------------------------------------------- articles
def article_changes_body(fields: dict) -> dict:
    """ArticleApi fields of neutral article fields (only those given; price → NetPrice, ean → Barcodes)."""
    body: dict = {}
    if "name" in fields:
        body["Name"] = fields["name"]
    if "description" in fields:
        body["Note"] = fields["description"] or None
    if "active" in fields:
        body["IsActive"] = bool(fields["active"])
    if fields.get("price") is not None:
        body["NetPrice"] = fields["price"]
    if "ean" in fields:
        body["Barcodes"] = [{"Barcode": fields["ean"], "BarcodeType": DEFAULT_BARCODE}] if fields["ean"] else None
    return body


def article_body(*, number: str, fields: dict, coding_id: str, unit_id: str) -> dict:
    """The POST /articles body of a new article."""
    return {
        "Number": number,
        "IsActive": bool(fields.get("active", True)),
        "Name": fields.get("name") or number,
        "CodingId": coding_id,
        "UnitId": unit_id,
        **{k: v for k, v in article_changes_body(fields).items() if k not in ("Name", "IsActive")},
    }


def article_replaced(node: dict, changes: dict) -> dict:
    """The PUT body of an article read as `node` with `changes` (ArticleApi fields) on top. A new NetPrice
    drops the GrossPrice read (eAccounting derives it from the coding's rate)."""
    body = {k: v for k, v in node.items() if k not in ARTICLE_READ_ONLY}
    if "NetPrice" in changes:
        body.pop("GrossPrice", None)
        body.pop("NetPriceWithDiscount", None)
    return {**body, **changes}


def article_from_eaccounting(node: dict, *, currency: str) -> ShopArticle:
    barcodes = [b for b in node.get("Barcodes") or [] if isinstance(b, dict) and b.get("Barcode")]
    return ShopArticle(
        id=text(node.get("Id")),
        number=text(node.get("Number")),
        name=text(node.get("Name")),
        description=text(node.get("Note")),
        price=_decimal(node.get("NetPrice")),
        currency=currency,
        active=bool(node.get("IsActive", True)),
        unit=text(node.get("UnitAbbreviation")),
        ean=text(barcodes[0]["Barcode"]) if barcodes else "",
        stock=_decimal(node.get("StockBalance")),
    )


def coding_for(codings: list[dict], rate: Decimal | None) -> dict | None:
    """The active goods coding (Type Goods) of VAT rate `rate` percent; with no rate, the goods coding of the
    highest rate (the standard rate). None when there is none."""
    goods = [c for c in codings if c.get("IsActive", True) and text(c.get("Type")).lower() == "goods"]
    if rate is None:
        return max(goods, key=lambda c: _decimal(c.get("VatRatePercent")) or Decimal(0), default=None)
    wanted = rate / 100
    return next((c for c in goods if _decimal(c.get("VatRatePercent")) == wanted), None)


def unit_for(units: list[dict], unit: str) -> dict | None:
    """The unit an ERP unit name stands for: matched on Code, Abbreviation, AbbreviationEnglish or Name
    (case-insensitive; PCS also as pcs/st). No unit given: the first listed."""
    if not unit:
        return units[0] if units else None
    wanted = {unit.strip().lower()}
    if wanted & {"pcs", "pc", "st", "styck", "ea", "each"}:
        wanted |= {"pcs", "st", "styck"}
    for candidate in units:
        names = {text(candidate.get(k)).lower() for k in ("Code", "Abbreviation", "AbbreviationEnglish", "Name")}
        if names & wanted:
            return candidate
    return None


# --------------------------------------------------------------------------- customers
def customer_body(draft: ShopCustomerDraft) -> dict:
    """The CustomerApi fields Koppla owns (TermsOfPaymentId is added on create, kept on update)."""
    address = draft.address
    return {
        "Name": draft.name,
        "IsPrivatePerson": not draft.is_company,
        "IsActive": draft.active,
        "EmailAddress": draft.email or None,
        "InvoiceAddress1": address.address1 or None,
        "InvoiceAddress2": address.address2 or None,
        "InvoicePostalCode": address.zip_code,
        "InvoiceCity": address.city,
        "InvoiceCountryCode": address.country or None,
        "Telephone": address.phone or None,
        "CorporateIdentityNumber": draft.corporate_id or None,
        "VatNumber": draft.vat_number or None,
        "ContactPersonName": draft.contact_name or None,
    }


def customer_problems(body: dict, *, what: str) -> list[str]:
    problems = [
        f"{what}: {label} is required by eAccounting; fill it in the ERP"
        for field, label in (("InvoiceCity", "the city"), ("InvoicePostalCode", "the postal code"))
        if not text(body.get(field))
    ]
    if body.get("VatNumber") and not body.get("InvoiceCountryCode"):
        problems.append(f"{what}: a VAT number needs the country (InvoiceCountryCode)")
    return problems + too_long(body, CUSTOMER_LIMITS, what=what)


def customer_replaced(node: dict, body: dict) -> dict:
    return {**{k: v for k, v in node.items() if k not in CUSTOMER_READ_ONLY}, **body}


def terms_for_new_customers(terms: list[dict], days: int = 30) -> dict | None:
    """Terms of payment for customers Koppla creates: the normal terms (TermsOfPaymentTypeId 0) of `days`
    days available for sales, else the first normal terms available for sales."""
    normal = [t for t in terms if t.get("AvailableForSales", True) and t.get("TermsOfPaymentTypeId", 0) == 0]
    return next((t for t in normal if t.get("NumberOfDays") == days), normal[0] if normal else None)


def shop_customer_of(node: dict) -> ShopCustomer:
    return customer_from_eaccounting(node)
