"""Visma.net ERP as an ErpPort (sync/ports.py): neutral drafts → Visma.net payloads, answers → neutral records.

This part: customers, VAT categories, invoices and credit notes (payload building and answer
reading in payloads.py; what Visma.net would refuse in limits.py). Items, stock and documents
out are adapter_items.py's, payments adapter_payments.py's, sales orders and sales journal
entries adapter_orders.py's. Bodies of sales orders and journal transactions pass through
`body_finish` (integrations.adapters.BodyFinishing: the datamapper's rules).

VAT: Visma.net keys a document's tax details by VAT id, not by VAT category. The adapter reads
the VAT categories once (`vat_categories`, kept for its life, one run) and keys every document
it builds or reads by them; flows only ask for the categories' rates.
"""

from __future__ import annotations

import logging

from integrations.adapters import BodyFinishing
from integrations.clients import client_for
from integrations.http import RemoteError
from integrations.models import Connection
from sync import ports
from sync.drafts import CreditNoteDraft, CustomerDraft, InvoiceDraft
from sync.erp import CREDIT_NOTE, INVOICE, ErpCustomer, ErpDocument, VatCategory

from .adapter_customers import VismaNetCustomersOut
from .adapter_items import VismaNetItems
from .adapter_numbers import VismaNetNumberSeries
from .adapter_orders import VismaNetOrders
from .adapter_payments import VismaNetPayments
from .finishing import finished
from .limits import customer_problems, document_problems
from .payloads import (
    contact_person_payload,
    credit_note_payload,
    credit_note_reference,
    customer_from_visma,
    customer_payload,
    document_from_visma,
    exempt_category_of,
    invoice_payload,
    payable_accounts_read,
    vat_categories_read,
)

logger = logging.getLogger("koppla.visma_net")


