"""Customers ERP → shop (Flow.ERP_CUSTOMERS): the ERP's customers become the shop's customers.

Needs an ERP with CUSTOMERS_OUT (ErpPort `customers_changed`, `customer_get`) and a shop with
CUSTOMER_WRITE (`customer_find_by_email`, `shop_customer_*`, sync/ports.py); otherwise the run stops
at once saying which side cannot.

fetch: ERP customers changed since the cursor (a small overlap), page by page; the ERP lists them by
       number, so the cursor moves once the listing is read. A customer whose shop customer already has
       what it would send (checksum on its SHOP_CUSTOMER binding) is left out.
map:   `shop_customer_draft`: name, e-mail, company or private person (as the ERP tells it; a company
       keeps its contact person), address, phone, VAT and organisation number.
bind:  SHOP_CUSTOMER binding (ERP customer number → shop customer id), else the shop's customer with the
       same e-mail (case-insensitive), bound at once; two shop customers with the e-mail: the record
       fails naming both; a shop customer bound to another ERP customer (two ERP customers, one e-mail):
       the record fails naming the other.
write: a missing customer is created and bound right after the create. An existing one is updated only
       when Integration.update_shop_customers is ticked; otherwise it is left as the shop has it. A
       customer without e-mail, or inactive in the ERP and not in the shop yet, is skipped with the reason.
"""

from __future__ import annotations

from config.errors import ApplicationError
from integrations.adapters import erp_for, shop_for
from sync import ports
from sync.bindings import binding_by_target, binding_get, binding_save, checksum_of, refs_for
from sync.drafts import ShopCustomerDraft
from sync.erp import ErpCustomer
from sync.models import ExternalRef, Flow
from sync.record_names import record_name
from sync.shop import ShopAddress

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import ListingCursor, chunks, cursor_moment

PAGE_SIZE = 100


# --------------------------------------------------------------------------- mapping (pure)
def shop_customer_draft(customer: ErpCustomer) -> ShopCustomerDraft:
    """The shop customer of an ERP customer. RecordFailed (naming the customer) when it has no name."""
    name = customer.name.strip()
    if not name:
        raise RecordFailed(f"ERP customer {customer.number} has no name; fill it in the ERP, then resync this record.")
    contact = customer.contact_name.strip() if customer.is_company else ""
    first, _, last = (contact or ("" if customer.is_company else name)).partition(" ")
    address = ShopAddress(
        first_name=first,
        last_name=last,
        company=name if customer.is_company else "",
        address1=customer.address1,
        address2=customer.address2,
        zip_code=customer.zip_code,
        city=customer.city,
        country=customer.country.upper(),
        email=customer.email.strip(),
        phone=customer.phone,
        vat_number=customer.vat_number,
    )
    return ShopCustomerDraft(
        email=customer.email.strip(),
        name=name,
        is_company=customer.is_company,
        address=address,
        vat_number=customer.vat_number,
        corporate_id=customer.corporate_id,
        contact_name=contact,
        active=customer.active,
        erp_number=customer.number,
    )


def customer_label(customer: ErpCustomer) -> str:
    return record_name("customer", customer.number, detail=customer.email)


