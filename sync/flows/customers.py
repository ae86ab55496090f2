"""Customers shop → ERP: create or update the ERP customer of each changed shop customer.

Matched by binding (the same e-mail binding the orders flow uses), then by
e-mail in the ERP; the search and the create run under the e-mail's lease,
shared with the orders flow, so the two never both create one customer.
Customer class and VAT zone come from the tax-zone mapping of the customer's
country and type (B2B with a valid EU VAT number abroad).
An update sends only what the shop owns (name, address, contact, class, VAT
zone, VAT number), and only when it changed since it was last sent.
"""

from __future__ import annotations

from mappings.selectors import MappingSet
from sync.bindings import binding_get, binding_save, refs_for
from sync.drafts import CustomerDraft
from sync.models import ExternalRef, Flow
from sync.shop import ShopCustomer, Unreadable

from .base import Outcome, Plan, RecordFailed, SourceItem
from .erp_documents import ShopToErpFlow, customer_checksum, customer_key, customer_precheck
from .paging import cursor_moment, listing_plan
from .vat_rules import sale_of


def customer_draft(customer: ShopCustomer, mappings: MappingSet) -> CustomerDraft:
    """The ERP customer for a shop customer (pure)."""
    address = customer.address
    if not address.country:
        raise RecordFailed(f"{customer.label} has no country on the billing address; add one in the shop.")
    sale = sale_of(address, address, mappings, what=customer.label)
    vat_number, customer_type, zone, country = sale.vat_number, sale.customer_type, sale.zone, sale.country
    terms = mappings.payment_terms.get(customer_type, "")
    return CustomerDraft(
        email=customer_key(customer.email),
        name=customer.name,
        is_company=bool(address.company or vat_number),
        vat_number=vat_number,
        customer_type=customer_type,
        customer_class=zone.customer_class,
        vat_zone=zone.vat_zone,
        country=country,
        address=address,
        currency="",
        credit_terms=terms,
        payment_method="",
    )


class CustomersFlow(ShopToErpFlow):
    flow = Flow.CUSTOMERS

    @property
    def mappings(self) -> MappingSet:
        """The integration's mappings as stored: a customer needs no VAT category rates, so a run that finds every
        customer unchanged makes no ERP call at all."""
        return self._mappings

    def _item(self, customer: ShopCustomer | Unreadable) -> SourceItem:
        if isinstance(customer, Unreadable):
            return self.unreadable_item(customer, what="customer")
        return SourceItem(source_id=customer.id, label=customer.label, data=customer, cursor=customer.updated_at)

    def changed_since(self, cursor: str) -> Plan:
        """Customers stamped from the cursor minus the overlap on, in updatedAt order (unchanged ones are
        skipped by the checksum on their binding when processed)."""
        customers = self.shop.customers_changed(updated_from=cursor_moment(cursor))
        return listing_plan(customers, cursor, self._item, done=self._up_to_date)

    def _up_to_date(self, items: list[SourceItem]) -> set[str]:
        """Customers of the page whose ERP customer already has exactly what they would send (checksum)."""
        checksums: dict[str, tuple[str, str]] = {}
        for item in items:
            customer: ShopCustomer = item.data
            if not customer.email:
                continue
            try:
                checksum = customer_checksum(self.erp, customer_draft(customer, self.mappings))
            except RecordFailed:
                continue  # processing says what is wrong
            checksums[item.source_id] = (customer_key(customer.email), checksum)
        refs = refs_for(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_ids=[email for email, _ in checksums.values()],
        )
        return {
            source_id
            for source_id, (email, checksum) in checksums.items()
            if email in refs and refs[email].checksum == checksum
        }

    def fetch(self, source_id: str) -> SourceItem:
        return self._item(self.shop_record(self.shop.customer_get(source_id), f"Customer {source_id}"))

    def process(self, item: SourceItem) -> Outcome:
        customer: ShopCustomer = item.data
        if not customer.email:
            return Outcome(status="skipped", message="The customer has no e-mail address to match an ERP customer by.")
        draft = customer_draft(customer, self.mappings)
        body = self.erp.customer_request(draft)
        self.payload = body
        customer_precheck(self.erp, draft)  # before the create or update
        if self.dry_run:
            return Outcome(status="dry_run", request=body)
        checksum = customer_checksum(self.erp, draft)  # the same as the orders flow stores
        # Binding, else (under the e-mail's lease shared with the orders flow) search, else create.
        number, how = self.customers.ensure(draft)
        if how == "created":
            message = f"Created customer {number}."
        else:
            ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.CUSTOMER, source_id=draft.email)
            if ref and ref.checksum == checksum:
                return Outcome(status="skipped", target_id=number, message=f"Customer {number} is up to date.")
            self.erp.customer_update(number, draft)
            message = f"Updated customer {number}."
        # Remember what was sent, so an unchanged customer is not sent again.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=draft.email,
            target_id=number,
            checksum=checksum,
        )
        return Outcome(status="ok", target_id=number, request=body, message=message)
