"""Orders shop → ERP: each order becomes one ERP document, exactly once: a released (posted) customer invoice,
or a sales order, as the integration's order_document says (order_documents.py); or, for sales journal
entries, its shares of its day's entries, which the journal flow sends (order_journal.py, journal.py).

fetch: orders in the integration's allowed statuses, created on/after the
cut-off date, changed since the cursor (re-read with an overlap), not yet
invoiced (released ones are left out by their binding, without a log).
map:   `invoice_draft` (pure; tax zone, VAT, accounts, shipping, payment).
bind:  ExternalRef(<document kind>, order number), else a search of the document by
       the order number (the ERP adapter's reference); the customer by binding, else by
       e-mail. An order bound as another document type (the setting changed) is not sent again.
write: create the customer if needed, create the document, commit the binding
       at once, then release an invoice (sync.bindings.document_ensure). A failed release
       leaves the binding, so the resync releases the same invoice instead of
       creating another. A sales order is not released: the ERP invoices it later.
"""

from __future__ import annotations

from integrations.http import ConnectionPaused, ValidationFailed
from mappings.models import Regime
from sync.bindings import EnsuredDocument, binding_save, bindings_map, document_ensure, intent_drop
from sync.models import ExternalRef, Flow
from sync.shop import ShopOrder, Unreadable

from .base import Outcome, Plan, RecordFailed, SourceItem
from .erp_documents import ShopToErpFlow, customer_key
from .figures import document_totals_text, figures_data
from .order_documents import ORDER_DOCUMENTS, order_document_of
from .order_journal import OrderJournalMixin
from .order_mapping import InvoiceDraft, invoice_draft
from .page_refs import PageRefs
from .paging import cursor_moment, listing_plan


