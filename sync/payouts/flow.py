"""Payouts PSP → ERP: every settled order becomes a customer payment on its invoice.

For each waiting payment or refund line of an imported payout:
- bind the document: the order's invoice (ExternalRef INVOICE, written by the
  orders flow) or, for a refund, the order's open credit note (ExternalRef
  CREDIT_NOTE); a line without one is marked unmatched, never guessed;
- map (pure, `payment_draft_for`): a payment of gross − fee applied to the
  invoice with the fee written off under the integration's write-off reason
  code, so the invoice is settled by the gross amount; a refund pays out the
  gross amount against the credit note. Fees of rows that are not payments
  (on refunds, chargebacks, fee rows) were given to one payment of the payout
  at import (`carried_fee`) and are written off with it: every fee of the
  payout reaches the ERP, and the cash booked equals the bank amount;
- exactly once per line: the PAYMENT binding, else a search of the ERP by our
  payment reference, before any create; the binding is committed right after
  the create, then the payment is released;
- record: the line's status, ERP payment number and a message; the payout's status.

An ERP may have no endpoint that lists write-off reason codes (Visma.net has none), so the code is
checked on first use: when the ERP refuses it, the line fails with a message
saying where to fix it, and the rest of the run does not try it again.
"""

from __future__ import annotations

from django.db.models import Q

from config.errors import ApplicationError
from integrations.adapters import erp_for
from integrations.http import ConfigurationError, ConnectionPaused, NotFound, RemoteError, ValidationFailed
from sync import ports
from sync.bindings import binding_get, binding_save
from sync.erp import CREDIT_NOTE, INVOICE, ErpDocument
from sync.flows.base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from sync.models import ExternalRef, Flow, Integration, PayoutLine, RecordLog

from .mapping import payment_draft_for, payment_reference
from .services import payout_line_mark, payout_status_refresh


