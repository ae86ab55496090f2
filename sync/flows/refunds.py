"""Refunds shop → ERP: each refunded return becomes one released (posted) ERP credit note, exactly once.

The credit note goes to the customer of the order's invoice, with the tax
mapping the invoice used (`credit_note_draft`), lines and shipping as
refunded. It is left open (not applied to the invoice) so that the payout
flow can settle it against the PSP's refund. A refund for an order Koppla
never invoiced fails with that message.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from integrations.http import ValidationFailed
from sync.bindings import credit_note_refs, document_ensure
from sync.journal import journal_share_of
from sync.models import ExternalRef, Flow
from sync.record_names import record_name
from sync.shop import ShopOrder, ShopRefund, Unreadable

from .base import Outcome, Plan, RecordFailed, SourceItem
from .erp_documents import ShopToErpFlow, credit_note_precheck, figures_keyed
from .figures import Figures, document_totals_text, figures_data, figures_from
from .order_mapping import invoice_draft
from .page_refs import PageRefs
from .paging import cursor_moment, listing_plan
from .refund_mapping import CreditNoteDraft, credit_note_draft


def invoice_rate(invoice: ExternalRef) -> Decimal | None:
    """The currency rate the order's invoice was sent with (its binding's "currency_rate"), None when it
    was sent without one, was found rather than made by Koppla, or the stored text is not a positive number."""
    try:
        rate = Decimal(str((invoice.data or {}).get("currency_rate") or ""))
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and rate > 0 else None


class RefundsFlow(ShopToErpFlow):
    flow = Flow.REFUNDS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.page = PageRefs(self.integration)

    def _item(self, refund: ShopRefund | Unreadable) -> SourceItem:
        if isinstance(refund, Unreadable):
            return self.unreadable_item(refund, what="return")
        return SourceItem(
            source_id=refund.id,
            label=record_name("return", refund.id, order=refund.order_number),
            data=refund,
            cursor=refund.updated_at,
        )

    def changed_since(self, cursor: str) -> Plan:
        """Returns stamped from the cursor minus the overlap on, in updatedAt order (credited ones are
        skipped by their credit-note binding when processed)."""
        refunds = self.shop.refunds_changed(updated_from=cursor_moment(cursor))
        return listing_plan(refunds, cursor, self._item, done=self._credited)

    def _credited(self, items: list[SourceItem]) -> set[str]:
        """Returns of the page already credited with a released credit note: nothing to do, nothing to log.

        The page's credit-note bindings, pending creates and its orders' invoice bindings are read here at
        once (PageRefs), so processing its returns reads none of them again."""
        kind = ExternalRef.Kind.CREDIT_NOTE
        ids = [i.source_id for i in items]
        orders = [i.data.order_number for i in items if isinstance(i.data, ShopRefund)]
        self.page.load(source_ids=ids, kinds=[kind], pending_kinds=[kind], also={ExternalRef.Kind.INVOICE: orders})
        return {i for i in ids if self.page.released(kind, i)}

    def fetch(self, source_id: str) -> SourceItem:
        return self._item(self.shop_record(self.shop.refund_get(source_id), f"Return {source_id}"))

    def process(self, item: SourceItem) -> Outcome:
        refund: ShopRefund = item.data
        ref = self.page.take(ExternalRef.Kind.CREDIT_NOTE, refund.id)
        if ref and (ref.data or {}).get("released"):
            return Outcome(status="skipped", target_id=ref.target_id, message=f"Already credited as {ref.target_id}.")
        if not refund.refunded and not ref:
            return Outcome(
                status="skipped", message=f"Return {refund.id} is not refunded yet; it is credited once it is."
            )
        invoice = self.page.take(ExternalRef.Kind.INVOICE, refund.order_number)
        if invoice is None:
            share = journal_share_of(integration=self.integration, order_number=refund.order_number)
            if share is not None:
                where = (
                    f"was booked in sales journal entry {share.entry.erp_number or share.entry.reference}"
                    if share.entry
                    else f"is queued for the sales journal entry of {share.day}"
                )
                return Outcome(
                    status="skipped",
                    message=f"Return {refund.id} refunds order {refund.order_number}, which {where}, not invoiced: "
                    "Koppla makes no credit note for it. Book the refund in the ERP by hand (a reversing journal "
                    "entry).",
                )
        if invoice is None or not (invoice.data or {}).get("released"):
            raise RecordFailed(
                f"Return {refund.id} refunds order {refund.order_number}, which Koppla has not invoiced "
                "(no released invoice is bound to it). Invoice the order first (Orders flow), or credit it by hand."
            )
        order: ShopOrder = self.readable(
            self.shop_record(
                self.shop.order_get(refund.order_number), f"Order {refund.order_number} of return {refund.id}"
            )
        )
        invoiced, vat_zone = self._invoiced(order, invoice)
        draft = credit_note_draft(
            refund,
            order,
            self.mappings,
            invoiced=invoiced,
            credited=self._credited_before(order, refund),
            invoice_number=invoice.target_id,
            customer_number=(invoice.data or {}).get("customer_number", ""),
            vat_zone=vat_zone,
            currency_rate=invoice_rate(invoice),
        )
        if not draft.customer_number:
            raise RecordFailed(
                f"The invoice binding of order {refund.order_number} has no customer number; resync the order."
            )
        if not ref:
            credit_note_precheck(self.erp, draft)
        if self.dry_run:
            return Outcome(status="dry_run", request=self.erp.credit_note_request(draft))

        number = document_ensure(
            integration=self.integration,
            kind=ExternalRef.Kind.CREDIT_NOTE,
            source_id=refund.id,
            ref=ref,
            find=lambda: self._credit_note_find(draft),
            create=lambda: self._credit_note_create(draft),
            post=lambda number, check_status: self._release(draft, number, check_status=check_status),
            posted_data=lambda ensured, bound: self._binding_data(draft),
            pending=self.page.pending(ExternalRef.Kind.CREDIT_NOTE, refund.id),
        ).number
        return Outcome(
            status="ok",
            target_id=number,
            request=self.payload,
            response={"credit_note": number, "invoice": draft.invoice_number, "customer": draft.customer_number},
            message=(
                record_name("credit_note", number, detail=f"return {refund.id}", order=refund.order_number)
                + ": "
                + document_totals_text(draft, also="reverses all that was left of the invoice" if draft.full else "")
                + "."
                + ("" if self.integration.post_documents else " Left unposted, as the integration asks: post it in the ERP.")
            ),
        )

    def _invoiced(self, order: ShopOrder, invoice: ExternalRef) -> tuple[Figures, str]:
        """What the order's invoice booked (its binding's figures) and its VAT zone. An invoice bound before
        Koppla stored figures is read from the ERP, as it was booked."""
        figures = figures_from(invoice.data)
        if figures is None or not figures.known:
            document = self.erp.invoice_get(invoice.target_id, figures=True)
            return self._keyed(order, document.figures), document.vat_zone
        zone = (invoice.data or {}).get("vat_zone", "")
        if not zone:
            zone = invoice_draft(order, self.mappings, item_numbers={}).vat_zone
        return figures, zone

    def _credited_before(self, order: ShopOrder, refund: ShopRefund) -> list[Figures]:
        """Figures of the order's earlier credit notes: as stored, or read from the ERP for older ones."""
        result = []
        for ref in credit_note_refs(integration=self.integration, order_number=order.number, exclude=refund.id):
            figures = figures_from(ref.data)
            if figures is None or not figures.known:
                figures = self._keyed(order, self.erp.credit_note_get(ref.target_id, figures=True).figures)
            result.append(figures)
        return result

    def _keyed(self, order: ShopOrder, figures: Figures) -> Figures:
        """Figures read back from the ERP, keyed and rounded as Koppla stores its own."""
        _currency, places = self.mappings.currencies.get(order.currency, (order.currency, 2))
        shipping_items = {item for item, _description, _account in self.mappings.shipping.values() if item}
        return figures_keyed(figures, places=places, shipping_items=shipping_items)

    @staticmethod
    def _binding_data(draft: CreditNoteDraft) -> dict:
        return {
            "order_number": draft.order_number,
            "invoice_number": draft.invoice_number,
            "customer_number": draft.customer_number,
            "currency": draft.currency,
            "total": str(draft.gross_total),
            "figures": figures_data(draft.lines, draft.tax_details, draft.gross_total),
        }

    def _credit_note_find(self, draft: CreditNoteDraft) -> tuple[str, dict] | None:
        """The credit note made for the return earlier (a crash before its binding), found by its reference."""
        found = self.erp.credit_note_find(draft.refund_id)
        if found is None:
            return None
        return found.number, {**self._binding_data(draft), "found_by": "search"}

    def _credit_note_create(self, draft: CreditNoteDraft) -> tuple[str, dict]:
        self.payload = self.erp.credit_note_request(draft)
        return self.erp.credit_note_create(draft), self._binding_data(draft)

    def _release(self, draft: CreditNoteDraft, number: str, *, check_status: bool) -> None:
        """Release the credit note, unless the integration leaves documents unposted (post_documents)."""
        if not self.integration.post_documents:
            return
        if check_status and self.erp.credit_note_get(number).released:
            return
        try:
            self.erp.credit_note_post(number)
        except ValidationFailed as exc:
            erp = self.erp.display_name
            raise RecordFailed(
                f"Credit note {number} for return {draft.refund_id} was created, but {erp} refused to release "
                f"it: {exc.message}. Fix it in {erp} and resync: the resync releases this same credit note.",
                response=exc.body,
            ) from exc
