"""Shared steps of the flows that read the shop and write customers and documents to the ERP.

- `ShopToErpFlow`: the shop and ERP adapters of the run (sync/ports.py), its mappings with the
  ERP's VAT category rates (one read per run), and shop records as SourceItems.
- `ErpCustomers.resolve`: the ERP customer of a draft (walk-in customer, binding, the ERP's customer
  directory or an e-mail search, create), under one lease per (integration, e-mail key), committing the
  binding right after a create. A page's bindings are read at once (`ErpCustomers.preload`).
- `customer_checksum`: what a customer's shop-owned fields look like to the ERP, stored on the binding by
  whichever flow sent them, so the customers flow never re-sends a customer the orders flow just made.
- Prechecks (`invoice_precheck`, `credit_note_precheck`, `customer_precheck`): what the ERP
  would refuse (its adapter's `*_problems`: too many lines, too long a field, too large a
  request) fails the record before its first remote write, so no customer is created for an
  invoice that is then refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from integrations.adapters import erp_for, shop_for
from mappings.selectors import MappingSet, mapping_set_load
from sync.bindings import binding_get, binding_key, binding_save, checksum_of, refs_for
from sync.customer_directory import customer_directory_read, directory_available
from sync.drafts import CreditNoteDraft, CustomerDraft, Figures, InvoiceDraft
from sync.leases import LeaseBusy, LeaseLost, lease_hold
from sync.models import ExternalRef, Integration
from sync.record_names import record_name
from sync.shop import Unreadable
from sync.vat import round_money

from .base import FlowRunner, RecordFailed, SourceItem


def customer_key(email: str) -> str:
    """Customers are bound by e-mail (lower case): the orders and customers flows share the binding."""
    return email.strip().lower()


def customer_lease_key(integration: Integration, key: str) -> str:
    """The lease both flows take to find or create the ERP customer of an e-mail key."""
    return f"customer:{integration.pk}:{key}"


def customer_checksum(erp, draft: CustomerDraft) -> str:
    """The checksum of the customer's fields the customers flow sends, as the ERP receives them (its body).

    The orders flow's customer also carries the order's currency and payment method, which the customers
    flow never sends; both are left out here, and everything else is as sent (credit terms included: an
    order's terms that differ from the customer type's make the customers flow send its own). So the orders
    and customers flows store the same checksum for the same content, and a customer the orders flow made
    is not sent again by the customers flow while it has not changed (issue 18)."""
    return checksum_of(erp.customer_request(replace(draft, currency="", payment_method="")))


def figures_keyed(figures: Figures, *, places: int, shipping_items: set[str]) -> Figures:
    """Figures an ERP read back (for documents bound before Koppla stored their figures), keyed as
    Koppla keys its own: `shipping:erp:<n>` for shipping items and `erp:<n>` otherwise (refund lines
    match them by SKU); a line's gross is its amount at its category's rate, rounded to the currency's
    decimals."""
    lines = tuple(
        replace(
            line,
            key=f"shipping:erp:{index}" if line.inventory_number in shipping_items else f"erp:{index}",
            gross=round_money(line.amount * (100 + line.rate) / 100, places),
        )
        for index, line in enumerate(figures.lines, start=1)
    )
    return replace(figures, lines=lines)


def nothing_written(erp) -> str:
    return f"Nothing was written to {erp.display_name}"


def invoice_precheck(erp, draft: InvoiceDraft) -> None:
    """RecordFailed when the ERP would refuse the invoice of `draft` (before any customer is created)."""
    problems = erp.invoice_problems(draft)
    if problems:
        raise RecordFailed(
            f"Order {draft.order_number} cannot be invoiced as it is: {'; '.join(problems)}. {nothing_written(erp)} "
            "(no customer, no invoice). Split or correct the order in the shop (or change the setting), then resync."
        )


def credit_note_precheck(erp, draft: CreditNoteDraft) -> None:
    """RecordFailed when the ERP would refuse the credit note of `draft`."""
    problems = erp.credit_note_problems(draft)
    if problems:
        raise RecordFailed(
            f"{record_name('return', draft.refund_id, order=draft.order_number)} cannot be credited as it is: "
            f"{'; '.join(problems)}. {nothing_written(erp)}. Credit it by hand or correct it, then resync."
        )


def customer_precheck(erp, customer: CustomerDraft) -> None:
    """RecordFailed when the ERP would refuse the customer (checked before a create or an update)."""
    problems = erp.customer_problems(customer)
    if problems:
        who = customer.email or customer.name
        raise RecordFailed(
            f"Customer {who} cannot be sent to {erp.display_name} as it is: {'; '.join(problems)}. "
            f"{nothing_written(erp)}. Correct the customer's details in the shop, then resync."
        )


class ShopToErpFlow(FlowRunner):
    """Base of the flows that read the shop and write customers and documents to the ERP."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shop = shop_for(self.integration)
        self.erp = erp_for(self.integration)
        self._mappings = mapping_set_load(integration=self.integration)
        self.customers = ErpCustomers(
            integration=self.integration,
            erp=self.erp,
            checksum=lambda draft: customer_checksum(self.erp, draft),
        )
        self._rates_read = False

    @property
    def mappings(self) -> MappingSet:
        """The integration's mappings, with the ERP's VAT category rates (for the rate check), read
        once per run when the first record needs them."""
        if not self._rates_read:
            rates = {category.id: category.rates for category in self.erp.vat_categories()}
            self._mappings = replace(self._mappings, category_rates=rates)
            self._rates_read = True
        return self._mappings

    @staticmethod
    def shop_record(record, what: str):
        """A record the shop returned by id (or Unreadable), or RecordFailed saying it is gone."""
        if record is None:
            raise RecordFailed(f"{what} no longer exists in the shop.")
        return record

    @staticmethod
    def readable(record):
        """The record, or RecordFailed saying why the shop adapter could not read it."""
        if isinstance(record, Unreadable):
            raise RecordFailed(record.message)
        return record

    @staticmethod
    def unreadable_item(record: Unreadable, *, what: str) -> SourceItem:
        """The item of a record the shop adapter could not read: it fails alone with the adapter's
        message; its change stamp still counts for the run's cursor (it is retried as a failed one)."""
        return SourceItem(
            source_id=record.source_id,
            label=record_name(what, record.source_id),
            data=None,
            cursor=record.cursor,
            error=RecordFailed(record.message),
        )


