"""Visma.net payment write payloads: payments and refunds, their lines, and the release body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .values import wrapped


@dataclass(frozen=True)
class PaymentLine:
    """PaymentLinesUpdateDto: what a payment settles on one document.

    `write_off` is the balance written off (e.g. the PSP's fee) with
    `write_off_reason`, a write-off reason code of the ERP (e.g. "PSPFEE").
    amount_paid + write_off (+ cash_discount) settle that much of the invoice.
    """

    invoice_number: str
    amount_paid: Decimal | int
    write_off: Decimal | int | None = None
    write_off_reason: str | None = None
    cash_discount: Decimal | int | None = None
    document_type: str = "Invoice"

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                documentType=self.document_type,
                refNbr=self.invoice_number,
                amountPaid=self.amount_paid,
                balanceWriteOff=self.write_off,
                writeOffReasonCode=self.write_off_reason,
                cashDiscountTaken=self.cash_discount,
            ),
        }


@dataclass(frozen=True)
class PaymentPayload:
    """PaymentUpdateDto for POST /v1/customerPayment.

    `reference` goes to paymentRef: our reference (e.g. the PSP settlement
    line), which the client searches by before creating a payment.
    `payment_type` "Payment" settles invoices; "Refund" (a customer refund)
    pays out open credit notes, with lines of document_type "CreditNote".
    """

    customer_number: str
    amount: Decimal | int
    lines: tuple[PaymentLine, ...] = ()
    payment_method: str | None = None
    cash_account: str | None = None
    currency: str | None = None
    payment_date: date | None = None
    reference: str | None = None
    text: str | None = None
    hold: bool | None = None
    payment_type: str = "Payment"

    def body(self) -> dict:
        body = wrapped(
            type=self.payment_type,
            customer=self.customer_number,
            paymentMethod=self.payment_method,
            cashAccount=self.cash_account,
            currency=self.currency,
            paymentAmount=self.amount,
            applicationDate=self.payment_date,
            paymentRef=self.reference,
            invoiceText=self.text,
            hold=self.hold,
        )
        if self.lines:
            body["paymentLines"] = [line.body() for line in self.lines]
        return body


def payment_release_body(payment_type: str = "Payment") -> dict:
    """ReleasePaymentActionDto."""
    return wrapped(type=payment_type)
