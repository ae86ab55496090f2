"""eAccounting answers → the neutral shop records of sync/shop.py (pure: no I/O).

Shapes after the spec (visma-eaccounting-v2: OrderApi, OrderRowApi, CustomerInvoiceApi,
CustomerInvoiceRowApi, CustomerApi) and ../shared/api-notes/fortnox-eaccounting.md § B:
- Order `Status` 1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced: the neutral status is the name.
- Money has 2 decimals. ASSUMPTION (the spec does not say which; the sandbox does the same): an order's
  `Amount` is net of VAT, `VatAmount` its VAT, `RoundingsAmount` the öre rounding of what the customer
  pays (Amount + VatAmount + RoundingsAmount); an invoice's `TotalAmountInvoiceCurrency` is what it asks
  for (VAT and roundings included), `TotalVatAmountInvoiceCurrency` its VAT, rows' `AmountNoVat` net.
- The öre rounding is no sale (no VAT, its own account): a document's total here is what the customer pays,
  net + VAT + rounding, and the rounding is stated apart (`rounding_amount`), so that the orders mapping books
  it as a line of its own outside VAT on the integration's rounding account (order_mapping.rounding_line),
  never spread over the goods (their net would no longer give the shop's VAT per rate).
- Rows: `UnitPrice` includes VAT when the document's `IncludesVat` is true (company setting and a private
  customer), else not; `DiscountPercentage` is a fraction (0..1, spec maximum 1); `Amount` the row's total
  after discount in the basis of `UnitPrice`; `VatRate` a fraction (0.25) — a value above 1 is read as a
  percentage; text rows (`IsTextRow`) carry no money and are left out.
- Freight has no field of its own on an order (SPEC-GAP: only purchase-side FreightCosts on rows): an
  article row whose ArticleNumber is one of the freight articles (setting EACCOUNTING_FREIGHT_ARTICLES,
  default FRAKT, FREIGHT, SHIPPING) is the order's shipping, at its row's rate; `DeliveryMethodCode` is the
  shipping option.
- Customers: `IsPrivatePerson` tells a person from a company; a company's contact is ContactPersonName /
  ContactPersonEmail; `ChangedUtc` is a customer's change stamp.

A value that cannot be read raises RecordFailed naming the record, the field and the value; the adapter
yields such a record as `Unreadable`, so it fails alone and the listing goes on.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sync.record_reading import UnreadableValue, decimal_from, record_reading, shown, text
from sync.shop import ShopAddress, ShopCustomer, ShopLine, ShopOrder, ShopRefund
from sync.vat import round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")
STATUSES = {1: "Draft", 2: "Ongoing", 3: "Shipped", 4: "Invoiced"}  # OrderApi.Status (spec)
INVOICED = "Invoiced"
PAID = 0  # CustomerInvoiceApi.PaymentStatus: 0 Paid, 1 Unpaid, 2 Overdue (spec)
DEFAULT_FREIGHT_ARTICLES = ("FRAKT", "FREIGHT", "SHIPPING")
# eAccounting orders are invoiced on terms: the payment method the orders flow maps (Mappings › Payment methods).
PAYMENT_METHOD = "invoice"


def reading(what: str) -> AbstractContextManager[None]:
    """Turn any failure to read a record into RecordFailed("<what> cannot be read: …", correct it in eAccounting)."""
    return record_reading(what, source="eAccounting")


_shown = shown


def number(value: Any, what: str, *, default: Decimal | None = ZERO) -> Decimal:
    """A Decimal from a JSON number or numeric text (absent: `default`); UnreadableValue for anything else."""
    if value is None or value == "":
        if default is None:
            raise UnreadableValue(f"{what} is missing")
        return default
    return decimal_from(value, what)


def percent(value: Any, what: str) -> Decimal:
    """A VAT rate or discount as a percentage: 0.25 → 25, 25 → 25 (a value above 1 is a percentage already)."""
    rate = number(value, what)
    if rate < 0:
        raise UnreadableValue(f"{what} is {_shown(value)}, not a rate")
    return (rate * HUNDRED if rate <= 1 else rate).normalize()


def vat_of(amount: Decimal, rate: Decimal, *, incl: bool) -> Decimal:
    """The VAT in (incl) or on (excl) `amount` at `rate` percent, to the cent."""
    if incl:
        return round_money(amount * rate / (HUNDRED + rate))
    return round_money(amount * rate / HUNDRED)


# --------------------------------------------------------------------------- rows
def _row_what(row: dict, index: int) -> str:
    article = text(row.get("ArticleNumber"))
    return f"row {index}" + (f" ({article})" if article else "")


def line_from_row(row: dict, index: int, *, sign: Decimal = Decimal(1)) -> ShopLine:
    """One article row (OrderRowApi or CustomerInvoiceRowApi) as a ShopLine; `sign` -1 turns a credit's rows positive."""
    what = _row_what(row, index)
    quantity = number(row.get("Quantity"), f"{what} quantity (Quantity)") * sign
    unit_price = number(row.get("UnitPrice"), f"{what} unit price (UnitPrice)")
    discount = percent(row.get("DiscountPercentage"), f"{what} discount (DiscountPercentage)")
    if row.get("VatRate") is None and row.get("PercentVat") is None:
        raise UnreadableValue(f"{what} has no VAT rate (VatRate)")
    rate = percent(
        row.get("VatRate") if row.get("VatRate") is not None else row.get("PercentVat"), f"{what} VAT rate (VatRate)"
    )
    charged = unit_price * (1 - discount / HUNDRED)
    amount = row.get("Amount")
    line_total = (
        number(amount, f"{what} amount (Amount)") * sign if amount is not None else round_money(charged * quantity)
    )
    return ShopLine(
        line_id=text(row.get("Id")) or f"#{text(row.get('LineNumber')) or index}",
        sku=text(row.get("ArticleNumber")),
        name=text(row.get("Text")) or text(row.get("ArticleNumber")),
        quantity=quantity,
        unit_price=charged.quantize(Decimal("0.0001")).normalize() if charged else ZERO,
        unit_original_price=unit_price,
        line_total=line_total,
        tax_percent=rate,
        discount_percent=discount,
        product_number=text(row.get("ArticleNumber")),
        # The article is eAccounting's sellable unit: the key the products flow binds an ERP item to (ARTICLE).
        size_id=text(row.get("ArticleId")),
    )


