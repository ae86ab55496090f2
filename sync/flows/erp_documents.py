"""Shared steps of the flows that write customers and documents to Visma.net.

- `ErpCustomers.resolve`: the ERP customer of a draft (walk-in customer, binding, e-mail search, create),
  under one lease per (integration, e-mail key), committing the binding right after a create.
- `vat_ids` and `mappings.category_rates`: VAT category → the VAT id its tax detail lines are keyed by,
  and its rates by date, from one read of the ERP's VAT categories per run.
- Payload builders turn the pure drafts into the client's request dataclasses.
- Prechecks (`invoice_precheck`, `credit_note_precheck`, `customer_precheck`):
  what Visma.net would refuse (too many lines, too long a field, too large a
  request; integrations/visma_net/limits.py) fails the record before its first
  remote write, so no customer is created for an invoice that is then refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from integrations.clients import client_for
from integrations.visma_net.client import vat_category_rate
from integrations.visma_net.limits import customer_problems, document_problems, limit
from integrations.visma_net.schemas import (
    Address,
    Contact,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
    TaxDetail,
)
from mappings.selectors import MappingSet, mapping_set_load
from sync.bindings import binding_get, binding_save
from sync.drafts import CreditNoteDraft, CustomerDraft, DraftLine, Figures, InvoiceDraft
from sync.drafts import TaxDetail as DraftTaxDetail
from sync.leases import LeaseBusy, LeaseLost, lease_hold
from sync.models import ExternalRef, Integration
from sync.shop import ShopAddress
from sync.vat import money, round_money

from .base import FlowRunner, RecordFailed

# Visma.net statuses of a document that has been released.
RELEASED = ("Open", "Closed")


def customer_key(email: str) -> str:
    """Customers are bound by e-mail (lower case): the orders and customers flows share the binding."""
    return email.strip().lower()


def customer_lease_key(integration: Integration, key: str) -> str:
    """The lease both flows take to find or create the ERP customer of an e-mail key."""
    return f"customer:{integration.pk}:{key}"


def address_payload(address: ShopAddress) -> Address:
    return Address(
        line1=address.address1 or None,
        line2=address.address2 or None,
        postal_code=address.zip_code or None,
        city=address.city or None,
        country=address.country.upper() or None,
    )


def customer_payload(customer: CustomerDraft) -> CustomerPayload:
    contact = Contact(
        name=(customer.address.person_name or customer.name)[: limit("contact_name")],
        email=customer.email or None,
        phone=customer.address.phone or None,
        attention=customer.address.person_name if customer.is_company else None,
    )
    return CustomerPayload(
        name=customer.name[: limit("customer_name")],
        customer_class=customer.customer_class,
        vat_zone=customer.vat_zone,
        credit_terms=customer.credit_terms or None,
        currency=customer.currency or None,
        vat_registration_id=customer.vat_number or None,
        main_address=address_payload(customer.address),
        main_contact=contact,
        payment_method=customer.payment_method or None,
    )


def document_lines(lines: tuple[DraftLine, ...]) -> tuple[DocumentLine, ...]:
    longest = limit("line_description")
    return tuple(
        DocumentLine(
            description=line.description[:longest],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            vat_category=line.vat_category,
            account=line.account or None,
            inventory_number=line.inventory_number or None,
        )
        for line in lines
    )


def tax_details(draft: InvoiceDraft | CreditNoteDraft, vat_ids: dict[str, str]) -> tuple[TaxDetail, ...]:
    """The draft's VAT per category, keyed by the VAT id the ERP expects."""
    return tuple(
        TaxDetail(vat_id=vat_ids.get(t.vat_category, t.vat_category), vat_amount=t.vat, taxable_amount=t.taxable)
        for t in draft.tax_details
    )


def invoice_payload(draft: InvoiceDraft, *, customer_number: str, vat_ids: dict[str, str]) -> InvoicePayload:
    return InvoicePayload(
        customer_number=customer_number,
        lines=document_lines(draft.lines),
        document_date=draft.document_date,
        currency=draft.currency,
        customer_ref_number=draft.order_number,
        external_reference=draft.order_number,
        text=draft.text,
        payment_method=draft.payment_method,
        credit_terms=draft.credit_terms,
        vat_zone=draft.vat_zone,
        tax_details=tax_details(draft, vat_ids),
    )


def credit_note_reference(refund_id: str) -> str:
    return f"R{refund_id}"


def credit_note_payload(draft: CreditNoteDraft, *, vat_ids: dict[str, str]) -> CreditNotePayload:
    return CreditNotePayload(
        customer_number=draft.customer_number,
        lines=document_lines(draft.lines),
        document_date=draft.document_date,
        currency=draft.currency,
        customer_ref_number=credit_note_reference(draft.refund_id),
        external_reference=draft.order_number,
        text=draft.text,
        vat_zone=draft.vat_zone,
        tax_details=tax_details(draft, vat_ids),
    )