class ErpCustomers:
    """Finds or creates the ERP customer for a draft: one per e-mail key and integration, whichever flow asks.

    The orders and customers flows (in any worker) resolve a customer under one
    lease per (integration, e-mail key): binding, remote search, create and bind
    happen inside it, so two processes never both create. A bound customer is
    returned without taking the lease. Source of the rule: issue 11, point 4.

    An ERP that lists its customers by change (sync/customer_directory.py) is read once per run, at the
    first e-mail not bound, instead of one e-mail search per new customer. `checksum(draft)` gives the
    content checksum stored with a created customer's binding.
    """

    def __init__(self, *, integration: Integration, erp, checksum=None):
        self.integration = integration
        self.erp = erp
        self.checksum = checksum
        self.directory = directory_available(erp)
        self._directory_read = False
        self._page: dict[str, str] = {}  # e-mail key → number bound ("" not bound) for the page being processed
        # e-mail keys whose create got no answer this run: searched by e-mail, not trusted to the directory
        self._uncertain: set[str] = set()

    def preload(self, keys: Iterable[str]) -> None:
        """Read the bindings of a page's e-mail keys at once (the last page's are dropped)."""
        wanted = [binding_key(k) for k in keys if k]
        refs = refs_for(integration=self.integration, kind=ExternalRef.Kind.CUSTOMER, source_ids=wanted)
        self._page = {key: refs[key].target_id if key in refs else "" for key in wanted}

    def bound(self, key: str, *, fresh: bool = False) -> str:
        """The customer number bound to an e-mail key, or ''. What the page's preload read is used unless
        `fresh`: `ensure` reads a key preloaded as not bound again under its lease (another worker may have
        bound it since), so a stale "not bound" never creates a second customer."""
        if not key:
            return ""
        if not fresh and binding_key(key) in self._page:
            return self._page[binding_key(key)]  # "" (not bound when the page was read): ensure looks again
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.CUSTOMER, source_id=key)
        return ref.target_id if ref else ""

    def _remember(self, key: str, number: str) -> None:
        if key:
            self._page[binding_key(key)] = number

    def search(self, key: str) -> str:
        """The ERP customer with this e-mail (the lowest number if several), bound at once; '' if none.

        With a directory (read by `ensure` before this), the binding has answered already: no call, unless
        this run sent a create for the e-mail without an answer (the directory was read before it)."""
        if self.directory and key not in self._uncertain:
            return ""
        found = self.erp.customer_find_by_email(key)
        if not found:
            return ""
        number = sorted(found, key=lambda c: c.number)[0].number
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=key,
            target_id=number,
            data={"found_by": "email"},
        )
        return number

    def create(self, customer: CustomerDraft) -> str:
        """Create the customer and commit its binding at once. Callers with an e-mail hold its lease (`ensure`)."""
        customer_precheck(self.erp, customer)
        checksum = self.checksum(customer) if self.checksum and customer.email else ""
        try:
            number = self.erp.customer_create(customer)
        except Exception:
            self._uncertain.add(customer_key(customer.email))  # it may exist now: the next one searches first
            raise
        # Committed at once: a crash after this line must not create the customer again.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=customer_key(customer.email) or f"company:{customer.vat_number or customer.name}",
            target_id=number,
            data={"created": True, "customer_class": customer.customer_class},
            checksum=checksum,
            new=True,  # none was bound (looked up under the lease, or no e-mail to bind by)
        )
        self._remember(customer_key(customer.email), number)
        return number

    def ensure(self, customer: CustomerDraft) -> tuple[str, str]:
        """(customer number, how: bound / existing / created) for the draft's e-mail.

        Raises RecordFailed (retryable; nothing created) when another worker
        holds the e-mail's lease for longer than sync.leases.DEFAULT_WAIT (15 s),
        or when this one's lease expired (DEFAULT_TTL, 5 min) and was taken over
        before the create. A draft without an e-mail has nothing to match by: a
        customer is created for it.
        """
        key = customer_key(customer.email)
        if not key:
            return self.create(customer), "created"
        number = self.bound(key)
        if number:
            return number, "bound"
        if self.directory and not self._directory_read:
            # Once per run, outside any lease: the ERP's customers changed since the last read become bindings.
            customer_directory_read(integration=self.integration, erp=self.erp)
            self._directory_read = True
        try:
            with lease_hold(key=customer_lease_key(self.integration, key)) as lease:
                number = self.bound(key, fresh=True)  # another worker may have just created and bound it
                if number:
                    self._remember(key, number)
                    return number, "bound"
                number = self.search(key)
                if number:
                    self._remember(key, number)
                    return number, "existing"
                lease.confirm()  # still ours right before the write (LeaseLost otherwise)
                return self.create(customer), "created"
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