def rows_read(
    rows: Any, *, freight: frozenset[str], sign: Decimal = Decimal(1)
) -> tuple[tuple[ShopLine, ...], tuple[ShopLine, ...]]:
    """(goods lines, freight lines) of a document's rows; text rows are left out."""
    if rows is not None and not isinstance(rows, list):
        raise UnreadableValue(f"Rows is {_shown(rows)}, not a list")
    goods, shipping = [], []
    for index, row in enumerate(rows or [], start=1):
        if not isinstance(row, dict):
            raise UnreadableValue(f"row {index} is {_shown(row)}, not a row")
        if row.get("IsTextRow") and not row.get("ArticleId") and not row.get("ArticleNumber"):
            continue
        line = line_from_row(row, index, sign=sign)
        (shipping if line.sku.upper() in freight else goods).append(line)
    return tuple(goods), tuple(shipping)


def freight_of(shipping: tuple[ShopLine, ...]) -> tuple[Decimal, Decimal | None]:
    """(amount, rate) of the freight rows; the rate None when they mix rates (shipping then follows the goods)."""
    rates = {line.tax_percent for line in shipping}
    return sum((line.line_total for line in shipping), ZERO), (next(iter(rates)) if len(rates) == 1 else None)


def vat_by_rate(lines: tuple[ShopLine, ...], *, incl: bool, vat_total: Decimal) -> tuple[tuple[Decimal, Decimal], ...]:
    """VAT per rate worked out from the rows (VAT on each rate's sum, to the cent), when it adds up to the
    document's own `vat_total`; () when it does not (the flow then splits the stated total over the rates)."""
    sums: dict[Decimal, Decimal] = {}
    for line in lines:
        sums[line.tax_percent] = sums.get(line.tax_percent, ZERO) + line.line_total
    figures = tuple(sorted((rate, vat_of(amount, rate, incl=incl)) for rate, amount in sums.items()))
    return figures if sum((vat for _, vat in figures), ZERO) == vat_total else ()