@dataclass(frozen=True)
class DocumentReading:
    """What reading a Visma.net document back into Figures needs."""

    vat_ids: dict[str, str]  # VAT category → VAT id
    places: int  # the currency's decimals
    shipping_items: set[str]  # ERP items of shipping lines


def figures_read(document: dict, reading: DocumentReading) -> Figures:
    """The figures of an invoice or credit note as Visma.net holds it (CustomerInvoiceDto or
    CustomerCreditNoteDto): for documents bound before Koppla stored their figures. Line keys are
    `shipping:erp:<n>` for shipping items and `erp:<n>` otherwise (refund lines match them by SKU);
    a line's gross is its amount at its category's rate, rounded to the currency's decimals."""
    category_of = {vat_id: category for category, vat_id in reading.vat_ids.items()}
    rates: dict[str, Decimal] = {}
    tax = []
    for detail in document.get("taxDetails") or []:
        vat_id = str(detail.get("taxId") or (detail.get("vatId") or {}).get("number") or "")
        category = category_of.get(vat_id, vat_id)
        rates[category] = money(detail.get("vatRate"))
        tax.append(DraftTaxDetail(category, money(detail.get("taxableAmount")), money(detail.get("vatAmount"))))
    lines = []
    for index, line in enumerate(document.get("invoiceLines") or document.get("lines") or [], start=1):
        category = str((line.get("vatCode") or {}).get("id") or "")
        amount = money(line.get("amountInCurrency", line.get("amount")))
        rate = rates.get(category, Decimal(0))
        item = str(line.get("inventoryNumber") or "")
        lines.append(
            DraftLine(
                description=str(line.get("description") or ""),
                quantity=money(line.get("quantity") or 1),
                unit_price=money(line.get("unitPriceInCurrency", line.get("unitPrice"))),
                amount=amount,
                vat_category=category,
                account=str((line.get("account") or {}).get("number") or ""),
                inventory_number=item,
                key=f"shipping:erp:{index}" if item in reading.shipping_items else f"erp:{index}",
                gross=round_money(amount * (100 + rate) / 100, reading.places),
                rate=rate,
            )
        )
    return Figures(tuple(lines), tuple(tax), money(document.get("amountInCurrency", document.get("amount"))))


NOTHING_WRITTEN = "Nothing was written to Visma.net"


def invoice_precheck(draft: InvoiceDraft) -> None:
    """RecordFailed when Visma.net would refuse the invoice of `draft` (before any customer is created)."""
    payload = invoice_payload(draft, customer_number=draft.default_customer_number or "0", vat_ids={})
    problems = document_problems(payload.body(), lines_key="invoiceLines", what="invoice")
    if problems:
        raise RecordFailed(
            f"Order {draft.order_number} cannot be invoiced as it is: {'; '.join(problems)}. {NOTHING_WRITTEN} "
            "(no customer, no invoice). Split or correct the order in the shop (or change the setting), then resync."
        )


def credit_note_precheck(draft: CreditNoteDraft) -> None:
    """RecordFailed when Visma.net would refuse the credit note of `draft`."""
    problems = document_problems(credit_note_payload(draft, vat_ids={}).body(), lines_key="lines", what="credit note")
    if problems:
        raise RecordFailed(
            f"Return {draft.refund_id} of order {draft.order_number} cannot be credited as it is: "
            f"{'; '.join(problems)}. {NOTHING_WRITTEN}. Credit it by hand or correct it, then resync."
        )


def customer_precheck(customer: CustomerDraft, payload: CustomerPayload) -> None:
    """RecordFailed when Visma.net would refuse the customer (checked before a create or an update)."""
    problems = customer_problems(payload.body())
    if problems:
        who = customer.email or customer.name
        raise RecordFailed(
            f"Customer {who} cannot be sent to Visma.net as it is: {'; '.join(problems)}. {NOTHING_WRITTEN}. "
            "Correct the customer's details in the shop, then resync."
        )


def vat_categories_load(erp) -> tuple[dict[str, str], dict[str, tuple[tuple[str, Decimal], ...]]]:
    """From one read of the ERP's VAT categories: (category → its VAT id, for categories that hold exactly
    one VAT; category → its rate history ((start date 'YYYY-MM-DD', rate percent), ...), ascending)."""
    ids: dict[str, str] = {}
    rates: dict[str, tuple[tuple[str, Decimal], ...]] = {}
    for category in erp.vat_category_list():
        category_id = str(category.get("vatCategoryId"))
        lines = category.get("vatCategoryLines") or []
        if len(lines) == 1 and lines[0].get("vatId"):
            ids[category_id] = str(lines[0]["vatId"])
        starts = sorted(
            {str(r.get("startDate") or "")[:10] for line in lines for r in line.get("vatRates") or []} - {""}
        )
        rates[category_id] = tuple(
            (start, vat_category_rate(category, on=date.fromisoformat(start))) for start in starts
        )
    return ids, rates