class VismaNetErp(
    BodyFinishing, VismaNetCustomersOut, VismaNetItems, VismaNetPayments, VismaNetNumberSeries, VismaNetOrders
):
    system = "visma_net"
    display_name = "Visma.net"
    capabilities = frozenset(
        {
            ports.PAYMENT_WRITE_OFF_REASON_CODE,
            ports.NUMBER_SERIES,
            ports.SALES_ORDER,
            ports.JOURNAL_TRANSACTION,
            ports.CUSTOMERS_OUT,
        }
    )
    call_floor = ports.CallFloor(
        order=2,  # POST v2/customerinvoice + its release (a sales order: the create only)
        new_customer=1,  # POST v1/customer (+ POST v1/contact for a company with a named person)
        credit_note=2,  # POST v2/customerCreditNote + its release
        per_run=("GET v1/vatCategory", "GET v1/customer changed since the last read (the customer directory)"),
        note="No idempotency key: a create whose answer was lost is found by Koppla's reference (one list read).",
    )

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)
        self._vat_ids: dict[str, str] | None = None
        self._vat_categories: list[VatCategory] | None = None
        self._exempt_category = ""
        self._payable_accounts: dict[str, str] | None = None

    # -- customers ------------------------------------------------------------------------
    def customer_find_by_email(self, email: str) -> list[ErpCustomer]:
        return [customer_from_visma(node) for node in self.client.customer_find_by_email(email)]

    def customer_problems(self, draft: CustomerDraft) -> list[str]:
        return customer_problems(self.customer_request(draft))

    def customer_request(self, draft: CustomerDraft) -> dict:
        return self.body_finish("customer", customer_payload(draft).body())

    def customer_create(self, draft: CustomerDraft) -> str:
        """Create the customer; a company whose address names a person gets that person as its contact (one
        more call, POST /v1/contact: the customer DTO holds no persons). The customer number is returned even
        when the contact is refused (logged): the customer exists and must be bound."""
        number = self.client.customer_create(finished(self, "customer", customer_payload(draft)))
        person = contact_person_payload(draft, customer_number=number)
        if person is not None:
            try:
                self.client.contact_create(person)
            except RemoteError as exc:
                logger.warning("Visma.net customer %s created without its contact person: %s", number, exc)
        return number

    def customer_update(self, number: str, draft: CustomerDraft) -> None:
        self.client.customer_update(number, finished(self, "customer", customer_payload(draft)))

    # -- VAT ----------------------------------------------------------------------------------
    def vat_categories(self) -> list[VatCategory]:
        """The VAT categories with their rate histories (read once; the VAT ids are kept with them)."""
        if self._vat_categories is None:
            listed = self.client.vat_category_list()
            self._vat_ids, self._vat_categories = vat_categories_read(listed)
            self._exempt_category = exempt_category_of(listed)
        return self._vat_categories

    @property
    def exempt_category(self) -> str:
        """The VAT category a draft line outside VAT (vat_category "": an öre rounding) is booked under: the
        company's first category (by id) whose every VAT is of type ExemptVat (VatCategoryLineDto.type, spec);
        "" when it has none (then such a line is a problem: `no_vat_problems`)."""
        self.vat_categories()
        return self._exempt_category

    def no_vat_problems(self, lines) -> list[str]:
        """A problem when a draft has a line outside VAT and Visma.net has no VAT-exempt category to carry it."""
        if any(not line.vat_category for line in lines) and not self.exempt_category:
            return [
                "a line is outside VAT (the shop's öre rounding), but Visma.net has no VAT category whose VAT is of "
                "type Exempt VAT to book it under: add one in Visma.net (VAT categories), then resync"
            ]
        return []

    def journal_vat_account(self, vat_category: str) -> str:
        """The account the VAT of `vat_category` is booked to: its VAT's payable account (GET /v1/vat,
        VatInformationDto.glAccounts.vatPayableAccount.number), "" for a category of more than one VAT or none.

        Optional ErpPort method (sync/ports.py); the journal flow asks it when Sync › Sales journal VAT accounts
        has no row for the category. /v1/vat is read once per adapter (one run)."""
        if self._payable_accounts is None:
            self._payable_accounts = payable_accounts_read(self.client.vat_list())
        vat_id = self.vat_ids.get(vat_category)
        return self._payable_accounts.get(vat_id, "") if vat_id else ""

    @property
    def vat_ids(self) -> dict[str, str]:
        """VAT category → the VAT id its tax detail lines are keyed by."""
        self.vat_categories()
        return self._vat_ids

    # -- invoices -------------------------------------------------------------------------------
    def invoice_problems(self, draft: InvoiceDraft) -> list[str]:
        """What Visma.net would refuse in the invoice (checked before the customer is resolved)."""
        payload = invoice_payload(draft, customer_number=draft.default_customer_number or "0", vat_ids={})
        body = self.body_finish(INVOICE, payload.body())
        return document_problems(body, lines_key="invoiceLines", what="invoice") + self.no_vat_problems(draft.lines)

    def invoice_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict:
        body = self._invoice(draft, customer_number).body()
        return self.body_finish(INVOICE, body)

    def invoice_create(self, draft: InvoiceDraft, *, customer_number: str) -> str:
        return self.client.invoice_create(finished(self, INVOICE, self._invoice(draft, customer_number)))

    def _invoice(self, draft: InvoiceDraft, customer_number: str):
        return invoice_payload(
            draft, customer_number=customer_number, vat_ids=self.vat_ids, exempt_category=self.exempt_category
        )

    def invoice_find(self, order_number: str) -> ErpDocument | None:
        node = self.client.invoice_find(order_number)
        return None if node is None else self._document(INVOICE, node)

    def invoice_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        """The invoice; with what it booked (`figures`) when asked."""
        return self._document(INVOICE, self.client.invoice_get(number), figures=figures)

    def invoice_post(self, number: str) -> None:
        self.client.invoice_release(number)

    # -- credit notes -----------------------------------------------------------------------------
    def credit_note_problems(self, draft: CreditNoteDraft) -> list[str]:
        body = self.body_finish(CREDIT_NOTE, credit_note_payload(draft, vat_ids={}).body())
        return document_problems(body, lines_key="lines", what="credit note") + self.no_vat_problems(draft.lines)

    def credit_note_request(self, draft: CreditNoteDraft) -> dict:
        return self.body_finish(CREDIT_NOTE, self._credit_note(draft).body())

    def credit_note_create(self, draft: CreditNoteDraft) -> str:
        return self.client.credit_note_create(finished(self, CREDIT_NOTE, self._credit_note(draft)))

    def _credit_note(self, draft: CreditNoteDraft):
        return credit_note_payload(draft, vat_ids=self.vat_ids, exempt_category=self.exempt_category)

    def credit_note_find(self, refund_id: str) -> ErpDocument | None:
        node = self.client.credit_note_find(credit_note_reference(refund_id))
        return None if node is None else self._document(CREDIT_NOTE, node)

    def credit_note_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        """The credit note; with what it booked (`figures`) when asked."""
        return self._document(CREDIT_NOTE, self.client.credit_note_get(number), figures=figures)

    def credit_note_post(self, number: str) -> None:
        self.client.credit_note_release(number)

    def _document(self, kind: str, node: dict, *, figures: bool = False) -> ErpDocument:
        vat_ids = self.vat_ids if figures else None
        return document_from_visma(kind, node, base_url=self.connection.base_url, vat_ids=vat_ids)