# --------------------------------------------------------------------------- addresses and customers
def _name_parts(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


def _contact(customer: dict) -> tuple[str, str, str]:
    """(name, e-mail, phone) of whom a document goes to: the person, or a company's contact person.

    The e-mail is the customer's invoice address (EmailAddress), else the contact's, else the order address."""
    phone = text(customer.get("Telephone")) or text(customer.get("MobilePhone"))
    email = text(customer.get("EmailAddress"))
    if customer.get("IsPrivatePerson"):
        return text(customer.get("Name")), email or text(customer.get("EmailAddressOrder")), phone
    email = email or text(customer.get("ContactPersonEmail")) or text(customer.get("EmailAddressOrder"))
    phone = phone or text(customer.get("ContactPersonPhone")) or text(customer.get("ContactPersonMobile"))
    return text(customer.get("ContactPersonName")), email, phone


def customer_address(customer: dict, *, node: dict | None = None, prefix: str = "Invoice") -> ShopAddress:
    """The `prefix` (Invoice or Delivery) address of a document `node`, completed from its customer."""
    node = node or {}
    private = bool(customer.get("IsPrivatePerson"))
    person, email, phone = _contact(customer)
    first, last = _name_parts(person)

    def field(name: str) -> str:
        return text(node.get(f"{prefix}{name}")) or text(customer.get(f"{prefix}{name}"))

    company = "" if private else (text(node.get(f"{prefix}CustomerName")) or text(customer.get("Name")))
    return ShopAddress(
        first_name=first,
        last_name=last,
        company=company,
        address1=field("Address1"),
        address2=field("Address2"),
        zip_code=field("PostalCode"),
        city=field("City"),
        country=field("CountryCode").upper(),
        email=email,
        phone=phone,
        vat_number="" if private else text(customer.get("VatNumber")),
    )


def customer_from_eaccounting(node: dict) -> ShopCustomer:
    """A customer (CustomerApi); RecordFailed naming the field when a value cannot be read."""
    with reading(f"Customer {text(node.get('CustomerNumber')) or text(node.get('Id')) or '(no id)'}"):
        address = customer_address(node)
        private = bool(node.get("IsPrivatePerson"))
        first, last = _name_parts(text(node.get("Name"))) if private else (address.first_name, address.last_name)
        return ShopCustomer(
            id=text(node.get("Id")),
            email=address.email,
            updated_at=text(node.get("ChangedUtc")),
            first_name=first,
            last_name=last,
            address=address,
            is_company=not private,
        )


# --------------------------------------------------------------------------- orders
def order_status(node: dict) -> str:
    status = node.get("Status")
    if isinstance(status, bool) or status not in STATUSES:
        raise UnreadableValue(
            f"its status (Status) is {_shown(status)}, not one of 1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced"
        )
    return STATUSES[status]


def order_from_eaccounting(
    node: dict,
    *,
    customer: dict,
    paid: bool | None,
    currency_rate: Decimal | None,
    freight: frozenset[str] = frozenset(DEFAULT_FREIGHT_ARTICLES),
    stamp: str = "",
) -> ShopOrder:
    """The order of an OrderApi record and its customer (CustomerApi).

    `paid` and `currency_rate` come from the invoices made from the order (the adapter reads them);
    `stamp` overrides ModifiedUtc as the order's change stamp. RecordFailed naming the field when a value
    cannot be read."""
    with reading(f"Order {text(node.get('Number')) or text(node.get('Id')) or '(no number)'}"):
        return _order(node, customer=customer, paid=paid, currency_rate=currency_rate, freight=freight, stamp=stamp)


def _order(node, *, customer, paid, currency_rate, freight, stamp) -> ShopOrder:
    if node.get("Number") is None:
        raise UnreadableValue("its number (Number) is missing")
    incl = bool(node.get("IncludesVat"))
    goods, shipping = rows_read(node.get("Rows"), freight=freight)
    shipping_amount, shipping_rate = freight_of(shipping)
    net = number(node.get("Amount"), "the amount (Amount)")
    vat = number(node.get("VatAmount"), "the VAT (VatAmount)")
    roundings = number(node.get("RoundingsAmount"), "the rounding (RoundingsAmount)")
    billing = customer_address(customer, node=node, prefix="Invoice")
    delivery = customer_address(customer, node=node, prefix="Delivery")
    if not delivery.country:
        delivery = billing
    elif text(node.get("DeliveryCustomerName")) and customer.get("IsPrivatePerson"):
        first, last = _name_parts(text(node.get("DeliveryCustomerName")))
        delivery = replace(delivery, first_name=first, last_name=last)
    private = bool(customer.get("IsPrivatePerson"))
    extra = {
        "order_id": text(node.get("Id")),
        "customer_id": text(node.get("CustomerId")),
        "customer_number": text(node.get("CustomerNumber")) or text(customer.get("CustomerNumber")),
        "private_person": private,
    }
    for key, field in (
        ("your_reference", "YourReference"),
        ("our_reference", "OurReference"),
        ("buyers_order_reference", "BuyersOrderReference"),
        ("delivery_method", "DeliveryMethodName"),
        ("delivery_term", "DeliveryTermCode"),
        ("corporate_identity_number", "CorporateIdentityNumber"),
        ("contact_person", "ContactPersonName"),
    ):
        value = text(node.get(field)) or (text(customer.get(field)) if field in customer else "")
        if value:
            extra[key] = value
    return ShopOrder(
        id=text(node.get("Id")) or text(node.get("Number")),
        number=text(node.get("Number")),
        status=order_status(node),
        created_at=text(node.get("CreatedUtc")) or text(node.get("OrderDate")),
        updated_at=stamp or text(node.get("ModifiedUtc")),
        currency=text(node.get("CurrencyCode")).upper(),
        prices_include_vat=incl,
        customer_email=billing.email,
        billing=billing,
        shipping=delivery,
        lines=goods,
        shipping_amount=shipping_amount,
        shipping_tax_percent=shipping_rate if shipping else None,
        shipping_option=text(node.get("DeliveryMethodCode")) or text(node.get("DeliveryMethodName")),
        payment_method=PAYMENT_METHOD,
        payment_terms=text(node.get("TermsOfPaymentId")) or text(customer.get("TermsOfPaymentId")),
        grand_total=net + vat + roundings,  # what the customer pays (module docstring)
        tax_total=vat,
        rounding_amount=roundings,
        is_wholesale=not private,
        customer_name=text(customer.get("Name")) or text(node.get("CustomerName")),
        extra=extra,
        vat_by_rate=vat_by_rate(goods + shipping, incl=incl, vat_total=vat),
        currency_rate=currency_rate,
        paid=paid,
    )


# --------------------------------------------------------------------------- credit invoices
def credit_total(node: dict) -> tuple[Decimal, Decimal]:
    """(total, öre rounding) of a (credit) invoice, signed as it states them: the total is what it asks for
    (TotalAmountInvoiceCurrency, VAT and rounding included); the rounding is that total less its rows' net
    (AmountNoVat) and its VAT, or 0 when a row lacks AmountNoVat (TotalRoundings is in the company's currency)."""
    total = number(node.get("TotalAmountInvoiceCurrency"), "the total (TotalAmountInvoiceCurrency)", default=None)
    rows = [r for r in node.get("Rows") or [] if isinstance(r, dict) and not r.get("IsTextRow")]
    if rows and all(r.get("AmountNoVat") is not None for r in rows):
        net = sum((number(r["AmountNoVat"], "a row's net amount (AmountNoVat)") for r in rows), ZERO)
        vat = number(node.get("TotalVatAmountInvoiceCurrency"), "the VAT (TotalVatAmountInvoiceCurrency)")
        return total, total - net - vat
    return total, ZERO


def refund_from_eaccounting(
    node: dict, *, order_number: str, freight: frozenset[str] = frozenset(DEFAULT_FREIGHT_ARTICLES)
) -> ShopRefund:
    """A credit invoice (CustomerInvoiceApi with IsCreditInvoice) as the refund of `order_number`.

    Amounts turn positive (a credit invoice states them negative); `total` is what it credits, VAT and its öre
    rounding included, the rounding also apart in `rounding_amount` (credit_total). It counts as refunded once it is settled (PaymentStatus 0 Paid: paid back to
    the customer, or set off against the invoice), as a shop's refund is once the money went back. RecordFailed naming the field when a
    value cannot be read."""
    with reading(f"Credit invoice {text(node.get('InvoiceNumber')) or text(node.get('Id')) or '(no number)'}"):
        total, rounding = credit_total(node)
        sign = Decimal(-1) if total < 0 else Decimal(1)
        goods, shipping = rows_read(node.get("Rows"), freight=freight, sign=sign)
        shipping_amount, shipping_rate = freight_of(shipping)
        return ShopRefund(
            id=text(node.get("Id")),
            order_number=order_number,
            created_at=text(node.get("CreatedUtc")) or text(node.get("InvoiceDate")),
            updated_at=text(node.get("ModifiedUtc")),
            currency=text(node.get("CurrencyCode")).upper(),
            prices_include_vat=bool(node.get("IncludesVat")),
            lines=goods,
            shipping_amount=shipping_amount,
            shipping_tax_percent=shipping_rate if shipping else None,
            total=total * sign,
            rounding_amount=rounding * sign,
            # settled (PaymentStatus 0 Paid: paid back, or set off against the invoice): the money is back
            refunded=node.get("PaymentStatus") == PAID,
        )