class ShopToErpFlow(FlowRunner):
    """Base of the flows that read the shop and write customers and documents to the ERP."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shop = client_for(self.integration.shop)
        self.erp = client_for(self.integration.erp)
        self._mappings = mapping_set_load(integration=self.integration)
        self.customers = ErpCustomers(integration=self.integration, erp=self.erp)
        self._vat_ids: dict[str, str] | None = None

    def _vat_categories(self) -> None:
        """Read the ERP's VAT categories once per run, when the first record needs them."""
        if self._vat_ids is None:
            self._vat_ids, rates = vat_categories_load(self.erp)
            self._mappings = replace(self._mappings, category_rates=rates)

    @property
    def mappings(self) -> MappingSet:
        """The integration's mappings, with the ERP's VAT category rates (for the rate check)."""
        self._vat_categories()
        return self._mappings

    @property
    def vat_ids(self) -> dict[str, str]:
        """VAT category → VAT id."""
        self._vat_categories()
        return self._vat_ids

    def shop_record(self, node: dict | None, what: str) -> dict:
        """A record the shop returned by id, or RecordFailed saying it is gone."""
        if node is None:
            raise RecordFailed(f"{what} no longer exists in the shop.")
        return node


class ErpCustomers:
    """Finds or creates the ERP customer for a draft: one per e-mail key and integration, whichever flow asks.

    The orders and customers flows (in any worker) resolve a customer under one
    lease per (integration, e-mail key): binding, remote search, create and bind
    happen inside it, so two processes never both create. A bound customer is
    returned without taking the lease. Source of the rule: issue 11, point 4.
    """

    def __init__(self, *, integration: Integration, erp):
        self.integration = integration
        self.erp = erp

    def bound(self, key: str) -> str:
        """The customer number bound to an e-mail key, or ''."""
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.CUSTOMER, source_id=key) if key else None
        return ref.target_id if ref else ""

    def search(self, key: str) -> str:
        """The ERP customer with this e-mail (the lowest number if several), bound at once; '' if none."""
        found = self.erp.customer_find_by_email(key)
        if not found:
            return ""
        number = str(sorted(found, key=lambda c: str(c.get("number")))[0]["number"])
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=key,
            target_id=number,
            data={"found_by": "email"},
        )
        return number

    def create(self, customer: CustomerDraft, payload: CustomerPayload | None = None) -> str:
        """Create the customer and commit its binding at once. Callers with an e-mail hold its lease (`ensure`)."""
        payload = payload or customer_payload(customer)
        customer_precheck(customer, payload)
        number = self.erp.customer_create(payload)
        # Committed at once: a crash after this line must not create the customer again.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=customer_key(customer.email) or f"company:{customer.vat_number or customer.name}",
            target_id=number,
            data={"created": True, "customer_class": customer.customer_class},
        )
        return number

    def ensure(self, customer: CustomerDraft, payload: CustomerPayload | None = None) -> tuple[str, str]:
        """(customer number, how: bound / existing / created) for the draft's e-mail.

        Raises RecordFailed (retryable; nothing created) when another worker
        holds the e-mail's lease for longer than sync.leases.DEFAULT_WAIT (15 s),
        or when this one's lease expired (DEFAULT_TTL, 5 min) and was taken over
        before the create. A draft without an e-mail has nothing to match by: a
        customer is created for it.
        """
        key = customer_key(customer.email)
        if not key:
            return self.create(customer, payload), "created"
        number = self.bound(key)
        if number:
            return number, "bound"
        try:
            with lease_hold(key=customer_lease_key(self.integration, key)) as lease:
                number = self.bound(key)  # another worker may have just created and bound it
                if number:
                    return number, "bound"
                number = self.search(key)
                if number:
                    return number, "existing"
                lease.renew()  # still ours right before the write (LeaseLost otherwise)
                return self.create(customer, payload), "created"
        except LeaseBusy as exc:
            raise RecordFailed(
                f"Another worker is finding or creating the ERP customer for {key} at this moment ({exc}). "
                "Nothing was created for this record; it is retried automatically and will use that customer."
            ) from exc
        except LeaseLost as exc:
            raise RecordFailed(
                f"Looking for the ERP customer for {key} took so long that another worker took over ({exc}). "
                "Nothing was created for this record; it is retried automatically."
            ) from exc

    def resolve(self, customer: CustomerDraft, *, default_number: str = "") -> tuple[str, str]:
        """(customer number, how it was found: default / bound / existing / created)."""
        if default_number:
            return default_number, "default"
        return self.ensure(customer)
