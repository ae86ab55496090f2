"""The ERP's customers as e-mail bindings, read in pages instead of one search per new customer.

For an ERP that lists its customers by change (capability CUSTOMERS_OUT: `customers_changed`), the
flows that resolve ERP customers by e-mail (orders, refunds, customers) read the customers changed
since the last read once per run, the first time a customer is not bound, and bind every e-mail not
yet bound to its customer (the lowest number when several share one, as the e-mail search does). A
new shop customer then costs one create and no search; an ERP customer made by hand since the last
read is found by the next run's read. The change stamp read up to is kept on the integration
(`erp_customers_read_to`); each read starts there minus the cursor overlap (sync/flows/paging.py).

ERPs without the capability keep the search by e-mail (their floor says so).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from sync import ports
from sync.bindings import binding_key
from sync.models import ExternalRef, Integration

logger = logging.getLogger("koppla.sync")

PAGE = 500


def directory_available(erp) -> bool:
    """Whether the ERP lists its customers by change (the directory can replace the per-e-mail search)."""
    return ports.CUSTOMERS_OUT in getattr(erp, "capabilities", frozenset())


def customer_directory_read(*, integration: Integration, erp) -> int:
    """Bind the e-mails of the ERP's customers changed since the last read; returns how many were bound.

    One listing (the ERP's pages) per call; one query per `PAGE` customers to see which e-mails are bound
    and one bulk insert of the new bindings (existing bindings are never changed). Raises what the
    listing raises (RemoteError): nothing is bound from a listing that failed halfway but what its
    finished pages held, and the stamp moves only when the listing was read to its end.
    """
    from sync.flows.paging import cursor_moment

    read_to = integration.erp_customers_read_to
    newest = read_to
    bound = 0
    page: dict[str, str] = {}
    for customer in erp.customers_changed(updated_from=cursor_moment(read_to)):
        key = binding_key(customer.email.strip().lower()) if customer.email else ""
        if key and customer.number and (key not in page or customer.number < page[key]):
            page[key] = customer.number
        if customer.updated_at and customer.updated_at > newest:
            newest = customer.updated_at
        if len(page) >= PAGE:
            bound += _bind_page(integration, page)
            page = {}
    bound += _bind_page(integration, page)
    if newest != read_to:
        Integration.objects.filter(pk=integration.pk).update(erp_customers_read_to=newest[:40])
        integration.erp_customers_read_to = newest[:40]
    return bound


def _bind_page(integration: Integration, page: dict[str, str]) -> int:
    if not page:
        return 0
    known = set(
        ExternalRef.objects.filter(
            integration=integration, kind=ExternalRef.Kind.CUSTOMER, source_id__in=list(page)
        ).values_list("source_id", flat=True)
    )
    now = timezone.now()
    new = [
        ExternalRef(
            integration=integration,
            kind=ExternalRef.Kind.CUSTOMER,
            source_id=key,
            target_id=binding_key(number),
            data={"found_by": "directory"},
            synced_at=now,
        )
        for key, number in page.items()
        if key not in known
    ]
    with transaction.atomic():
        ExternalRef.objects.bulk_create(new, ignore_conflicts=True)  # a worker that bound one meanwhile wins
    return len(new)
