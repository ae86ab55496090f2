"""Orders shop → ERP: each order becomes one released Visma.net customer invoice, exactly once.

fetch: orders in the integration's allowed statuses, created on/after the
cut-off date, changed since the cursor (re-read with an overlap), not yet
invoiced (released ones are left out by their binding, without a log).
map:   `invoice_draft` (pure; tax zone, VAT, accounts, shipping, payment).
bind:  ExternalRef(invoice, order number), else an invoice search by the order
       number in customerRefNumber; the customer by binding, else by e-mail.
write: create the customer if needed, create the invoice, commit the binding
       at once, then release. A failed release leaves the binding, so the
       resync releases the same invoice instead of creating another.
"""

from __future__ import annotations

from integrations.http import ValidationFailed
from mappings.models import Regime
from sync.bindings import binding_get, binding_save, bindings_map
from sync.models import ExternalRef, Flow
from sync.shop import ShopOrder

from .base import Outcome, Plan, RecordFailed, SourceItem, unreadable_item
from .centra_adapter import order_from_centra
from .erp_documents import RELEASED, ShopToErpFlow, invoice_payload, invoice_precheck
from .figures import figures_data
from .order_mapping import InvoiceDraft, invoice_draft
from .paging import cursor_moment, listing_plan, refs_for


def invoice_number_of(document: dict) -> str:
    return str(document.get("referenceNumber") or document.get("number") or "")


