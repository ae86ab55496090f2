"""What an order becomes in the ERP (Integration.order_document): the document's port methods, binding and words.

- "invoice": a customer invoice, `erp.invoice_*`, posted (released / booked) right after it is created,
  unless the integration leaves documents unposted (Integration.post_documents).
- "sales_order": a sales order, `erp.sales_order_*` (ERPs with the SALES_ORDER capability, sync/ports.py),
  not posted: the ERP invoices it later.

Each document type binds under its own ExternalRef kind (the same as the ErpDocument kind), so the
orders flow finds a document made earlier before it creates one; an order bound as one type is not sent
as another when the setting changes. A sales journal entry ("journal_entry") is no document of one order: an
order's shares are queued for its day's entries (order_journal.py), which the journal flow sends (journal.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sync.drafts import InvoiceDraft
from sync.erp import ErpDocument
from sync.models import ExternalRef, Integration, OrderDocument

from .base import RecordFailed
from .erp_documents import invoice_precheck, nothing_written


@dataclass(frozen=True)
class OrderDocumentType:
    setting: str  # the Integration.order_document value
    binding_kind: str  # ExternalRef.Kind (and ErpDocument.kind) the document is bound under
    noun: str  # "invoice", "sales order": how messages name it
    methods: str  # the ErpPort method prefix: <methods>_problems/request/create/find/get[/post]
    posted: bool  # posted (released) right after it is created

    def _call(self, erp, name: str):
        return getattr(erp, f"{self.methods}_{name}")

    def request(self, erp, draft: InvoiceDraft, *, customer_number: str) -> dict:
        return self._call(erp, "request")(draft, customer_number=customer_number)

    def create(self, erp, draft: InvoiceDraft, *, customer_number: str) -> str:
        return self._call(erp, "create")(draft, customer_number=customer_number)

    def find(self, erp, order_number: str) -> ErpDocument | None:
        return self._call(erp, "find")(order_number)

    def get(self, erp, number: str) -> ErpDocument:
        return self._call(erp, "get")(number)

    def post(self, erp, number: str) -> None:
        if self.posted:
            self._call(erp, "post")(number)

    def precheck(self, erp, draft: InvoiceDraft) -> None:
        """RecordFailed when the ERP would refuse the document of `draft` (before any customer is created)."""
        if self.methods == "invoice":
            invoice_precheck(erp, draft)
            return
        problems = self._call(erp, "problems")(draft)
        if problems:
            raise RecordFailed(
                f"Order {draft.order_number} cannot be sent as a {self.noun} as it is: {'; '.join(problems)}. "
                f"{nothing_written(erp)} (no customer, no {self.noun}). Split or correct the order in the shop "
                "(or change the setting), then resync."
            )


ORDER_DOCUMENTS: dict[str, OrderDocumentType] = {
    OrderDocument.INVOICE: OrderDocumentType(
        OrderDocument.INVOICE, ExternalRef.Kind.INVOICE, "invoice", "invoice", posted=True
    ),
    OrderDocument.SALES_ORDER: OrderDocumentType(
        OrderDocument.SALES_ORDER, ExternalRef.Kind.SALES_ORDER, "sales order", "sales_order", posted=False
    ),
}


def order_document_of(integration: Integration) -> OrderDocumentType | None:
    """The document type the integration sends orders as (Integration.order_document); an invoice is posted
    unless the integration leaves its documents unposted (Integration.post_documents). None for sales journal
    entries: an order is not a document of its own there (order_journal.py, journal.py)."""
    if integration.order_document == OrderDocument.JOURNAL_ENTRY:
        return None
    document = ORDER_DOCUMENTS[integration.order_document or OrderDocument.INVOICE]
    if document.posted and not integration.post_documents:
        return replace(document, posted=False)
    return document
