"""Shop records as the flows see them, whatever shop they come from.

Shop adapters (integrations/<system>/adapter.py) convert their system's answers into these
plain dataclasses, so the mapping functions know nothing of GraphQL
or of a particular shop's field names. Money is Decimal throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sync.record_names import record_name


@dataclass(frozen=True)
class ShopAddress:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    zip_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    vat_number: str = ""

    @property
    def person_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()


@dataclass(frozen=True)
class ShopLine:
    line_id: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal  # per unit as charged (after discount), VAT included when the order's prices include VAT
    unit_original_price: Decimal  # per unit before discount
    line_total: Decimal  # as charged for the whole line
    tax_percent: Decimal
    discount_percent: Decimal = Decimal("0")
    product_number: str = ""
    variant_number: str = ""
    size_number: str = ""
    size_id: str = ""


@dataclass(frozen=True)
class ShopOrder:
    id: str
    number: str
    status: str
    created_at: str  # ISO 8601
    updated_at: str  # ISO 8601, UTC
    currency: str
    prices_include_vat: bool
    customer_email: str
    billing: ShopAddress
    shipping: ShopAddress
    lines: tuple[ShopLine, ...]
    shipping_amount: Decimal = Decimal("0")  # as charged, VAT included when prices include VAT
    shipping_tax_percent: Decimal | None = None
    shipping_option: str = ""
    payment_method: str = ""
    payment_terms: str = ""
    grand_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    is_wholesale: bool = False
    customer_name: str = ""
    extra: dict = field(default_factory=dict)
    # The shop's own VAT per rate ((rate percent, VAT), ...), when the shop states it; empty when it
    # gives only the total (Centra): then the total is split over the rates by what they give.
    vat_by_rate: tuple[tuple[Decimal, Decimal], ...] = ()
    # The shop's rate for the order: units of the shop's base currency per 1 unit of the order's currency
    # (EUR order, SEK base: Decimal("11.4823")); None when the shop states none. 1 for an order in the base currency.
    currency_rate: Decimal | None = None
    # Paid in full by the shop's word (shops with the ORDER_PAID capability); None when the shop does not say.
    paid: bool | None = None
    # The shop's rounding of what the customer pays to its cash unit (eAccounting's öre rounding of SEK documents
    # to whole kronor), already in grand_total: no sale, outside VAT, booked on the integration's rounding account.
    rounding_amount: Decimal = Decimal("0")
    # The order as the shop sent it (its own field names), for field rules' `raw.` paths (mappings/datamapper.py);
    # empty when the adapter keeps none.
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return record_name("order", self.number)


@dataclass(frozen=True)
class ShopRefund:
    """A return/refund of (part of) an order, as amounts to credit."""

    id: str
    order_number: str
    created_at: str
    updated_at: str
    currency: str
    prices_include_vat: bool
    lines: tuple[ShopLine, ...]  # quantities and amounts refunded
    shipping_amount: Decimal = Decimal("0")  # shipping refunded
    shipping_tax_percent: Decimal | None = None
    total: Decimal = Decimal("0")
    refunded: bool = False  # the money has gone back to the shopper: it is credited now
    rounding_amount: Decimal = Decimal("0")  # the refund's own öre rounding (ShopOrder.rounding_amount), in `total`


@dataclass(frozen=True)
class ShopCustomer:
    """A shop customer (shopper or wholesale buyer) as the customers flow sees it."""

    id: str
    email: str
    updated_at: str
    first_name: str = ""
    last_name: str = ""
    address: ShopAddress = field(default_factory=ShopAddress)
    is_company: bool = False

    @property
    def name(self) -> str:
        return self.address.company or " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @property
    def label(self) -> str:
        return record_name("customer", self.email or self.id)


@dataclass(frozen=True)
class Unreadable:
    """A record a shop adapter could not read: it fails alone with `message`; the listing goes on.

    `cursor` is its change stamp as the shop sent it, so it still counts for the run's cursor."""

    what: str  # "order", "refund", "customer"
    source_id: str
    message: str
    cursor: str = ""


# --------------------------------------------------------------------------- catalogue (sync/flows/products.py, stock.py)
# The shop's products as the catalogue flows see them. Not frozen: a flow keeps what it wrote on the
# records it holds (a created variant joins its product, an updated name replaces the old one).
@dataclass
class ShopSize:
    id: str
    name: str  # what the shop calls the size (stock is set by it)
    number: str = ""  # the size number, "" when the shop has none
    sku: str = ""  # the SKU the shop built for it
    ean: str = ""


@dataclass
class ShopVariant:
    id: str
    number: str
    name: str = ""
    sizes: list[ShopSize] = field(default_factory=list)


@dataclass
class ShopProduct:
    id: str
    number: str
    name: str = ""
    description: str = ""
    variants: list[ShopVariant] = field(default_factory=list)


# --------------------------------------------------------------------------- articles (sync/flows/articles.py)
# Neutral article fields (ShopPort.article_create / article_update `fields` keys, ShopArticle attributes):
ARTICLE_FIELDS = ("name", "description", "price", "currency", "active", "unit", "ean", "vat_rate")


@dataclass
class ShopArticle:
    """An article of a shop whose catalogue is flat (capability ARTICLE_WRITE): one per ERP item, by number.

    `price` is the net sales price (VAT excluded) in `currency`; `vat_rate` the item's VAT rate in percent
    today (Decimal("25"); None when the ERP does not say), which a shop may use to pick the article's
    bookkeeping; `stock` the balance the shop holds (None when it keeps none or does not say).
    """

    id: str
    number: str
    name: str = ""
    description: str = ""
    price: Decimal | None = None
    currency: str = ""
    active: bool = True
    unit: str = ""
    ean: str = ""
    vat_rate: Decimal | None = None
    stock: Decimal | None = None

    def fields(self) -> dict:
        """The neutral fields (ARTICLE_FIELDS) as a dict, to compare with what the ERP gives."""
        return {name: getattr(self, name) for name in ARTICLE_FIELDS}
