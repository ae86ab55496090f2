"""ERP records as the flows see them (see sync/shop.py for the shop side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class ErpItem:
    number: str
    description: str = ""
    body: str = ""
    price: Decimal | None = None
    ean: str = ""
    status: str = "Active"
    updated_at: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    warehouses: dict[str, Decimal] = field(default_factory=dict)  # warehouse id → available quantity
    # catalogue, stock and documents side (sync/flows/products.py, stock.py)
    is_stock: bool = True  # False: a non-stock item (shipping, fees, services): it stays in the ERP
    availability_updated_at: str = ""  # when its availability last changed (the stock flow's stamp)
    # article side (sync/flows/articles.py, product_filter.py)
    item_class: str = ""  # the ERP's item class id ("" when it has none), for Integration.product_filter
    item_type: str = ""  # the ERP's own item type word, e.g. "FinishedGoodItem" (for the filter)
    unit: str = ""  # the sales unit, e.g. "PCS" ("" when the ERP states none)
    vat_category: str = ""  # the item's VAT category id (ErpPort.vat_categories), "" when the ERP states none


@dataclass(frozen=True)
class ErpCustomer:
    """An ERP customer. The fields after `email` are read by customers ERP → shop (sync/flows/erp_customers.py,
    capability CUSTOMERS_OUT); adapters that only search by e-mail may leave them at their defaults."""

    number: str
    name: str = ""
    email: str = ""
    updated_at: str = ""  # the ERP's change stamp
    active: bool = True  # False: inactive, on hold or closed in the ERP
    is_company: bool = False  # a company (organisation) rather than a private person; the adapter says how it knows
    contact_name: str = ""  # a company's contact person ("" for a private person)
    phone: str = ""
    vat_number: str = ""
    corporate_id: str = ""  # organisation number
    address1: str = ""
    address2: str = ""
    zip_code: str = ""
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2


# ErpDocument.kind
INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
SALES_ORDER = "sales_order"  # an order in the ERP (not booked; the ERP invoices it later)
JOURNAL_TRANSACTION = "journal_transaction"  # a sales journal entry (a day's orders summarised, booked)


@dataclass(frozen=True)
class ErpDocument:
    """An invoice, a credit note or a sales order as the ERP holds it. Amounts are positive, in `currency`."""

    kind: str  # INVOICE, CREDIT_NOTE or SALES_ORDER
    number: str
    status: str = ""  # the ERP's own word, for messages
    released: bool = False  # posted: it counts in the ledger and can be paid
    customer_number: str = ""
    currency: str = ""
    total: Decimal | None = None
    balance: Decimal | None = None  # still to be paid
    order_number: str = ""  # Koppla's reference on the document (the shop's order number)
    date: str = ""  # document date, YYYY-MM-DD
    payment_method: str = ""
    link: str = ""  # the document's newest attachment (PDF) in the ERP, "" if none
    vat_zone: str = ""  # the customer's VAT zone the document was booked in
    figures: object | None = None  # sync.drafts.Figures as the ERP holds them, when read in full
    # documents-out and payouts side (sync/flows/documents.py, payouts.py)
    updated_at: str = ""  # the ERP's change stamp
    voided: bool = False  # voided after it was released (still shown on the shop order)
    settled: bool = False  # released and paid in full (no balance left)
    on_hold: bool = False
    awaiting_release: bool = False  # complete but not released yet (release it, then pay it)


@dataclass(frozen=True)
class ErpPayment:
    number: str
    reference: str = ""
    status: str = ""
    released: bool = False
    on_hold: bool = False
    amount: Decimal | None = None
    currency: str = ""
    # payouts side (sync/payouts/flow.py)
    refund: bool | None = None  # a refund paid out against credit notes (None: the ERP did not say)
    awaiting_release: bool = False  # complete but not released yet
    document_numbers: tuple[str, ...] = ()  # the documents it is applied to
    amount_paid: Decimal = Decimal("0")  # on its first document (the payment's amount when not stated)
    written_off: Decimal = Decimal("0")  # balance written off on its first document (e.g. a PSP fee)
    write_off_reason: str = ""
    write_off_account: str = ""  # where the ERP writes off to an account instead (Fortnox)


@dataclass(frozen=True)
class VatCategory:
    """A VAT category and its rate history ((start date YYYY-MM-DD, rate percent), ...), ascending."""

    id: str
    rates: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class NumberSeries:
    """A number series of the ERP: per segment (start, end, last used) numbers as text and the step."""

    id: str
    description: str = ""
    segments: tuple[tuple[str, str, str, int], ...] = ()