class OrdersFlow(OrderJournalMixin, ShopToErpFlow):
    flow = Flow.ORDERS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._item_numbers: dict[str, str] | None = None
        self.document = order_document_of(self.integration)
        self.page = PageRefs(self.integration)
        self._create_sent = False

    # -- reading ------------------------------------------------------------------
    def _item(self, order: ShopOrder | Unreadable) -> SourceItem:
        if isinstance(order, Unreadable):
            return self.unreadable_item(order, what="order")
        return SourceItem(source_id=order.number, label=order.label, data=order, cursor=order.updated_at)

    def changed_since(self, cursor: str) -> Plan:
        """Orders stamped from the cursor minus the overlap on, in updatedAt order; released ones are left out."""
        paid_only = {"paid_only": True} if self.integration.only_paid_orders else {}
        orders = self.shop.orders_changed(
            statuses=list(self.integration.allowed_order_statuses),
            created_from=self.integration.order_cutoff_date,
            updated_from=cursor_moment(cursor),
            **paid_only,
        )
        return listing_plan(orders, cursor, self._item, done=self._released)

    def _released(self, items: list[SourceItem]) -> set[str]:
        """Orders of the page already sent (as any order document) and released: nothing to do, nothing to log.

        The page's bindings, pending creates and customers' bindings are read here, once for the page
        (PageRefs, ErpCustomers.preload), so processing its orders reads none of them again."""
        numbers = [i.source_id for i in items]
        kinds = [document.binding_kind for document in ORDER_DOCUMENTS.values()]
        # Pending creates of every document type: `_sent_as_another` looks at the other types' too (journal mode).
        self.page.load(source_ids=numbers, kinds=kinds, pending_kinds=kinds)
        done = {number for number in numbers if any(self.page.released(kind, number) for kind in kinds)}
        if self.document is not None and not self.journal_mode and not self.dry_run:
            kind = self.document.binding_kind
            self.page.intend(
                kind,
                [
                    i.source_id
                    for i in items
                    if isinstance(i.data, ShopOrder)
                    and i.source_id not in done
                    and all(self.page.peek(k, i.source_id) is None for k in kinds)
                    and not self.page.pending(kind, i.source_id, keep=True)
                    and not self._not_exportable(i.data)
                ],
            )
        if self.document is not None and not self.journal_mode:
            self.customers.preload(
                customer_key(i.data.customer_email or "")
                for i in items
                if isinstance(i.data, ShopOrder) and i.source_id not in done
            )
        return done | self.journalled(items)

    @property
    def noun(self) -> str:
        return self.document.noun if self.document is not None else "sales journal entry"

    def _sent_as_another(self, order_number: str) -> Outcome | None:
        """Skipped when the order is bound as another document type than the integration's (the setting changed)."""
        for document in ORDER_DOCUMENTS.values():
            if self.document is not None and document.setting == self.document.setting:
                continue
            ref = self.page.take(document.binding_kind, order_number)
            if ref is None and self.page.pending(document.binding_kind, order_number, read=True):
                ref = self._found_as_another(document, order_number)  # its create's answer was lost: look
            if ref is not None:
                return Outcome(
                    status="skipped",
                    target_id=ref.target_id,
                    message=f"Already sent as {document.noun} {ref.target_id}; the integration now sends "
                    f"{self.noun}s, but an order is sent once, so no {self.noun} is made for it.",
                )
        return None

    def _found_as_another(self, document, order_number: str):
        """The document of another type made for the order by an earlier attempt whose answer was lost, bound now;
        None when the ERP has none."""
        found = document.find(self.erp, order_number)
        if found is None:
            return None
        return binding_save(
            integration=self.integration,
            kind=document.binding_kind,
            source_id=order_number,
            target_id=found.number,
            data={"customer_number": found.customer_number, "found_by": "search"},
            new=True,
        )

    def fetch(self, source_id: str) -> SourceItem:
        return self._item(self.shop_record(self.shop.order_get(source_id), f"Order {source_id}"))

    # -- lookups, once per run -----------------------------------------------------
    @property
    def item_numbers(self) -> dict[str, str]:
        """Shop size or article id → ERP item number, from the products flow's bindings (ERP item → shop size,
        or → shop article for shops whose catalogue is flat articles)."""
        if self._item_numbers is None:
            self._item_numbers = {}
            for kind in (ExternalRef.Kind.ARTICLE, ExternalRef.Kind.SIZE):
                bound = bindings_map(integration=self.integration, kind=kind)
                self._item_numbers.update({shop_id: item for item, shop_id in bound.items()})
        return self._item_numbers

    # -- one order ------------------------------------------------------------------
    def _not_exportable(self, order: ShopOrder) -> str:
        allowed = self.integration.allowed_order_statuses
        if order.status not in allowed:
            return f"Order {order.number} is {order.status}; only {', '.join(allowed)} orders are invoiced."
        cutoff = self.integration.order_cutoff_date
        if cutoff and order.created_at[:10] < cutoff.isoformat():
            return f"Order {order.number} was created before the cut-off date {cutoff.isoformat()}."
        if self.integration.only_paid_orders and order.paid is not True:
            return (
                f"Order {order.number} is not paid yet by {self.shop.display_name}'s word; the integration exports "
                "only paid orders, so it goes once it is paid."
            )
        return ""

    def process(self, item: SourceItem) -> Outcome:
        """One order; an intent its page recorded for it is dropped when no create was sent after all (it was
        skipped, refused by a precheck or a mapping, or failed before the ERP was called), so its next attempt
        does not search the ERP first."""
        order: ShopOrder = item.data
        if self.journal_mode:
            return self.journal_queue(order)
        kind = self.document.binding_kind
        intended, self._create_sent = self.page.recorded(kind, order.number), False
        try:
            return self._process(order, intended=intended)
        except ConnectionPaused:
            self.page.drop_unprocessed()  # the run stops here: the page's orders not reached send nothing
            raise
        finally:
            if intended and not self._create_sent:
                intent_drop(integration=self.integration, kind=kind, source_id=order.number)

    def _process(self, order: ShopOrder, *, intended: bool) -> Outcome:
        document = self.document
        ref = self.page.take(document.binding_kind, order.number)
        if ref and (ref.data or {}).get("released"):
            done = "invoiced as" if document.posted else f"sent as {document.noun}"
            return Outcome(status="skipped", target_id=ref.target_id, message=f"Already {done} {ref.target_id}.")
        elsewhere = None if ref else self._sent_as_another(order.number)
        if elsewhere is not None:
            return elsewhere
        reason = self._not_exportable(order)
        if reason and not ref:
            return Outcome(status="skipped", message=reason)
        if not ref and not self.dry_run:
            in_journal = self.journal_withdraw(order.number, document.noun)
            if in_journal is not None:
                return in_journal

        draft = invoice_draft(order, self.mappings, item_numbers=self.item_numbers)
        if not ref:
            # before the customer is resolved: nothing is created for a refused document
            document.precheck(self.erp, draft)
        if self.dry_run:
            request = document.request(self.erp, draft, customer_number=self._dry_run_customer(draft))
            return Outcome(status="dry_run", request=request, message=self._summary(draft))

        ensured = document_ensure(
            integration=self.integration,
            kind=document.binding_kind,
            source_id=order.number,
            ref=ref,
            find=lambda: self._document_find(order, draft),
            create=lambda: self._document_create(draft),
            post=lambda number, check_status: self._release(order, number, check_status=check_status),
            # The figures are those of the invoice as created (kept), none for one found by search.
            posted_data=lambda ensured, bound: self._binding_data(
                draft, self._customer_number(ensured), figures=not bound
            ),
            pending=self.page.pending(document.binding_kind, order.number),
            intended=intended,
        )
        number, customer_number = ensured.number, self._customer_number(ensured)
        if document.posted:
            verb = "Created and released" if ensured.created else "Released"
        else:
            verb = "Created" if ensured.created else "Bound the earlier"
        return Outcome(
            status="ok",
            target_id=number,
            request=self.payload,
            response={document.binding_kind: number, "customer": customer_number},
            message=f"{verb} {document.noun} {number} for customer {customer_number}. {self._summary(draft)}",
        )

    @staticmethod
    def _summary(draft: InvoiceDraft) -> str:
        text = (
            f"{Regime(draft.regime).label}, {draft.country}, {len(draft.lines)} lines, {document_totals_text(draft)}."
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
            if draft.currency_rate is not None:
                data["currency_rate"] = str(draft.currency_rate)
        return data

    @staticmethod
    def _customer_number(ensured: EnsuredDocument) -> str:
        return ensured.data.get("customer_number", "")

    def _dry_run_customer(self, draft: InvoiceDraft) -> str:
        """The customer number a live run would invoice, as far as it is known without writing."""
        if draft.default_customer_number:
            return draft.default_customer_number
        return self.customers.bound(customer_key(draft.customer.email)) or "(new)"

    def _document_find(self, order: ShopOrder, draft: InvoiceDraft) -> tuple[str, dict] | None:
        """The document made for the order earlier (a crash before its binding), found by its reference."""
        found = self.document.find(self.erp, order.number)
        if found is None:
            return None
        # What this draft would book may not be what the found invoice booked: no figures, so a
        # refund reads the invoice back from the ERP.
        return found.number, {
            **self._binding_data(draft, found.customer_number, figures=False),
            "found_by": "search",
        }

    def _document_create(self, draft: InvoiceDraft) -> tuple[str, dict]:
        customer_number, _ = self.customers.resolve(draft.customer, default_number=draft.default_customer_number)
        self.payload = self.document.request(self.erp, draft, customer_number=customer_number)
        self._create_sent = True  # from here the ERP may hold it: the intent stays until it is bound
        number = self.document.create(self.erp, draft, customer_number=customer_number)
        return number, self._binding_data(draft, customer_number)

    def _release(self, order: ShopOrder, number: str, *, check_status: bool) -> None:
        """Release the invoice; one created earlier (a retry) may already be released. A sales order is not."""
        if not self.document.posted:
            return
        if check_status and self.document.get(self.erp, number).released:
            return
        try:
            self.document.post(self.erp, number)
        except ValidationFailed as exc:
            erp = self.erp.display_name
            raise RecordFailed(
                f"Invoice {number} for order {order.number} was created, but {erp} refused to release it: "
                f"{exc.message}. Fix the invoice in {erp} (or the mapping) and resync: the resync releases "
                f"this same invoice, it does not create a new one.",
                response=exc.body,
            ) from exc
