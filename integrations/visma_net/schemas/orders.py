"""Visma.net sales order and journal transaction write payloads (spec visma-net-erp-v1: SalesOrderUpdateDto,
SalesOrderLineUpdateDto, JournalTransactionUpdateDto, JournalTransactionLineUpdateDto).

A sales order line has no manual amount and no account (SalesOrderLineUpdateDto): Visma.net computes its
amount as quantity × unit price − discount and takes the account from the item and the order type. A sales
order carries no VAT details either: Visma.net computes the VAT from the lines' VAT categories (taxCategory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .values import wrapped


@dataclass(frozen=True)
class SalesOrderLine:
    """SalesOrderLineUpdateDto. `inventory_number` is mandatory in the spec ("Mandatory field")."""

    inventory_number: str
    quantity: Decimal | int = 1
    unit_price: Decimal | int | None = None
    description: str | None = None
    discount_percent: Decimal | int | None = None
    discount_amount: Decimal | int | None = None
    manual_discount: bool | None = None
    vat_category: str | None = None  # taxCategory: a VAT category id, e.g. "SE25"
    warehouse: str | None = None
    uom: str | None = None
    note: str | None = None

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                inventoryNumber=self.inventory_number,
                lineDescription=self.description,
                quantity=self.quantity,
                unitPrice=self.unit_price,
                discountPercent=self.discount_percent,
                discountAmount=self.discount_amount,
                manualDiscount=self.manual_discount,
                taxCategory=self.vat_category,
                warehouse=self.warehouse,
                uom=self.uom,
                note=self.note,
            ),
        }


@dataclass(frozen=True)
class SalesOrderPayload:
    """SalesOrderUpdateDto for POST /v1/salesorder.

    `reference` (Koppla's: the shop's order number) goes to customerRefNo ("External reference: the
    reference number of the sales order in a third-party application") and customerOrder; the adapter
    finds an order by it before creating one, since the API has no idempotency key.
    """

    order_type: str
    customer_number: str
    lines: tuple[SalesOrderLine, ...]
    order_date: date | str | None = None
    currency: str | None = None
    reference: str | None = None
    description: str | None = None
    payment_method: str | None = None
    credit_terms: str | None = None
    vat_zone: str | None = None
    branch: str | None = None
    hold: bool | None = None
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            orderType=self.order_type,
            customer=self.customer_number,
            date=self.order_date,
            currency=self.currency,
            customerOrder=self.reference,
            customerRefNo=self.reference,
            description=self.description,
            paymentMethod=self.payment_method,
            terms=self.credit_terms,
            customerVATZone=self.vat_zone,
            branchNumber=self.branch,
            hold=self.hold,
            note=self.note,
        )
        body["lines"] = [line.body() for line in self.lines]
        return body


@dataclass(frozen=True)
class JournalLine:
    """JournalTransactionLineUpdateDto: one debit or credit (the other left out), in the batch's currency.

    `vat_category` (vatCodeId) marks a line whose amount is taxable under that VAT category; `vat_id`
    (vatId) marks the line that books that VAT's amount (createVatTransaction on the batch).
    """

    account: str
    debit: Decimal | int | None = None
    credit: Decimal | int | None = None
    description: str | None = None
    reference: str | None = None
    vat_category: str | None = None
    vat_id: str | None = None
    branch: str | None = None

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                accountNumber=self.account,
                referenceNumber=self.reference,
                transactionDescription=self.description,
                debitAmountInCurrency=self.debit,
                creditAmountInCurrency=self.credit,
                vatCodeId=self.vat_category,
                vatId=self.vat_id,
                branch=self.branch,
            ),
        }


@dataclass(frozen=True)
class JournalTransactionPayload:
    """JournalTransactionUpdateDto for POST /v2/journaltransaction (a GL batch, numbered by Visma.net).

    `description` carries Koppla's reference of the entry: the field the adapter finds it by.
    """

    transaction_date: date | str
    lines: tuple[JournalLine, ...]
    currency: str | None = None
    exchange_rate: Decimal | None = None
    description: str | None = None
    branch: str | None = None
    hold: bool | None = None
    create_vat_transaction: bool | None = None
    skip_vat_amount_validation: bool | None = None

    def body(self) -> dict:
        body = wrapped(
            transactionDate=self.transaction_date,
            currencyId=self.currency,
            exchangeRate=self.exchange_rate,
            description=self.description,
            branch=self.branch,
            hold=self.hold,
            createVatTransaction=self.create_vat_transaction,
            skipVatAmountValidation=self.skip_vat_amount_validation,
        )
        body["journalTransactionLines"] = [line.body() for line in self.lines]
        return body