class Unmatched(Exception):
    """The line names an order that has no invoice (or credit note) in the ERP that we know of."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- the flow
class PayoutsFlow(FlowRunner):
    flow = Flow.PAYOUTS

    def __init__(self, *, integration: Integration, run, dry_run: bool, erp=None):
        super().__init__(integration=integration, run=run, dry_run=dry_run)
        try:
            self.erp = erp or erp_for(integration)
        except ConfigurationError:
            raise ApplicationError(
                f"The payouts flow cannot book payments in {integration.erp.get_system_display()} with this version "
                f"of Koppla; {integration.erp} is {integration.erp.get_system_display()}. Switch the payouts flow of "
                f"{integration} off."
            ) from None
        self.reason_code = integration.fee_writeoff_reason_code.strip()
        self.fee_account = integration.fee_writeoff_account.strip()
        self.reason_code_refused = ""  # the ERP's answer when it refused the code (or the fee account) in this run

    def connections(self) -> list:
        return [self.integration.erp]  # payout files are imported: only the ERP is called

    # -- fetch ---------------------------------------------------------------
    def _lines(self):
        return PayoutLine.objects.filter(payout__integration=self.integration).select_related(
            "payout", "payout__format"
        )

    @staticmethod
    def _item(line: PayoutLine) -> SourceItem:
        what = "refund" if line.kind == PayoutLine.Kind.REFUND else "order"
        return SourceItem(
            source_id=line.source_id,
            label=f"payout {line.payout.reference} row {line.line_no}: {what} {line.order_number}",
            data=line,
        )

    def changed_since(self, cursor: str) -> Plan:
        """Every waiting payment and refund line of the integration's payouts (the cursor is not used)."""
        lines = list(
            self._lines()
            .filter(kind__in=[PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND], status=PayoutLine.Status.PENDING)
            .order_by("payout_id", "line_no")
        )
        return Plan(items=[self._item(line) for line in lines], total=len(lines))

    def fetch(self, source_id: str) -> SourceItem:
        payout_id, _, line_no = source_id.partition(":")
        line = None
        if payout_id.isdigit() and line_no.isdigit():
            line = self._lines().filter(payout_id=int(payout_id), line_no=int(line_no)).first()
        if line is None:
            raise RecordFailed(f"Payout line {source_id} no longer exists (was its payout deleted?).")
        if line.kind not in (PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND):
            raise RecordFailed(
                f"Row {line.line_no} of payout {line.payout.reference} is a {line.kind} line: nothing to book."
            )
        return self._item(line)

    # -- process ---------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        line: PayoutLine = item.data
        try:
            outcome = self._book(line)
        except Unmatched as exc:
            payout_line_mark(line=line, status=PayoutLine.Status.UNMATCHED, message=exc.message, target_id="")
            outcome = Outcome(status=RecordLog.Status.SKIPPED, message=exc.message)
        except RecordFailed as exc:
            payout_line_mark(line=line, status=PayoutLine.Status.FAILED, message=exc.message)
            raise
        except ConnectionPaused:
            raise  # a wait, not a failure: the line stays as it is and is booked after the pause
        except RemoteError as exc:
            from sync.engine import remote_error_message

            payout_line_mark(line=line, status=PayoutLine.Status.FAILED, message=remote_error_message(exc))
            raise
        except Exception as exc:
            payout_line_mark(
                line=line, status=PayoutLine.Status.FAILED, message=f"Unexpected error ({type(exc).__name__}): {exc}"
            )
            raise
        payout_status_refresh(payout=line.payout)
        return outcome

    def _book(self, line: PayoutLine) -> Outcome:
        reference = payment_reference(line)
        bound = binding_get(integration=self.integration, kind=ExternalRef.Kind.PAYMENT, source_id=line.source_id)
        if bound is not None:
            return self._finish(line, bound.target_id, payment_type=bound.data.get("type", "Payment"), found="binding")

        refund = line.kind == PayoutLine.Kind.REFUND
        payment_type = "Refund" if refund else "Payment"
        if refund:
            notes = self._credit_notes_of(line)
            found = None
            for customer_number in dict.fromkeys(n.customer_number for n in notes):
                found = self.erp.payment_find(reference, customer_number=customer_number)
                if found is not None:
                    break
            if found is not None:
                applied = set(found.document_numbers)
                document = next((n for n in notes if n.number in applied), notes[0])
            else:
                document = self._open_credit_note(line, notes)
        else:
            document = self._invoice_for(line)
            found = self.erp.payment_find(reference, document_number=document.number)
        if found is not None:  # created earlier, binding lost: adopt it
            number = found.number
            self._bind(line, number, document, payment_type)
            return self._finish(line, number, payment_type=payment_type, found="search")

        draft = payment_draft_for(
            line,
            document,
            reason_code=self.reason_code,
            fee_account=self.fee_account,
            capabilities=self.erp.capabilities,
            cash_account=self.integration.payment_cash_account.strip(),
            reference=reference,
            erp_name=self.erp.display_name,
        )
        self.payload = self.erp.payment_request(draft)
        if self.dry_run:
            return Outcome(
                status=RecordLog.Status.DRY_RUN,
                request=self.payload,
                message=f"Would book a {payment_type.lower()} of {draft.amount} on {document.number}.",
            )
        if (line.fee or line.carried_fee) and not refund and self.reason_code_refused:
            raise RecordFailed(self.reason_code_refused, request=self.payload)
        try:
            number = self.erp.payment_book(draft)
        except (ValidationFailed, NotFound) as exc:  # NotFound: e.g. an account the ERP has not got
            raise self._refusal(line, exc) from exc
        self._bind(line, number, document, payment_type)
        return self._finish(line, number, payment_type=payment_type, found="")

    # -- bind ------------------------------------------------------------------
    def _invoice_for(self, line: PayoutLine) -> ErpDocument:
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.INVOICE, source_id=line.order_number)
        if ref is None:
            raise Unmatched(
                f"No invoice in {self.erp.display_name} is known for order {line.order_number}: the orders flow has not exported "
                "it (or it was invoiced outside Koppla). Export the order, then resync this line; nothing was booked."
            )
        document = self.erp.document_get(INVOICE, ref.target_id)
        if document is None:
            raise RecordFailed(
                f"Invoice {ref.target_id} of order {line.order_number} no longer exists in {self.erp.display_name}: "
                "check the order's external reference, then resync this line."
            )
        return document

    def _credit_notes_of(self, line: PayoutLine) -> list[ErpDocument]:
        """The credit notes of the refund's order, as the ERP has them now."""
        order = line.order_number
        matches = Q(data__order_number=order)
        if order.isdigit():
            matches |= Q(data__order_number=int(order))
        refs = list(
            ExternalRef.objects.filter(integration=self.integration, kind=ExternalRef.Kind.CREDIT_NOTE)
            .filter(matches)
            .order_by("synced_at")
        )
        found = (self.erp.document_get(CREDIT_NOTE, ref.target_id) for ref in refs)
        notes = [note for note in found if note is not None]
        if not notes:
            raise Unmatched(
                f"No credit note in {self.erp.display_name} is known for a refund of order {order}: the refunds flow has not "
                "exported the return. Export it, then resync this line; nothing was booked."
            )
        return notes

    def _open_credit_note(self, line: PayoutLine, notes: list[ErpDocument]) -> ErpDocument:
        """The order's credit note with exactly the refunded amount still open (no guessing between amounts)."""
        for note in notes:
            if note.released and not note.settled and note.balance == line.gross:
                return note
        seen = ", ".join(f"{n.number} ({n.status}, open {n.balance})" for n in notes)
        raise Unmatched(
            f"No credit note of order {line.order_number} has {line.gross} {line.currency} open to refund: "
            f"found {seen}. Check the return in {self.erp.display_name}, then resync this line; nothing was booked."
        )

    def _bind(self, line: PayoutLine, number: str, document: ErpDocument, payment_type: str) -> None:
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.PAYMENT,
            source_id=line.source_id,
            target_id=number,
            data={
                "type": payment_type,
                "document": document.number,
                "customer_number": document.customer_number,
                "order_number": line.order_number,
                "gross": str(line.gross),
                "fee": str(line.fee),
                "carried_fee": str(line.carried_fee),
                "payout": line.payout.reference,
            },
        )

    # -- write -----------------------------------------------------------------
    def _refusal(self, line: PayoutLine, exc: ValidationFailed | NotFound) -> RecordFailed:
        said = exc.message
        lowered = said.lower()
        code = self.reason_code
        if (
            (line.fee or line.carried_fee)
            and code
            and ("reason code" in lowered or "writeoffreasoncode" in lowered or code.lower() in lowered)
        ):
            erp = self.erp.display_name
            self.reason_code_refused = (
                f"{erp} refused the fee write-off reason code '{code}' of {self.integration}: {said} "
                f"Create the reason code in {erp} (usage: balance write-off) or enter an existing one under "
                "Integrations › Payouts, then resync the failed payout lines."
            )
            return RecordFailed(self.reason_code_refused, request=self.payload, response=exc.body)
        account = self.fee_account
        if (line.fee or line.carried_fee) and account and ports.PAYMENT_WRITE_OFF_ACCOUNT in self.erp.capabilities:
            if "account" in lowered or account in lowered:
                erp = self.erp.display_name
                self.reason_code_refused = (
                    f"{erp} refused the fee write-off account {account} of {self.integration}: {said} "
                    f"Add the account to {erp}'s chart of accounts or enter an existing one under "
                    "Integrations › Payouts, then resync the failed payout lines."
                )
                return RecordFailed(self.reason_code_refused, request=self.payload, response=exc.body)
        return RecordFailed(
            f"{self.erp.display_name} refused the payment for order {line.order_number}: {said}",
            request=self.payload,
            response=exc.body,
        )

    def _finish(self, line: PayoutLine, number: str, *, payment_type: str, found: str) -> Outcome:
        """Release the payment unless it already is, then mark the line booked."""
        erp = self.erp.display_name
        payment = self.erp.payment_get(number)
        if payment is None:
            raise RecordFailed(
                f"Payment {number}, booked earlier for this line, no longer exists in {erp}. If it was deleted on "
                "purpose, delete its external reference (Payment, source "
                f"{line.source_id}) and resync the line."
            )
        status = payment.status
        if payment.on_hold:
            raise RecordFailed(
                f"Payment {number} is on hold in {erp}: take it off hold, then resync this line to release it."
            )
        released = ""
        if payment.awaiting_release:
            refund = payment.refund if payment.refund is not None else payment_type == "Refund"
            status = self.erp.payment_post(number, refund=refund) or status
            released = " and released"
        document = payment.document_numbers[0] if payment.document_numbers else ""
        paid = payment.amount_paid
        written_off = payment.written_off
        if payment_type == "Refund":
            message = f"Refund {number}: {paid} paid out against credit note {document}"
            if line.fee:
                carrier = line.payout.lines.filter(carried_fee__gt=0).first()
                message += (
                    f" (the provider's fee {line.fee} on this refund is written off with the payment of row "
                    f"{carrier.line_no})"
                    if carrier
                    else f" (the provider's fee {line.fee} on this refund: no payment of the payout carries it, "
                    "book it by hand)"
                )
        else:
            message = f"Payment {number}: {paid} paid on invoice {document}"
            if written_off:
                if payment.write_off_account:
                    message += f", fee {written_off} written off to account {payment.write_off_account}"
                else:
                    message += f", fee {written_off} written off ({payment.write_off_reason})"
                if line.carried_fee:
                    message += f", incl. {line.carried_fee} of the payout's refund, chargeback and fee rows"
        origin = {"binding": " (found through its binding)", "search": f" (found in {erp} by its reference)"}
        message += f"{released}{origin.get(found, '')}."
        payout_line_mark(line=line, status=PayoutLine.Status.BOOKED, message=message, target_id=number)
        return Outcome(
            status=RecordLog.Status.SKIPPED if found and not released else RecordLog.Status.OK,
            target_id=number,
            request=getattr(self, "payload", None),
            response={"payment": number, "status": status},
            message=message,
        )
