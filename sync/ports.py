"""The two ports every flow speaks to: a shop (order source) and an ERP.

A flow never imports a system package. It asks `shop_for(integration)` and
`erp_for(integration)` (integrations/adapters.py) for adapters implementing
these protocols, hands them neutral drafts (sync/drafts.py) and gets neutral
records back (sync/shop.py, sync/erp.py). What a system cannot do is told by
its `capabilities`, never by its name:

- "webhooks": the shop posts changes (integrations/<system>/ has the view).
- "order_attributes": the shop stores free attributes on an order (the documents flow writes
  the ERP's invoice numbers there).
- "catalogue_write": the shop takes products, variants, sizes and prices from the ERP.
- "stock_write": the shop takes stock levels per warehouse.
- "payment_write_off_reason_code": an ERP payment can write off a fee under a reason code.
- "payment_write_off_account": an ERP payment writes a fee off to an account (PaymentDraftLine.write_off_account)
  instead of under a reason code (Fortnox).
- "sales_order": the ERP takes an order as a sales order (the ErpPort's `sales_order_*` methods), so an
  integration can send orders as sales orders instead of invoices (Integration.order_document).
- "journal_transaction": the ERP takes sales journal entries (the ErpPort's `journal_transaction_*` methods): a
  day's orders summarised per currency and VAT category (sync/drafts.py JournalDraft), for integrations that want
  the books, not the documents (Integration.order_document "journal_entry").
- "order_paid": the shop tells whether an order is paid (ShopOrder.paid), so an integration can export only paid
  orders (Integration.only_paid_orders; `orders_changed(paid_only=True)`).
- "number_series": the ERP's number series can be read (the customer-number check).
- "article_write": the shop's catalogue is flat articles, one per ERP item by number (ShopPort `article_*`):
  the products flow then sends items as articles (sync/flows/articles.py) instead of products, variants and
  sizes. Fields are neutral (sync.shop.ARTICLE_FIELDS: name, description, price = net sales price, currency,
  active, unit, ean, vat_rate = the item's VAT rate in percent).
- "article_stock": an article shop takes a stock balance per article (`article_stock_set`); the stock flow
  refuses an article shop without it, saying so (sync/flows/article_stock.py).
- "customer_write": the shop takes customers from the ERP (`customer_find_by_email`, `shop_customer_*`;
  customers ERP → shop, sync/flows/erp_customers.py).
- "customers_out": the ERP lists its customers changed since a moment (ErpPort `customers_changed`,
  `customer_get`), for customers ERP → shop.

Errors: adapters raise integrations.http errors (RemoteError, NotFound, ValidationFailed,
ConnectionPaused) for transport and remote refusals, and sync.flows.base.RecordFailed for a
record that cannot be sent as it is (the message says what to fix). Money is Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .drafts import CreditNoteDraft, CustomerDraft, InvoiceDraft, JournalDraft, PaymentDraft, ShopCustomerDraft
    from .erp import ErpCustomer, ErpDocument, ErpItem, ErpPayment, NumberSeries, VatCategory
    from .shop import (
        ShopArticle,
        ShopCustomer,
        ShopOrder,
        ShopProduct,
        ShopRefund,
        ShopSize,
        ShopVariant,
        Unreadable,
    )

# Capability names (see the module docstring).
WEBHOOKS = "webhooks"
ORDER_ATTRIBUTES = "order_attributes"
CATALOGUE_WRITE = "catalogue_write"
STOCK_WRITE = "stock_write"
PAYMENT_WRITE_OFF_REASON_CODE = "payment_write_off_reason_code"
PAYMENT_WRITE_OFF_ACCOUNT = "payment_write_off_account"
SALES_ORDER = "sales_order"
JOURNAL_TRANSACTION = "journal_transaction"
NUMBER_SERIES = "number_series"
ORDER_PAID = "order_paid"
ARTICLE_WRITE = "article_write"
ARTICLE_STOCK = "article_stock"
CUSTOMER_WRITE = "customer_write"
CUSTOMERS_OUT = "customers_out"


@dataclass(frozen=True)
class CallFloor:
    """The fewest remote calls a record costs through an adapter, as its API allows (issue 18).

    Every adapter states it (`call_floor`), and bench/flows.py measures each flow against it. Figures are
    calls per record; `per_run` names the reads a run makes once, shared by its records, and `note` says
    what the API cannot do that would lower the floor.
    """

    order: int  # an order's document: an ERP's create (+ post); a shop's reads per order (0: in listing pages)
    new_customer: int  # a customer the ERP lacks (0 for a shop)
    credit_note: int  # a refund's credit note in the ERP; a shop's reads per refund
    per_run: tuple[str, ...] = ()
    note: str = ""


@runtime_checkable
class ShopPort(Protocol):
    """An order source: orders, refunds and customers out; catalogue, stock and attributes in.

    Listings yield neutral records in the order the shop stamps them (`updated_at` ascending);
    a record the adapter cannot read is yielded as `Unreadable` (its id, its stamp, why) so that
    it fails alone and the listing goes on. `*_get` returns None when the record is gone.
    """

    system: str  # the registry key, e.g. "centra"
    display_name: str  # e.g. "Centra"
    capabilities: frozenset[str]

    def orders_changed(
        self,
        *,
        statuses: list[str],
        created_from: date | None,
        updated_from: datetime | None,
        paid_only: bool = False,
    ) -> Iterable[ShopOrder | Unreadable]:
        """`paid_only` (capability ORDER_PAID): only orders the shop holds as paid (ShopOrder.paid)."""
        ...

    def order_get(self, number: str) -> ShopOrder | Unreadable | None: ...

    def refunds_changed(self, *, updated_from: datetime | None) -> Iterable[ShopRefund | Unreadable]: ...

    def refund_get(self, refund_id: str) -> ShopRefund | Unreadable | None: ...

    def customers_changed(self, *, updated_from: datetime | None) -> Iterable[ShopCustomer | Unreadable]: ...

    def customer_get(self, customer_id: str) -> ShopCustomer | Unreadable | None: ...

    # catalogue, stock and order attributes (sync/flows/products.py, stock.py, documents.py; capabilities
    # CATALOGUE_WRITE, STOCK_WRITE, ORDER_ATTRIBUTES). Ids are the shop's; `fields` name neutral fields
    # ("name", "description") and are sent as they are (absolute values, safe to repeat).
    def product_find(self, product_number: str) -> ShopProduct | None: ...

    def products_list(self) -> Iterable[ShopProduct]: ...

    def product_create(self, *, product_number: str, name: str, description: str, active: bool) -> ShopProduct: ...

    def product_update(self, product_id: str, *, fields: dict[str, str]) -> None: ...

    def variant_create(
        self, *, product_id: str, variant_number: str, name: str, sizes: list[ShopSize]
    ) -> ShopVariant: ...  # with its sizes (their ids are ignored), in one call when the shop can

    def variant_update(self, variant_id: str, *, fields: dict[str, str]) -> None: ...

    def size_create(self, *, variant_id: str, name: str, size_number: str, ean: str) -> ShopSize: ...

    def size_update(self, size_id: str, *, ean: str) -> None: ...

    def price_set(self, *, variant_id: str, amount: Decimal, currency: str) -> None: ...

    def stock_set(self, *, warehouse_id: str, levels: list[tuple[str, str, int]], description: str) -> list[str]:
        """Absolute stock levels (variant id, size name, quantity); returns the shop's stock change ids."""
        ...

    def warehouses(self) -> list[tuple[str, str]]: ...  # (id, name)

    def order_attributes_set(self, order_number: str, attributes: dict[str, str]) -> None: ...

    def order_attributes_get(self, order_number: str) -> dict[str, str]: ...