# --------------------------------------------------------------------------- the flow
class ErpCustomersFlow(FlowRunner):
    flow = Flow.ERP_CUSTOMERS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.erp = erp_for(self.integration)
        self.shop = shop_for(self.integration)
        if ports.CUSTOMERS_OUT not in self.erp.capabilities:
            raise ApplicationError(
                f"{self.integration}: Koppla cannot read customers from {self.erp.display_name} yet, so customers "
                "ERP → shop is not available for this integration. Switch this flow off."
            )
        if ports.CUSTOMER_WRITE not in self.shop.capabilities:
            raise ApplicationError(
                f"{self.integration}: {self.shop.display_name} takes no customers from Koppla, so customers "
                "ERP → shop is not available for this integration. Switch this flow off."
            )

    def _item(self, customer: ErpCustomer) -> SourceItem:
        return SourceItem(source_id=customer.number, label=customer_label(customer), data=customer)

    def _checksum(self, draft: ShopCustomerDraft) -> str:
        return checksum_of(self.shop.shop_customer_request(draft))

    # -- reading --------------------------------------------------------------------
    def changed_since(self, cursor: str) -> Plan:
        listed = self.erp.customers_changed(updated_from=cursor_moment(cursor))
        listing = ListingCursor(cursor, in_stamp_order=False)
        plan = Plan(items=())

        def items():
            for page in chunks(listed, PAGE_SIZE):
                for customer in page:
                    listing.seen(customer.number, customer.updated_at)
                refs = refs_for(
                    integration=self.integration,
                    kind=ExternalRef.Kind.SHOP_CUSTOMER,
                    source_ids=[c.number for c in page],
                )
                for customer in page:
                    ref = refs.get(customer.number)
                    if ref is not None and ref.checksum and self._up_to_date(customer, ref.checksum):
                        continue
                    yield self._item(customer)
            plan.read_to = listing.read_to()

        plan.items = items()
        return plan

    def _up_to_date(self, customer: ErpCustomer, checksum: str) -> bool:
        try:
            return self._checksum(shop_customer_draft(customer)) == checksum
        except RecordFailed:
            return False  # processing says what is wrong

    def fetch(self, source_id: str) -> SourceItem:
        customer = self.erp.customer_get(source_id)
        if customer is None:
            raise RecordFailed(f"Customer {source_id} no longer exists in {self.erp.display_name}.")
        return self._item(customer)

    # -- one customer ---------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        customer: ErpCustomer = item.data
        if not customer.email.strip():
            return Outcome(
                status="skipped",
                message=f"ERP customer {customer.number} has no e-mail address to match a shop customer by.",
            )
        draft = shop_customer_draft(customer)
        body = self.shop.shop_customer_request(draft)
        self.payload = body
        problems = self.shop.shop_customer_problems(draft)
        if problems:
            raise RecordFailed(
                f"ERP customer {customer.number} cannot be sent to {self.shop.display_name} as it is: "
                f"{'; '.join(problems)}. Nothing was written; correct it in the ERP, then resync."
            )
        if self.dry_run:
            return Outcome(status="dry_run", request=body)
        checksum = checksum_of(body)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.SHOP_CUSTOMER, source_id=customer.number)
        if ref is not None:
            return self._existing(customer, draft, body, checksum, ref.target_id, ref_checksum=ref.checksum)
        found = self.shop.customer_find_by_email(draft.email)
        if len(found) > 1:
            ids = ", ".join(c.id for c in found)
            raise RecordFailed(
                f"{self.shop.display_name} has {len(found)} customers with the e-mail {draft.email} ({ids}): Koppla "
                f"cannot tell which is ERP customer {customer.number}. Merge or correct them in the shop, then resync."
            )
        if found:
            other = binding_by_target(
                integration=self.integration, kind=ExternalRef.Kind.SHOP_CUSTOMER, target_id=found[0].id
            )
            if other is not None and other.source_id != customer.number:
                raise RecordFailed(
                    f"{self.shop.display_name}'s customer {found[0].id} with the e-mail {draft.email} is already ERP "
                    f"customer {other.source_id}'s: two ERP customers cannot share one shop customer (each would "
                    f"overwrite the other). Give ERP customer {customer.number} its own e-mail, or merge the two in "
                    "the ERP, then resync."
                )
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SHOP_CUSTOMER,
                source_id=customer.number,
                target_id=found[0].id,
                data={"email": draft.email},
            )
            return self._existing(customer, draft, body, checksum, found[0].id, ref_checksum="", found=True)
        if not customer.active:
            return Outcome(
                status="skipped",
                request=body,
                message=f"ERP customer {customer.number} is inactive: it is not created in the shop.",
            )
        customer_id = self.shop.shop_customer_create(draft)
        # Committed right after the create, before anything else can fail.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.SHOP_CUSTOMER,
            source_id=customer.number,
            target_id=customer_id,
            data={"email": draft.email},
            checksum=checksum,
        )
        kind = "company" if draft.is_company else "private person"
        return Outcome(
            status="ok", target_id=customer_id, request=body, message=f"Created shop customer {customer_id} ({kind})."
        )

    def _existing(
        self,
        customer: ErpCustomer,
        draft: ShopCustomerDraft,
        body: dict,
        checksum: str,
        customer_id: str,
        *,
        ref_checksum: str,
        found: bool = False,
    ) -> Outcome:
        how = f"found by its e-mail {draft.email} and bound; " if found else ""
        if ref_checksum == checksum:
            return Outcome(
                status="skipped", target_id=customer_id, message=f"Shop customer {customer_id} is up to date."
            )
        if not self.integration.update_shop_customers:
            return Outcome(
                status="ok" if found else "skipped",
                target_id=customer_id,
                request=body,
                message=f"Shop customer {customer_id}: {how}left as the shop has it (updating shop customers is "
                "off on the integration).",
            )
        self.shop.shop_customer_update(customer_id, draft)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.SHOP_CUSTOMER,
            source_id=customer.number,
            target_id=customer_id,
            data={"email": draft.email},
            checksum=checksum,
        )
        return Outcome(
            status="ok", target_id=customer_id, request=body, message=f"Shop customer {customer_id}: {how}updated."
        )
