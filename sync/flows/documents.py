"""Invoices and credit notes ERP → shop: what the ERP made of an order is shown on the order.

fetch: Visma.net invoices and credit notes changed since the cursor
       (lastModifiedDateTime, read with a small overlap), page by page; only
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

from dataclasses import dataclass

from integrations.clients import client_for
from integrations.http import NotFound
from integrations.visma_net.client import filter_time
from sync.bindings import binding_get, binding_save, checksum_of
from sync.models import ExternalRef, Flow

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import ListingCursor, chunks, cursor_moment, refs_by_target, refs_for

PAGE_SIZE = 500
INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
# Document states worth showing in the shop: released (Open, Closed), or voided after release.
SHOWN_STATUSES = ("Open", "Closed", "Voided")
LABELS = {INVOICE: "Invoice", CREDIT_NOTE: "Credit note"}
BINDING_KINDS = {INVOICE: ExternalRef.Kind.INVOICE, CREDIT_NOTE: ExternalRef.Kind.CREDIT_NOTE}
LIST_PATHS = {INVOICE: "/v1/customerinvoice", CREDIT_NOTE: "/v1/customerCreditNote"}
# Attribute type names on the shop order (they must exist as order attributes in Centra).
ATTRIBUTE_PREFIX = {INVOICE: "erp_invoice", CREDIT_NOTE: "erp_credit_note"}


@dataclass(frozen=True)
class ErpDocument:
    kind: str  # INVOICE or CREDIT_NOTE
    number: str
    order_number: str
    date: str
    status: str
    link: str = ""  # the newest attachment in the ERP (opening it needs an ERP login)

    @property
    def source_id(self) -> str:
        return f"{self.kind}:{self.number}"

    @property
    def label(self) -> str:
        return f"{LABELS[self.kind]} {self.number} of order {self.order_number}"

    def fields(self) -> dict:
        return {"number": self.number, "date": self.date, "status": self.status, "pdf": self.link}

    @property
    def checksum(self) -> str:
        return checksum_of({"order": self.order_number, **self.fields()})


# --------------------------------------------------------------------------- mapping (pure)
def document_number(node: dict) -> str:
    return str(node.get("referenceNumber") or node.get("number") or "")


def attachment_link(node: dict, *, erp_base_url: str) -> str:
    """Link to the document's newest attachment (the ERP's PDF), '' when it has none."""
    attachments = [a for a in node.get("attachments") or [] if a.get("id")]
    if not attachments:
        return ""
    newest = max(attachments, key=lambda a: int(a.get("revision") or 0))
    return f"{erp_base_url.rstrip('/')}/v1/attachment/{newest['id']}"


def document_from_visma(kind: str, node: dict, *, order_number: str, erp_base_url: str) -> ErpDocument:
    return ErpDocument(
        kind=kind,
        number=document_number(node),
        order_number=str(order_number),
        date=str(node.get("documentDate") or "")[:10],
        status=str(node.get("status") or ""),
        link=attachment_link(node, erp_base_url=erp_base_url),
    )


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
    )


# --------------------------------------------------------------------------- the flow
class DocumentsFlow(FlowRunner):
    flow = Flow.DOCUMENTS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.erp = client_for(self.integration.erp)
        self.shop = client_for(self.integration.shop)
        self.erp_base_url = self.integration.erp.base_url

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

    def _list(self, kind: str, since):
        """Documents changed since `since`, with their attachments (the list leaves them out unless asked)."""
        params: dict = {"expandAttachments": True}
        if since is not None:
            params.update(lastModifiedDateTime=filter_time(since), lastModifiedDateTimeCondition=">=")
        return self.erp.pages(LIST_PATHS[kind], params)

    def changed_since(self, cursor: str) -> Plan:
        since = cursor_moment(cursor)

        # Visma.net lists documents by number, not by change: the cursor moves once both lists are read.
        listing = ListingCursor(cursor, in_stamp_order=False)
        plan = Plan(items=())

        def items():
            for kind in (INVOICE, CREDIT_NOTE):
                for page in chunks(self._list(kind, since), PAGE_SIZE):
                    for node in page:
                        listing.seen(f"{kind}:{document_number(node)}", str(node.get("lastModifiedDateTime") or ""))
                    ours = refs_by_target(
                        integration=self.integration,
                        kind=BINDING_KINDS[kind],
                        target_ids=[document_number(n) for n in page],
                    )
                    attached = refs_for(
                        integration=self.integration,
                        kind=ExternalRef.Kind.DOCUMENT,
                        source_ids=[f"{kind}:{document_number(n)}" for n in page],
                    )
                    for node in page:
                        ref = ours.get(document_number(node))
                        if ref is None or str(node.get("status") or "") not in SHOWN_STATUSES:
                            continue  # not a document of a shop order, or not released
                        item = self._item(kind, node, ref)
                        done = attached.get(item.source_id)
                        if (
                            done is not None
                            and isinstance(item.data, ErpDocument)
                            and done.checksum == item.data.checksum
                        ):
                            continue  # this version is on the order already
                        yield item
            plan.read_to = listing.read_to()

        plan.items = items()
        return plan

    def _item(self, kind: str, node: dict, ref: ExternalRef) -> SourceItem:
        number = document_number(node)
        source_id = f"{kind}:{number}"
        try:
            order_number = self._order_number(kind, ref)
        except RecordFailed as exc:
            return SourceItem(source_id=source_id, label=f"{LABELS[kind]} {number}", data=None, error=exc)
        document = document_from_visma(kind, node, order_number=order_number, erp_base_url=self.erp_base_url)
        return SourceItem(source_id=source_id, label=document.label, data=document)

    def fetch(self, source_id: str) -> SourceItem:
        kind, _, number = source_id.partition(":")
        if kind not in LABELS or not number:
            raise RecordFailed(
                f"'{source_id}' is not a document of this flow (invoice:<number> or credit_note:<number>)."
            )
        try:
            node = self.erp.invoice_get(number) if kind == INVOICE else self.erp.credit_note_get(number)
        except NotFound:
            raise RecordFailed(f"{LABELS[kind]} {number} no longer exists in Visma.net.") from None
        refs = refs_by_target(integration=self.integration, kind=BINDING_KINDS[kind], target_ids=[number])
        ref = refs.get(number)
        if ref is None:
            raise RecordFailed(f"{LABELS[kind]} {number} was not made by Koppla for a shop order: nothing to show.")
        return self._item(kind, node, ref)

    # -- one document -----------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        document: ErpDocument = item.data
        if document.status not in SHOWN_STATUSES:
            return Outcome(
                status="skipped",
                message=f"{LABELS[document.kind]} {document.number} is {document.status}: it is shown once released.",
            )
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.DOCUMENT, source_id=document.source_id)
        if ref is not None and ref.checksum == document.checksum:
            return Outcome(
                status="skipped",
                target_id=document.order_number,
                message=f"{document.label}: this version is on the order already.",
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
            source_id=document.source_id,
            target_id=document.order_number,
            data={"order_number": document.order_number, **document.fields()},
            checksum=document.checksum,
        )
        return Outcome(
            status="ok",
            target_id=document.order_number,
            request=request,
            message=f"{document.label}: shown on the order ({document.status}, {document.date}).",
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
        ).exclude(source_id=document.source_id)
        return [d for d in (document_from_binding(ref) for ref in refs) if d is not None]
