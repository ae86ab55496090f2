"""Invoices and credit notes ERP → shop: what the ERP made of an order is shown on the order.

fetch: the ERP's invoices and credit notes changed since the cursor
       (their change stamp, read with a small overlap), page by page; only
       those Koppla made for shop orders (INVOICE binding: order number →
       invoice; CREDIT_NOTE binding: return → credit note, with the order
       number in its data) and that are released.
map:   number, date, status and, when the ERP holds an attachment, a link to
       it → the order's dynamic attributes (`document_attributes`). An order's
       credit notes share one set of attributes, listed by number.
bind:  ExternalRef DOCUMENT ("invoice:<number>" / "credit_note:<number>" →
       order number) with the checksum of what was attached: each version of
       a document (e.g. Open, later Closed) is attached exactly once.
write: `order_attributes_set` (absolute values, safe to repeat), then the
       binding.
"""

from __future__ import annotations

from dataclasses import replace

from integrations.adapters import erp_for, shop_for
from sync.bindings import binding_get, binding_save, checksum_of
from sync.erp import CREDIT_NOTE, INVOICE, ErpDocument
from sync.models import ExternalRef, Flow
from sync.record_names import record_name

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import ListingCursor, chunks, cursor_moment, refs_by_target, refs_for

PAGE_SIZE = 500
LABELS = {INVOICE: "Invoice", CREDIT_NOTE: "Credit note"}
BINDING_KINDS = {INVOICE: ExternalRef.Kind.INVOICE, CREDIT_NOTE: ExternalRef.Kind.CREDIT_NOTE}
# Attribute type names on the shop order (they must exist as order attributes in the shop).
ATTRIBUTE_PREFIX = {INVOICE: "erp_invoice", CREDIT_NOTE: "erp_credit_note"}


# --------------------------------------------------------------------------- mapping (pure)
def is_shown(document: ErpDocument) -> bool:
    """Documents worth showing in the shop: released, or voided after release."""
    return document.released or document.voided


def document_source_id(document: ErpDocument) -> str:
    return f"{document.kind}:{document.number}"


def document_label(document: ErpDocument) -> str:
    """The document as records name it: "Invoice 100116 (order 20275)", "Credit note 200001 (order 20275)"."""
    return record_name(document.kind, document.number, order=document.order_number)


def document_fields(document: ErpDocument) -> dict:
    return {"number": document.number, "date": document.date, "status": document.status, "pdf": document.link}


def document_checksum(document: ErpDocument) -> str:
    return checksum_of({"order": document.order_number, **document_fields(document)})


def document_attributes(documents: list[ErpDocument]) -> dict[str, str]:
    """Order attributes for the documents of one kind of one order (several: values listed by number)."""
    if not documents:
        return {}
    ordered = sorted(documents, key=lambda d: d.number)
    prefix = ATTRIBUTE_PREFIX[ordered[0].kind]
    attributes = {
        f"{prefix}_number": ", ".join(d.number for d in ordered),
        f"{prefix}_date": ", ".join(d.date for d in ordered),
        f"{prefix}_status": ", ".join(d.status for d in ordered),
    }
    if any(d.link for d in ordered):
        attributes[f"{prefix}_pdf"] = ", ".join(d.link or "-" for d in ordered)
    return attributes


def document_from_binding(ref: ExternalRef) -> ErpDocument | None:
    data = ref.data or {}
    kind, _, number = ref.source_id.partition(":")
    if kind not in LABELS or not number:
        return None
    return ErpDocument(
        kind=kind,
        number=number,
        order_number=ref.target_id,
        date=str(data.get("date") or ""),
        status=str(data.get("status") or ""),
        link=str(data.get("pdf") or ""),
        released=True,
    )


