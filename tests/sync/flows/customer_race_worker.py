"""Entry point of a spawned worker process that resolves ERP customers (test_customer_lock_processes.py).

Nothing Django is imported at module level: a spawned child imports this module
before it has set up Django against the parent's test database.
"""

import os
import traceback


def resolve_in_rounds(database_url, integration_id, rounds, barrier, results):
    """For each (e-mail, customer node, side) in `rounds`: wait at the barrier, then resolve the customer.

    side "orders" resolves as the orders flow does (`ErpCustomers.resolve`), side
    "customers" as the customers flow's create path (`ErpCustomers.ensure` with
    its payload). Puts (e-mail, side, customer number, error text) on `results`.
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.db import connection

    from integrations.adapters import erp_for
    from integrations.centra.adapter import customer_from_centra
    from mappings.selectors import mapping_set_load
    from sync.flows.customers import customer_draft
    from sync.flows.erp_documents import ErpCustomers
    from sync.models import Integration

    integration = Integration.objects.select_related("erp").get(pk=integration_id)
    mappings = mapping_set_load(integration=integration)
    try:
        for email, node, side in rounds:
            draft = customer_draft(customer_from_centra(node), mappings)
            customers = ErpCustomers(integration=integration, erp=erp_for(integration))
            barrier.wait(timeout=120)
            try:
                if side == "orders":
                    number, _ = customers.resolve(draft)
                else:
                    number, _ = customers.ensure(draft)
                results.put((email, side, number, ""))
            except Exception:  # noqa: BLE001 - reported to the parent, which fails the test
                results.put((email, side, "", traceback.format_exc()))
    finally:
        connection.close()