class OrdersFlow(ShopToErpFlow):
    flow = Flow.ORDERS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._item_numbers: dict[str, str] | None = None

    # -- reading ------------------------------------------------------------------
    def _item(self, node: dict) -> SourceItem:
        try:
            order = order_from_centra(node)
        except RecordFailed as exc:
            return unreadable_item(node, exc, what="order", id_key="number")
        return SourceItem(source_id=order.number, label=order.label, data=order, cursor=order.updated_at)

    def changed_since(self, cursor: str) -> Plan:
        """Orders stamped from the cursor minus the overlap on, in updatedAt order; released ones are left out."""
        nodes = self.shop.orders_changed(
            statuses=list(self.integration.allowed_order_statuses),
            created_from=self.integration.order_cutoff_date,
            updated_from=cursor_moment(cursor),
        )
        return listing_plan(nodes, cursor, self._item, done=self._released)

    def _released(self, items: list[SourceItem]) -> set[str]:
        """Orders of the page already invoiced and released: nothing to do, nothing to log."""
        refs = refs_for(
            integration=self.integration, kind=ExternalRef.Kind.INVOICE, source_ids=[i.source_id for i in items]
        )
        return {number for number, ref in refs.items() if (ref.data or {}).get("released")}

    def fetch(self, source_id: str) -> SourceItem:
        return self._item(self.shop_record(self.shop.order_get(source_id), f"Order {source_id}"))

    # -- lookups, once per run -----------------------------------------------------
    @property
    def item_numbers(self) -> dict[str, str]:
        """Shop size id → ERP item number, from the products flow's bindings (ERP item → shop size)."""
        if self._item_numbers is None:
            sizes = bindings_map(integration=self.integration, kind=ExternalRef.Kind.SIZE)
            self._item_numbers = {size_id: item for item, size_id in sizes.items()}
        return self._item_numbers

    # -- one order ------------------------------------------------------------------
    def _not_exportable(self, order: ShopOrder) -> str:
        allowed = self.integration.allowed_order_statuses
        if order.status not in allowed:
            return f"Order {order.number} is {order.status}; only {', '.join(allowed)} orders are invoiced."
        cutoff = self.integration.order_cutoff_date
        if cutoff and order.created_at[:10] < cutoff.isoformat():
            return f"Order {order.number} was created before the cut-off date {cutoff.isoformat()}."
        return ""

    def process(self, item: SourceItem) -> Outcome:
        order: ShopOrder = item.data
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.INVOICE, source_id=order.number)
        if ref and (ref.data or {}).get("released"):
            return Outcome(status="skipped", target_id=ref.target_id, message=f"Already invoiced as {ref.target_id}.")
        reason = self._not_exportable(order)
        if reason and not ref:
            return Outcome(status="skipped", message=reason)

        draft = invoice_draft(order, self.mappings, item_numbers=self.item_numbers)
        if not ref:
            invoice_precheck(draft)  # before the customer is resolved: nothing is created for a refused invoice
        if self.dry_run:
            payload = invoice_payload(draft, customer_number=draft.default_customer_number or "(new)", vat_ids={})
            return Outcome(status="dry_run", request=payload.body(), message=self._summary(draft))

        number, customer_number, created = self._invoice_ensure(order, draft, ref)
        self._release(order, number, check_status=not created)
        bound = binding_get(integration=self.integration, kind=ExternalRef.Kind.INVOICE, source_id=order.number)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.INVOICE,
            source_id=order.number,
            target_id=number,
            data={
                **(bound.data if bound else {}),
                # The figures are those of the invoice as created (kept), none for one found by search.
                **self._binding_data(draft, customer_number, figures=not (bound and bound.data)),
                "released": True,
            },
        )
        verb = "Created and released" if created else "Released"
        return Outcome(
            status="ok",
            target_id=number,
            request=self.payload,
            response={"invoice": number, "customer": customer_number},
            message=f"{verb} invoice {number} for customer {customer_number}. {self._summary(draft)}",
        )

    @staticmethod
    def _summary(draft: InvoiceDraft) -> str:
        vat = "; ".join(f"{t.vat_category} {t.taxable} + {t.vat}" for t in draft.tax_details)
        text = (
            f"{Regime(draft.regime).label}, {draft.country}, {len(draft.lines)} lines, net {draft.net_total} + VAT "
            f"{draft.vat_total} = {draft.gross_total} {draft.currency} (VAT per category: {vat})."
        )
        if draft.note:
            text += f" Taxed so because {draft.note}."
        if draft.warnings:
            text += " Warning: " + " ".join(draft.warnings)
        return text

    @staticmethod
    def _binding_data(draft: InvoiceDraft, customer_number: str, *, figures: bool = True) -> dict:
        data = {
            "customer_number": customer_number,
            "currency": draft.currency,
            "total": str(draft.gross_total),
            "regime": draft.regime,
        }
        if figures:
            data["vat_zone"] = draft.vat_zone
            data["figures"] = figures_data(draft.lines, draft.tax_details, draft.gross_total)
        return data

    def _invoice_ensure(self, order: ShopOrder, draft: InvoiceDraft, ref: ExternalRef | None) -> tuple[str, str, bool]:
        """(invoice number, customer number, created now): the binding, else a search, else a create."""
        if ref:
            return ref.target_id, (ref.data or {}).get("customer_number", ""), False
        found = self.erp.invoice_find(order.number)
        if found:
            number = invoice_number_of(found)
            customer_number = str((found.get("customer") or {}).get("number") or "")
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.INVOICE,
                source_id=order.number,
                target_id=number,
                # What this draft would book may not be what the found invoice booked: no figures, so a
                # refund reads the invoice back from the ERP.
                data={**self._binding_data(draft, customer_number, figures=False), "found_by": "search"},
            )
            return number, customer_number, False

        customer_number, _ = self.customers.resolve(draft.customer, default_number=draft.default_customer_number)
        payload = invoice_payload(draft, customer_number=customer_number, vat_ids=self.vat_ids)
        self.payload = payload.body()
        number = self.erp.invoice_create(payload)
        # The binding is committed right after the create, before anything else can fail.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.INVOICE,
            source_id=order.number,
            target_id=number,
            data=self._binding_data(draft, customer_number),
        )
        return number, customer_number, True

    def _release(self, order: ShopOrder, number: str, *, check_status: bool) -> None:
        """Release the invoice; one created earlier (a retry) may already be released."""
        if check_status and self.erp.invoice_get(number).get("status") in RELEASED:
            return
        try:
            self.erp.invoice_release(number)
        except ValidationFailed as exc:
            raise RecordFailed(
                f"Invoice {number} for order {order.number} was created, but Visma.net refused to release it: "
                f"{exc.message}. Fix the invoice in Visma.net (or the mapping) and resync: the resync releases "
                f"this same invoice, it does not create a new one.",
                response=exc.body,
            ) from exc
