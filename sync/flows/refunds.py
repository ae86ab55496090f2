"""Refunds shop → ERP: each refunded return becomes one released Visma.net credit note, exactly once.

The credit note goes to the customer of the order's invoice, with the tax
mapping the invoice used (`credit_note_draft`), lines and shipping as
refunded. It is left open (not applied to the invoice) so that the payout
flow can settle it against the PSP's refund. A refund for an order Koppla
never invoiced fails with that message.
"""

from __future__ import annotations

from integrations.http import ValidationFailed
from sync.bindings import binding_get, binding_save, credit_note_refs
from sync.models import ExternalRef, Flow
from sync.shop import ShopOrder, ShopRefund

from .base import Outcome, Plan, RecordFailed, SourceItem, unreadable_item
from .centra_adapter import order_from_centra, refund_from_centra
from .erp_documents import (
    RELEASED,
    DocumentReading,
    ShopToErpFlow,
    credit_note_payload,
    credit_note_precheck,
    credit_note_reference,
    figures_read,
)
from .figures import Figures, figures_data, figures_from
from .order_mapping import invoice_draft
from .orders import invoice_number_of
from .paging import cursor_moment, listing_plan, refs_for
from .refund_mapping import CreditNoteDraft, credit_note_draft

# Return states in which the money has gone back to the shopper.
REFUNDED_STATUSES = ("COMPLETED",)


class RefundsFlow(ShopToErpFlow):
    flow = Flow.REFUNDS

    def _item(self, node: dict) -> SourceItem:
        try:
            refund = refund_from_centra(node)
        except RecordFailed as exc:
            return unreadable_item(node, exc, what="return")
        done = bool(node.get("refunded")) or str(node.get("status") or "").upper() in REFUNDED_STATUSES
        return SourceItem(
            source_id=refund.id,
            label=f"return {refund.id} of order {refund.order_number}",
            data=(refund, done),
            cursor=refund.updated_at,
        )

    def changed_since(self, cursor: str) -> Plan:
        """Returns stamped from the cursor minus the overlap on, in updatedAt order (credited ones are
        skipped by their credit-note binding when processed)."""
        nodes = self.shop.returns_changed(updated_from=cursor_moment(cursor))
        return listing_plan(nodes, cursor, self._item, done=self._credited)

    def _credited(self, items: list[SourceItem]) -> set[str]:
        """Returns of the page already credited with a released credit note: nothing to do, nothing to log."""
        refs = refs_for(
            integration=self.integration, kind=ExternalRef.Kind.CREDIT_NOTE, source_ids=[i.source_id for i in items]
        )
        return {return_id for return_id, ref in refs.items() if (ref.data or {}).get("released")}

    def fetch(self, source_id: str) -> SourceItem:
        return self._item(self.shop_record(self.shop.return_get(source_id), f"Return {source_id}"))

    def process(self, item: SourceItem) -> Outcome:
        refund, done = item.data
        refund: ShopRefund
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.CREDIT_NOTE, source_id=refund.id)
        if ref and (ref.data or {}).get("released"):
            return Outcome(status="skipped", target_id=ref.target_id, message=f"Already credited as {ref.target_id}.")
        if not done and not ref:
            return Outcome(
                status="skipped", message=f"Return {refund.id} is not refunded yet; it is credited once it is."
            )
        invoice = binding_get(
            integration=self.integration, kind=ExternalRef.Kind.INVOICE, source_id=refund.order_number
        )
        if invoice is None or not (invoice.data or {}).get("released"):
            raise RecordFailed(
                f"Return {refund.id} refunds order {refund.order_number}, which Koppla has not invoiced "
                "(no released invoice is bound to it). Invoice the order first (Orders flow), or credit it by hand."
            )
        node = self.shop_record(
            self.shop.order_get(refund.order_number), f"Order {refund.order_number} of return {refund.id}"
        )
        order = order_from_centra(node)
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
        )
        if not draft.customer_number:
            raise RecordFailed(
                f"The invoice binding of order {refund.order_number} has no customer number; resync the order."
            )
        if not ref:
            credit_note_precheck(draft)
        if self.dry_run:
            payload = credit_note_payload(draft, vat_ids={})
            return Outcome(status="dry_run", request=payload.body())

        number, created = self._credit_note_ensure(draft, ref)
        self._release(draft, number, check_status=not created)
        bound = binding_get(integration=self.integration, kind=ExternalRef.Kind.CREDIT_NOTE, source_id=refund.id)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CREDIT_NOTE,
            source_id=refund.id,
            target_id=number,
            data={**(bound.data if bound else {}), **self._binding_data(draft), "released": True},
        )
        return Outcome(
            status="ok",
            target_id=number,
            request=self.payload,
            response={"credit_note": number, "invoice": draft.invoice_number, "customer": draft.customer_number},
            message=(
                f"Credit note {number} for return {refund.id} of order {refund.order_number}: net {draft.net_total} "
                f"+ VAT {draft.vat_total} = {draft.gross_total} {draft.currency} (VAT per category: "
                + "; ".join(f"{t.vat_category} {t.taxable} + {t.vat}" for t in draft.tax_details)
                + ("; reverses all that was left of the invoice)." if draft.full else ").")
            ),
        )

    def _invoiced(self, order: ShopOrder, invoice: ExternalRef) -> tuple[Figures, str]:
        """What the order's invoice booked (its binding's figures) and its VAT zone. An invoice bound before
        Koppla stored figures is read from the ERP, as it was booked."""
        figures = figures_from(invoice.data)
        if figures is None or not figures.known:
            document = self.erp.invoice_get(invoice.target_id)
            figures = figures_read(document, self._reading(order))
            return figures, str((document.get("customerVatZone") or {}).get("id") or "")
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
                figures = figures_read(self.erp.credit_note_get(ref.target_id), self._reading(order))
            result.append(figures)
        return result

    def _reading(self, order: ShopOrder) -> DocumentReading:
        _currency, places = self.mappings.currencies.get(order.currency, (order.currency, 2))
        shipping_items = {item for item, _description, _account in self.mappings.shipping.values() if item}
        return DocumentReading(vat_ids=self.vat_ids, places=places, shipping_items=shipping_items)

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

    def _credit_note_ensure(self, draft: CreditNoteDraft, ref: ExternalRef | None) -> tuple[str, bool]:
        if ref:
            return ref.target_id, False
        found = self.erp.credit_note_find(credit_note_reference(draft.refund_id))
        if found:
            number = invoice_number_of(found)
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.CREDIT_NOTE,
                source_id=draft.refund_id,
                target_id=number,
                data={**self._binding_data(draft), "found_by": "search"},
            )
            return number, False
        payload = credit_note_payload(draft, vat_ids=self.vat_ids)
        self.payload = payload.body()
        number = self.erp.credit_note_create(payload)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CREDIT_NOTE,
            source_id=draft.refund_id,
            target_id=number,
            data=self._binding_data(draft),
        )
        return number, True

    def _release(self, draft: CreditNoteDraft, number: str, *, check_status: bool) -> None:
        if check_status and self.erp.credit_note_get(number).get("status") in RELEASED:
            return
        try:
            self.erp.credit_note_release(number)
        except ValidationFailed as exc:
            raise RecordFailed(
                f"Credit note {number} for return {draft.refund_id} was created, but Visma.net refused to release "
                f"it: {exc.message}. Fix it in Visma.net and resync: the resync releases this same credit note.",
                response=exc.body,
            ) from exc