@runtime_checkable
class ErpPort(Protocol):
    """An ERP: customers, invoices, credit notes and payments in; items, stock and documents out.

    Creates return the ERP's number of what was created (the caller binds it at once, see
    sync/bindings.py); `*_find` look a record up by Koppla's reference and return None when
    there is none; `*_problems` tell, before any write, what the ERP would refuse (empty list:
    nothing). `*_request` return exactly the body a create would send (dry runs and logs).
    `*_get(number, figures=True)` also reads what the document booked (ErpDocument.figures: lines
    in order with their VAT category and rate, VAT per category; keys are the caller's), for
    documents bound before Koppla stored their figures.
    """

    system: str  # the registry key, e.g. "visma_net"
    display_name: str  # e.g. "Visma.net"
    capabilities: frozenset[str]

    # customers
    def customer_find_by_email(self, email: str) -> list[ErpCustomer]: ...

    def customer_problems(self, draft: CustomerDraft) -> list[str]: ...

    def customer_request(self, draft: CustomerDraft) -> dict: ...

    def customer_create(self, draft: CustomerDraft) -> str: ...

    def customer_update(self, number: str, draft: CustomerDraft) -> None: ...

    # VAT
    def vat_categories(self) -> list[VatCategory]:
        """The ERP's VAT categories with their rate histories (read once per adapter)."""

    # invoices
    def invoice_problems(self, draft: InvoiceDraft) -> list[str]: ...

    def invoice_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict: ...

    def invoice_create(self, draft: InvoiceDraft, *, customer_number: str) -> str: ...

    def invoice_find(self, order_number: str) -> ErpDocument | None:
        """The invoice of a shop order (Koppla's reference is the order number), or None."""

    def invoice_get(self, number: str, *, figures: bool = False) -> ErpDocument: ...

    def invoice_post(self, number: str) -> None:
        """Post (release) the invoice; ValidationFailed with the ERP's words when it refuses."""

    # sales orders (capability SALES_ORDER): the order as the ERP's own order document, not booked (the ERP
    # invoices it later). Koppla's reference is the order number; the draft is the invoice draft of the order.
    def sales_order_problems(self, draft: InvoiceDraft) -> list[str]: ...

    def sales_order_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict: ...

    def sales_order_create(self, draft: InvoiceDraft, *, customer_number: str) -> str: ...

    def sales_order_find(self, order_number: str) -> ErpDocument | None:
        """The sales order of a shop order (its reference exactly the order number), or None."""

    def sales_order_get(self, number: str, *, figures: bool = False) -> ErpDocument: ...  # kind SALES_ORDER

    # sales journal entries (capability JOURNAL_TRANSACTION): one balanced journal transaction per draft (a day's
    # orders of one currency and VAT category). Koppla's reference is JournalDraft.reference (unique per entry).
    def journal_transaction_problems(self, draft: JournalDraft) -> list[str]: ...

    def journal_transaction_request(self, draft: JournalDraft) -> dict: ...

    def journal_transaction_create(self, draft: JournalDraft) -> str: ...  # the ERP's batch/voucher number

    def journal_transaction_find(self, reference: str) -> ErpDocument | None:
        """The journal transaction carrying Koppla's reference exactly, or None (kind JOURNAL_TRANSACTION)."""

    def journal_transaction_get(self, number: str) -> ErpDocument: ...

    # Optional (JournalVatAccountErpPort below), for ERPs whose VAT categories carry an account:
    #     journal_vat_account(vat_category: str) -> str
    # the account the category's output VAT is booked to in the ERP ("" when it does not say). The journal flow
    # asks it when Sync › Sales journal VAT accounts has no row for the category (sync/flows/journal.py).
    # Visma.net answers it (VatInformationDto glAccounts.vatPayableAccount); Fortnox does not have it.

    # credit notes
    def credit_note_problems(self, draft: CreditNoteDraft) -> list[str]: ...

    def credit_note_request(self, draft: CreditNoteDraft) -> dict: ...

    def credit_note_create(self, draft: CreditNoteDraft) -> str: ...

    def credit_note_find(self, refund_id: str) -> ErpDocument | None:
        """The credit note of a shop refund (Koppla's reference names the refund), or None."""

    def credit_note_get(self, number: str, *, figures: bool = False) -> ErpDocument: ...

    def credit_note_post(self, number: str) -> None: ...

    # payments
    def payment_find(
        self, reference: str, *, document_number: str = "", customer_number: str = ""
    ) -> ErpPayment | None: ...  # narrowed to the invoice it pays, or to the customer

    def payment_request(self, draft: PaymentDraft) -> dict: ...

    def payment_book(self, draft: PaymentDraft) -> str: ...

    def payment_get(self, number: str) -> ErpPayment | None: ...  # None: not in the ERP (any more)

    def payment_post(self, number: str, *, refund: bool = False) -> str: ...  # its status word once posted

    # items, stock and documents out
    def items_changed(self, *, updated_from: datetime | None, attributes: bool = True) -> Iterable[ErpItem]: ...

    def item_get(self, number: str) -> ErpItem | None: ...

    def documents_changed(self, kind: str, *, updated_from: datetime | None) -> Iterable[ErpDocument]: ...

    # number series
    def number_series_read(self, series_id: str) -> NumberSeries | None: ...

    # catalogue, stock and documents out (sync/flows/products.py, stock.py, documents.py, payouts.py).
    # Listings yield every item or document, non-stock items too (ErpItem.is_stock), in the ERP's own
    # order, one page held at a time.
    def stock_changed(
        self, *, updated_from: datetime | None, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> Iterable[ErpItem]:
        """Items whose availability changed, with their quantities per warehouse. `warehouses`: the ERP
        warehouse ids the integration sends stock of (its "Stock ERP warehouses"; empty: all); an ERP whose
        warehouses are read elsewhere than its items' own stock reads them there (Fortnox's stock points)."""
        ...

    def item_stock_get(
        self, number: str, *, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> ErpItem | None: ...

    def document_get(self, kind: str, number: str) -> ErpDocument | None: ...  # None: not in the ERP


# --------------------------------------------------------------------------- optional sides, one per capability
# A port's optional side is its own protocol, so a shop or ERP without the capability still is a ShopPort or an
# ErpPort. An adapter that declares the capability implements the protocol (its contract suite checks it).
@runtime_checkable
class JournalVatAccountErpPort(Protocol):
    """Optional, with capability JOURNAL_TRANSACTION: an ERP whose VAT categories carry their VAT account."""

    def journal_vat_account(self, vat_category: str) -> str:
        """The account number the VAT of `vat_category` is booked to (e.g. "2611"); "" when the ERP does not
        say (a category of several VATs, or none). Read once per adapter, not once per entry."""
        ...


@runtime_checkable
class ArticleShopPort(Protocol):
    """Capability ARTICLE_WRITE (and ARTICLE_STOCK for `article_stock_set`): a shop whose catalogue is flat articles.

    `number` is the ERP's item number (the article number); `fields` holds neutral fields
    (sync.shop.ARTICLE_FIELDS), price a Decimal net of VAT in `currency`. article_update sends only the
    fields given (the others stay as the shop has them).
    """

    def article_find(self, number: str) -> ShopArticle | None:
        """The article with exactly this number, or None."""
        ...

    def article_request(self, *, number: str, fields: dict) -> dict:
        """Exactly the body article_create would send (dry runs and logs)."""
        ...

    def article_create(self, *, number: str, fields: dict) -> ShopArticle: ...

    def article_update(self, article_id: str, *, fields: dict) -> None: ...

    def article_stock_set(self, article_id: str, *, quantity: int) -> None:
        """Capability ARTICLE_STOCK: the article's stock balance becomes `quantity` (absolute, safe to repeat).
        ValidationFailed, in the shop's words, when the shop keeps this article's stock itself."""
        ...


@runtime_checkable
class CustomerWriteShopPort(Protocol):
    """Capability CUSTOMER_WRITE: the shop takes customers from the ERP (sync/flows/erp_customers.py)."""

    def customer_find_by_email(self, email: str) -> list[ShopCustomer]:
        """The shop's customers with this e-mail address (compared case-insensitively)."""
        ...

    def shop_customer_problems(self, draft: ShopCustomerDraft) -> list[str]:
        """What the shop would refuse in the customer (e.g. a required field missing); empty: nothing."""
        ...

    def shop_customer_request(self, draft: ShopCustomerDraft) -> dict: ...

    def shop_customer_create(self, draft: ShopCustomerDraft) -> str: ...  # the shop's customer id

    def shop_customer_update(self, customer_id: str, draft: ShopCustomerDraft) -> None: ...


@runtime_checkable
class CustomersOutErpPort(Protocol):
    """Capability CUSTOMERS_OUT: the ERP lists its customers (ErpCustomer with address, company flag, stamp)."""

    def customers_changed(self, *, updated_from: datetime | None) -> Iterable[ErpCustomer]:
        """Customers changed since `updated_from` (None: all), in the ERP's own order, one page held at a time."""
        ...

    def customer_get(self, number: str) -> ErpCustomer | None: ...  # None: not in the ERP