# --------------------------------------------------------------------------- the flow
class DocumentsFlow(FlowRunner):
    flow = Flow.DOCUMENTS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.erp = erp_for(self.integration)
        self.shop = shop_for(self.integration)

    # -- reading --------------------------------------------------------------------
    def _order_number(self, kind: str, ref: ExternalRef) -> str:
        if kind == INVOICE:
            return ref.source_id
        order_number = str((ref.data or {}).get("order_number") or "")
        if not order_number:
            raise RecordFailed(
                f"Credit note {ref.target_id} (return {ref.source_id}) has no order number on its binding: resync "
                "the return in the refunds flow so that Koppla knows which order to show it on."
            )
        return order_number

    def changed_since(self, cursor: str) -> Plan:
        since = cursor_moment(cursor)

        # The ERP lists documents by number, not by change: the cursor moves once both lists are read.
        listing = ListingCursor(cursor, in_stamp_order=False)
        plan = Plan(items=())

        def items():
            for kind in (INVOICE, CREDIT_NOTE):
                for page in chunks(self.erp.documents_changed(kind, updated_from=since), PAGE_SIZE):
                    for document in page:
                        listing.seen(document_source_id(document), document.updated_at)
                    ours = refs_by_target(
                        integration=self.integration, kind=BINDING_KINDS[kind], target_ids=[d.number for d in page]
                    )
                    attached = refs_for(
                        integration=self.integration,
                        kind=ExternalRef.Kind.DOCUMENT,
                        source_ids=[document_source_id(d) for d in page],
                    )
                    for document in page:
                        ref = ours.get(document.number)
                        if ref is None or not is_shown(document):
                            continue  # not a document of a shop order, or not released
                        item = self._item(document, ref)
                        done = attached.get(item.source_id)
                        if (
                            done is not None
                            and isinstance(item.data, ErpDocument)
                            and done.checksum == document_checksum(item.data)
                        ):
                            continue  # this version is on the order already
                        yield item
            plan.read_to = listing.read_to()

        plan.items = items()
        return plan

    def _item(self, document: ErpDocument, ref: ExternalRef) -> SourceItem:
        source_id = document_source_id(document)
        try:
            order_number = self._order_number(document.kind, ref)
        except RecordFailed as exc:
            label = record_name(document.kind, document.number)
            return SourceItem(source_id=source_id, label=label, data=None, error=exc)
        document = replace(document, order_number=str(order_number))
        return SourceItem(source_id=source_id, label=document_label(document), data=document)

    def fetch(self, source_id: str) -> SourceItem:
        kind, _, number = source_id.partition(":")
        if kind not in LABELS or not number:
            raise RecordFailed(
                f"'{source_id}' is not a document of this flow (invoice:<number> or credit_note:<number>)."
            )
        found = self.erp.document_get(kind, number)
        if found is None:
            raise RecordFailed(f"{LABELS[kind]} {number} no longer exists in {self.erp.display_name}.")
        refs = refs_by_target(integration=self.integration, kind=BINDING_KINDS[kind], target_ids=[number])
        ref = refs.get(number)
        if ref is None:
            raise RecordFailed(f"{LABELS[kind]} {number} was not made by Koppla for a shop order: nothing to show.")
        return self._item(found, ref)

    # -- one document -----------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        document: ErpDocument = item.data
        if not is_shown(document):
            return Outcome(
                status="skipped",
                message=f"{LABELS[document.kind]} {document.number} is {document.status}: it is shown once released.",
            )
        source_id = document_source_id(document)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.DOCUMENT, source_id=source_id)
        if ref is not None and ref.checksum == document_checksum(document):
            return Outcome(
                status="skipped",
                target_id=document.order_number,
                message=f"{document_label(document)}: this version is on the order already.",
            )
        attributes = document_attributes([document, *self._siblings(document)])
        request = {"order": document.order_number, "attributes": attributes}
        if self.dry_run:
            return Outcome(status="dry_run", request=request)
        self.payload = request
        self.shop.order_attributes_set(document.order_number, attributes)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.DOCUMENT,
            source_id=source_id,
            target_id=document.order_number,
            data={"order_number": document.order_number, **document_fields(document)},
            checksum=document_checksum(document),
        )
        return Outcome(
            status="ok",
            target_id=document.order_number,
            request=request,
            message=f"{document_label(document)}: shown on the order ({document.status}, {document.date}).",
        )

    def _siblings(self, document: ErpDocument) -> list[ErpDocument]:
        """The order's other documents of the same kind already shown (credit notes: one order may have several)."""
        if document.kind == INVOICE:
            return []
        refs = ExternalRef.objects.filter(
            integration=self.integration,
            kind=ExternalRef.Kind.DOCUMENT,
            target_id=document.order_number,
            source_id__startswith=f"{document.kind}:",
        ).exclude(source_id=document_source_id(document))
        return [d for d in (document_from_binding(ref) for ref in refs) if d is not None]
