"""Visma.net document write payloads: invoice and credit note lines, VAT details, applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .customers import Address
from .values import wrapped


@dataclass(frozen=True)
class DocumentLine:
    """One line of an invoice (CustomerInvoiceLinesUpdateDto) or credit note (CustomerCreditNoteLineUpdateDto).

    `amount` is the ERP's manual amount: the exact net of the line, which the
    ERP then uses instead of quantity × price − discount.
    """

    description: str
    quantity: Decimal | int = 1
    unit_price: Decimal | int | None = None
    amount: Decimal | int | None = None
    vat_category: str | None = None  # vatCodeId: a VAT category id, e.g. "SE25"
    account: str | None = None
    inventory_number: str | None = None
    discount_percent: Decimal | int | None = None
    discount_amount: Decimal | int | None = None
    uom: str | None = None
    note: str | None = None

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                inventoryNumber=self.inventory_number,
                description=self.description,
                quantity=self.quantity,
                unitPriceInCurrency=self.unit_price,
                manualAmountInCurrency=self.amount,
                accountNumber=self.account,
                vatCodeId=self.vat_category,
                uom=self.uom,
                discountPercent=self.discount_percent,
                discountAmountInCurrency=self.discount_amount,
                note=self.note,
            ),
        }


@dataclass(frozen=True)
class TaxDetail:
    """TaxDetailUpdateDto: the document's VAT for one VAT id, overriding the ERP's own sum of line VAT."""

    vat_id: str
    vat_amount: Decimal | int
    taxable_amount: Decimal | int | None = None

    def body(self) -> dict:
        return wrapped(taxId=self.vat_id, taxableAmount=self.taxable_amount, vatAmount=self.vat_amount)


@dataclass(frozen=True)
class InvoicePayload:
    """CustomerInvoiceUpdateDto for POST /v2/customerinvoice.

    Put the shop's order number in `customer_ref_number` (and, if wanted,
    `external_reference`): the client finds existing invoices by it before
    creating one, since the API has no idempotency key.
    """

    customer_number: str
    lines: tuple[DocumentLine, ...]
    document_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    text: str | None = None
    payment_method: str | None = None
    credit_terms: str | None = None
    vat_zone: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    billing_address: Address | None = None
    hold: bool | None = None
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            customerNumber=self.customer_number,
            documentDate=self.document_date,
            documentDueDate=self.due_date,
            currencyId=self.currency,
            customerRefNumber=self.customer_ref_number,
            externalReference=self.external_reference,
            invoiceText=self.text,
            paymentMethodId=self.payment_method,
            creditTermsId=self.credit_terms,
            customerVatZoneId=self.vat_zone,
            hold=self.hold,
            note=self.note,
        )
        if self.billing_address is not None:
            body["billingAddress"] = {"value": {**wrapped(overrideAddress=True), **self.billing_address.body()}}
        if self.tax_details:
            body["taxDetailLines"] = [t.body() for t in self.tax_details]
        body["invoiceLines"] = [line.body() for line in self.lines]
        return body


@dataclass(frozen=True)
class Application:
    """Apply a credit note (or a payment line) to an open invoice (PaymentLineBaseUpdateDto)."""

    invoice_number: str
    amount: Decimal | int
    document_type: str = "Invoice"

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(documentType=self.document_type, refNbr=self.invoice_number, amountPaid=self.amount),
        }


@dataclass(frozen=True)
class CreditNotePayload:
    """CustomerCreditNoteUpdateDto for POST /v2/customerCreditNote.

    `customer_ref_number` carries our reference (the shop's return/refund
    number); `applications` apply the credit note to the original invoice
    when it is released.
    """

    customer_number: str
    lines: tuple[DocumentLine, ...]
    document_date: date | None = None
    currency: str | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    text: str | None = None
    vat_zone: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    applications: tuple[Application, ...] = ()
    orig_invoice_date: date | None = None
    hold: bool | None = None
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            customerNumber=self.customer_number,
            documentDate=self.document_date,
            origInvoiceDate=self.orig_invoice_date,
            currencyId=self.currency,
            customerRefNumber=self.customer_ref_number,
            externalReference=self.external_reference,
            invoiceText=self.text,
            customerVatZoneId=self.vat_zone,
            hold=self.hold,
            note=self.note,
        )
        if self.tax_details:
            body["taxDetails"] = [t.body() for t in self.tax_details]
        if self.applications:
            body["applicationLines"] = [a.body() for a in self.applications]
        body["lines"] = [line.body() for line in self.lines]
        return body
