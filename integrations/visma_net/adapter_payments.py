"""VismaNetErp's payments part (mixed into integrations/visma_net/adapter.py).

PaymentDraft → PaymentPayload (POST /v1/customerPayment, type "Payment" on invoices with the fee as
a balance write-off, or "Refund" on credit notes); customer payments → ErpPayment.
"""

from __future__ import annotations

from decimal import Decimal

from integrations.http import NotFound
from sync.drafts import PaymentDraft
from sync.erp import CREDIT_NOTE, ErpPayment

from .finishing import finished
from .schemas import PaymentLine, PaymentPayload

PAYMENT = "Payment"
REFUND = "Refund"
# Payment states: released (Open: still to apply, Closed: applied in full), on hold, complete but not released.
RELEASED = ("Open", "Closed")
AFTER_RELEASE = "Closed"


def payment_payload(draft: PaymentDraft) -> PaymentPayload:
    return PaymentPayload(
        customer_number=draft.customer_number,
        amount=draft.amount,
        lines=tuple(
            PaymentLine(
                line.document_number,
                line.amount_paid,
                write_off=line.write_off or None,
                write_off_reason=line.write_off_reason or None,
                **({"document_type": "CreditNote"} if line.document_kind == CREDIT_NOTE else {}),
            )
            for line in draft.lines
        ),
        payment_method=draft.payment_method or None,
        cash_account=draft.cash_account or None,
        currency=draft.currency or None,
        payment_date=draft.payment_date or None,
        reference=draft.reference,
        text=draft.text,
        **({"payment_type": REFUND} if draft.refund else {}),
    )


def payment_from_visma(node: dict) -> ErpPayment:
    status = str(node.get("status") or "")
    applied = (node.get("paymentLines") or [{}])[0]
    kind = node.get("type")
    return ErpPayment(
        number=str(node.get("refNbr") or ""),
        reference=str(node.get("paymentRef") or ""),
        status=status,
        released=status in RELEASED,
        on_hold=status == "Hold",
        amount=Decimal(str(node.get("paymentAmount") or 0)),
        currency=str(node.get("currency") or ""),
        refund=(kind == REFUND) if kind else None,
        awaiting_release=status == "Balanced",
        document_numbers=tuple(str(p.get("refNbr") or "") for p in node.get("paymentLines") or []),
        amount_paid=Decimal(str(applied.get("amountPaid") or node.get("paymentAmount") or 0)),
        written_off=Decimal(str(applied.get("balanceWriteOff") or 0)),
        write_off_reason=str((applied.get("writeOffReasonCode") or {}).get("id", "")),
    )


class VismaNetPayments:
    client = None  # the VismaNetClient, set by VismaNetErp

    def payment_find(
        self, reference: str, *, document_number: str = "", customer_number: str = ""
    ) -> ErpPayment | None:
        """The payment whose paymentRef is `reference`. The API cannot filter on it: the invoice it pays
        (or the customer) narrows the search."""
        found = self.client.payment_find(
            reference, invoice_number=document_number or None, customer_number=customer_number or None
        )
        return None if found is None else payment_from_visma(found)

    def payment_request(self, draft: PaymentDraft) -> dict:
        return self.body_finish("payment", payment_payload(draft).body())

    def payment_book(self, draft: PaymentDraft) -> str:
        return self.client.payment_create(finished(self, "payment", payment_payload(draft)))

    def payment_get(self, number: str) -> ErpPayment | None:
        try:
            return payment_from_visma(self.client.payment_get(number))
        except NotFound:
            return None

    def payment_post(self, number: str, *, refund: bool = False) -> str:
        self.client.payment_release(number, payment_type=REFUND if refund else PAYMENT)
        return AFTER_RELEASE
