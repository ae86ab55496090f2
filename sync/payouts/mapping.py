"""Payout lines → payment drafts (pure): what one line of a PSP payout books in the ERP.

A payment of gross − fee applied to the invoice with the fee written off, so the invoice is settled by
the gross amount; a refund pays out the gross amount against the credit note. RecordFailed says why a
line cannot settle its document.

How the fee is written off is the ERP's capability (sync/ports.py): under the integration's write-off
reason code (PAYMENT_WRITE_OFF_REASON_CODE, Visma.net) or to its fee write-off account
(PAYMENT_WRITE_OFF_ACCOUNT, Fortnox: issue 16, api-notes § A6); an ERP with neither cannot take a fee.
"""

from __future__ import annotations

from decimal import Decimal

from sync import ports
from sync.drafts import PaymentDraft, PaymentDraftLine
from sync.erp import CREDIT_NOTE, INVOICE, ErpDocument
from sync.flows.base import RecordFailed
from sync.models import PayoutLine

ZERO = Decimal("0")
REFERENCE_MAX = 40  # longest payment reference we write (the ERP's field is short)


def _kind_word(document: ErpDocument) -> str:
    return "invoice" if document.kind == INVOICE else "creditnote"


def payment_reference(line: PayoutLine) -> str:
    """Our paymentRef for a line: the payout reference and the row number ("PO-77/12")."""
    suffix = f"/{line.line_no}"
    return line.payout.reference[: REFERENCE_MAX - len(suffix)] + suffix


def fee_write_off(
    fee: Decimal, *, what: str, capabilities: frozenset[str], reason_code: str, fee_account: str, erp_name: str
) -> dict[str, str]:
    """The PaymentDraftLine fields writing `fee` off as the ERP can; RecordFailed naming the missing setting.

    `capabilities` are the ERP adapter's; `reason_code` / `fee_account` the integration's settings
    (Integrations › Payouts). A zero fee needs neither.
    """
    if not fee:
        return {}
    if ports.PAYMENT_WRITE_OFF_REASON_CODE in capabilities:
        if not reason_code:
            raise RecordFailed(
                f"{what} has a PSP fee of {fee} to write off, but the integration has no fee write-off reason code: "
                f"enter one (e.g. PSPFEE, as set up in {erp_name}) under Integrations › Payouts, then resync."
            )
        return {"write_off_reason": reason_code}
    if ports.PAYMENT_WRITE_OFF_ACCOUNT in capabilities:
        if not fee_account:
            raise RecordFailed(
                f"{what} has a PSP fee of {fee} to write off, but the integration has no fee write-off account: "
                f"{erp_name} writes fees off to an account, so enter the fee account (e.g. 6570) under "
                "Integrations › Payouts, then resync."
            )
        return {"write_off_account": fee_account}
    raise RecordFailed(
        f"{what} has a PSP fee of {fee} to write off, but {erp_name} cannot write off a fee on a payment: "
        "book this line by hand."
    )


def payment_draft_for(
    line: PayoutLine,
    document: ErpDocument,
    *,
    reason_code: str,
    fee_account: str = "",
    capabilities: frozenset[str] = frozenset({ports.PAYMENT_WRITE_OFF_REASON_CODE}),
    cash_account: str = "",
    reference: str = "",
    erp_name: str = "the ERP",
) -> PaymentDraft:
    """The ERP payment for one payout line; RecordFailed when the amounts cannot settle the document.

    The fee goes under `reason_code` or to `fee_account`, as the ERP's `capabilities` say (fee_write_off).
    """
    reference = reference or payment_reference(line)
    what = f"Order {line.order_number} (row {line.line_no} of payout {line.payout.reference})"
    if line.currency and document.currency and line.currency != document.currency:
        raise RecordFailed(
            f"{what} was paid in {line.currency} but {_kind_word(document)} {document.number} is in "
            f"{document.currency}: book it by hand in {erp_name}."
        )
    if line.gross <= 0:
        raise RecordFailed(f"{what} has no amount: nothing to book.")
    balance = document.balance or ZERO
    if not document.released or document.settled or balance <= 0:
        raise RecordFailed(
            f"{what}: {'invoice' if document.kind == INVOICE else 'credit note'} {document.number} is not open "
            f"in {erp_name} (status {document.status}, balance {balance}): "
            + (
                "release it first, then resync this line."
                if document.awaiting_release or document.on_hold
                else f"it was settled some other way; check it in {erp_name} (this line will not be booked twice)."
            )
        )
    if line.gross > balance:
        raise RecordFailed(
            f"{what} captured {line.gross} {line.currency} but {_kind_word(document)} {document.number} has only "
            f"{balance} open: check the order and the document in {erp_name}."
        )
    text = f"{line.payout.format.name} payout {line.payout.reference}" + (
        f", {line.psp_reference}" if line.psp_reference else ""
    )
    common = {
        "customer_number": document.customer_number,
        "payment_method": document.payment_method,
        "cash_account": cash_account,
        "currency": document.currency or line.currency,
        "payment_date": line.booked_on or line.payout.paid_out_on or None,
        "reference": reference,
        "text": text[:100],
    }
    if document.kind == CREDIT_NOTE:
        return PaymentDraft(
            amount=line.gross,
            lines=(PaymentDraftLine(document.number, line.gross, document_kind=CREDIT_NOTE),),
            refund=True,
            **common,
        )
    fee = line.fee + line.carried_fee
    if fee < 0:
        raise RecordFailed(
            f"{what} has a negative fee ({fee}): a write-off cannot be negative. Book this line by hand in {erp_name}."
        )
    if fee >= line.gross:
        carried = f" (incl. {line.carried_fee} of other rows of the payout)" if line.carried_fee else ""
        raise RecordFailed(f"{what}: the fee {fee}{carried} is not less than the captured amount {line.gross}.")
    write_off = fee_write_off(
        fee,
        what=what,
        capabilities=capabilities,
        reason_code=reason_code,
        fee_account=fee_account,
        erp_name=erp_name,
    )
    paid = line.gross - fee
    return PaymentDraft(
        amount=paid,
        lines=(PaymentDraftLine(document.number, paid, write_off=fee, **write_off),),
        **common,
    )
