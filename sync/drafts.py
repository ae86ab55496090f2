"""Neutral drafts: what the pure mappers (sync/flows/*_mapping.py) make and the ERP adapters send.

A draft states exactly what the ERP document must book: its lines' net amounts and VAT per VAT
category, in the document's currency, to the currency's smallest unit (Decimal). How an ERP
carries them (Visma.net tax details, Fortnox rows and RoundOff) is its adapter's business
(integrations/<system>/adapter.py); no draft knows a system.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .shop import ShopAddress

ZERO = Decimal("0")


@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net per unit, informational (the amount is authoritative)
    amount: Decimal  # exact net amount of the line
    vat_category: str
    account: str
    inventory_number: str = ""
    discount_percent: Decimal = ZERO
    key: str = ""
    gross: Decimal = ZERO  # the line with its share of VAT (net + VAT of the line, as charged)
    rate: Decimal = ZERO


@dataclass(frozen=True)
class TaxDetail:
    vat_category: str
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Figures:
    lines: tuple[DraftLine, ...]
    tax: tuple[TaxDetail, ...]
    gross: Decimal

    @classmethod
    def of(cls, draft) -> Figures:
        """The figures of an invoice or credit note draft (lines, tax_details, gross_total)."""
        return cls(draft.lines, draft.tax_details, draft.gross_total)

    @property
    def known(self) -> bool:
        """False for a document bound before figures were stored (only its total is known)."""
        return bool(self.lines)


@dataclass(frozen=True)
class CustomerDraft:
    email: str
    name: str
    is_company: bool
    vat_number: str
    customer_type: str
    customer_class: str
    vat_zone: str
    country: str
    address: ShopAddress
    currency: str
    credit_terms: str
    payment_method: str


@dataclass(frozen=True)
class InvoiceDraft:
    order_number: str
    document_date: str
    currency: str
    customer: CustomerDraft
    default_customer_number: str  # set: invoice the walk-in customer instead of one per shopper
    payment_method: str
    credit_terms: str
    vat_zone: str
    regime: str
    country: str
    lines: tuple[DraftLine, ...]
    tax_details: tuple[TaxDetail, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    text: str
    warnings: tuple[str, ...] = ()
    note: str = ""  # why the sale is taxed where it is, when a territory or the VAT number moved it
    # The integration's rounding account: where an ERP that computes VAT itself from the rows (Fortnox) books
    # what makes its VAT per rate the shop's (its adapter's rows; "" = it cannot, the difference is a problem).
    rounding_account: str = ""
    # Units of the company's home currency per 1 unit of `currency`, as the shop converted the order (an ERP
    # books the document's home-currency amounts at it); None for a home-currency order or when the shop gave
    # none: the ERP then uses its own rate of the day.
    currency_rate: Decimal | None = None
    # What a sales order needs and the order does not say, from the integration (Integration.erp_branch,
    # erp_order_type, erp_warehouse); "" = the ERP's own default.
    branch: str = ""
    order_type: str = ""
    warehouse: str = ""


@dataclass(frozen=True)
class CreditNoteDraft:
    refund_id: str
    order_number: str
    invoice_number: str
    customer_number: str
    document_date: str
    currency: str
    vat_zone: str
    lines: tuple[DraftLine, ...]
    tax_details: tuple[TaxDetail, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    text: str
    full: bool = False  # reverses all that was left of the invoice
    rounding_account: str = ""  # as InvoiceDraft.rounding_account
    currency_rate: Decimal | None = None  # the credited invoice's (InvoiceDraft.currency_rate), None if unknown


# --------------------------------------------------------------------------- payments (sync/payouts/flow.py)
@dataclass(frozen=True)
class PaymentDraftLine:
    """What a payment settles on one document: `amount_paid`, plus `write_off` written off under
    `write_off_reason` (e.g. a PSP fee), or to `write_off_account` where the ERP writes off to an
    account (capability "payment_write_off_account"); together they settle that much of the document."""

    document_number: str
    amount_paid: Decimal
    document_kind: str = "invoice"  # sync.erp.INVOICE or CREDIT_NOTE
    write_off: Decimal = ZERO
    write_off_reason: str = ""
    write_off_account: str = ""


@dataclass(frozen=True)
class PaymentDraft:
    """A customer payment (or, `refund`, a refund paid out against credit notes) to book in the ERP.

    `reference` is Koppla's reference of the payment (the payout line), which `payment_find` finds it by.
    """

    customer_number: str
    amount: Decimal
    lines: tuple[PaymentDraftLine, ...]
    reference: str
    refund: bool = False
    payment_method: str = ""
    cash_account: str = ""
    currency: str = ""
    payment_date: object | None = None  # datetime.date
    text: str = ""


@dataclass(frozen=True)
class JournalLineDraft:
    """One line of a sales journal entry: `debit` or `credit` (the other is zero), in the entry's currency."""

    account: str
    debit: Decimal
    credit: Decimal
    description: str
    vat_category: str = ""  # the VAT category a revenue or VAT line books under ("" on the debit line)
    taxable: Decimal = ZERO  # on a revenue line: its net amount, the base of the category's VAT


@dataclass(frozen=True)
class JournalDraft:
    """A day's orders of one currency and VAT category as one balanced journal transaction.

    Sum of debits == sum of credits, exactly; the credits are the orders' nets on their revenue
    accounts plus the category's VAT, the debit their gross on the integration's receivable account.
    `reference` is Koppla's key of the entry ("KOPPLA-2026-11-30-SEK-1-1": day, currency, VAT category,
    sequence), unique per integration, the key `journal_transaction_find` looks it up by.
    """

    reference: str
    transaction_date: str  # YYYY-MM-DD, the day summarised
    currency: str
    vat_category: str
    lines: tuple[JournalLineDraft, ...]
    order_numbers: tuple[str, ...]
    text: str = ""
    branch: str = ""
    currency_rate: Decimal | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)


@dataclass(frozen=True)
class ShopCustomerDraft:
    """A customer to create or update in the shop (customers ERP → shop, capability CUSTOMER_WRITE).

    `email` is the match key (as the ERP has it, stripped); `is_company` tells an organisation
    (`contact_name` its contact person) from a private person; `address.country` is ISO 3166-1 alpha-2.
    `erp_number` is the ERP's customer number, for messages and adapters that keep a reference.
    """

    email: str
    name: str
    is_company: bool
    address: ShopAddress
    vat_number: str = ""
    corporate_id: str = ""
    contact_name: str = ""
    active: bool = True
    erp_number: str = ""
