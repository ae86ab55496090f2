"""One ERP customer per e-mail: the orders and customers flows resolve a customer under one lease.

The race is simulated in one process: while one flow is inside its lease and has
found no customer (by the ERP's customer directory read into bindings, or an e-mail
search), the other flow runs for the same new e-mail.
Without the lease both create; with it the second waits, gives up with a
retryable message, and its retry uses the customer the first one created.
"""

import multiprocessing
import queue
import time

import pytest
from django.db import connection

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync.flows.erp_documents import ErpCustomers
from sync.models import ExternalRef, Flow, Lease, RecordLog
from sync.services import flow_run
from tests.sync.flows import customer_race_worker

EMAIL = "race.condition@example.com"


def erp_customers_with(email: str) -> list[dict]:
    return [c for c in visma.customers() if ((c.get("mainContact") or {}).get("email") or "").lower() == email]


@pytest.fixture
def same_new_email(flow_integration):
    """(order number, shop customer id): an exportable order and a shop customer sharing an e-mail the ERP lacks."""
    centra_demo.seed(orders=12)
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    order = next(
        o
        for o in centra.orders()
        if o["status"] in flow_integration.allowed_order_statuses and o["store"]["type"] == "DIRECT_TO_CONSUMER"
    )
    order["customer"]["email"] = EMAIL
    centra.order_put(order)
    customer = {**centra.customers()[0], "id": "99001", "email": EMAIL}
    centra.customer_put(customer)
    assert not erp_customers_with(EMAIL)
    return str(order["number"]), "99001"


@pytest.mark.parametrize("first", [Flow.ORDERS, Flow.CUSTOMERS])
def test_the_other_flow_creating_while_one_has_searched_leaves_one_erp_customer(
    flow_integration, same_new_email, monkeypatch, first
):
    order_number, customer_id = same_new_email
    ids = {Flow.ORDERS: order_number, Flow.CUSTOMERS: customer_id}
    second = Flow.CUSTOMERS if first == Flow.ORDERS else Flow.ORDERS
    real_search = ErpCustomers.search
    nested_runs = []

    def search_then_let_the_other_flow_in(customers, key):
        found = real_search(customers, key)  # "no such customer" is read...
        if not nested_runs:  # ...then the other flow runs for the same e-mail before this one creates
            nested_runs.append(
                flow_run(integration=flow_integration, flow=second, trigger="resync", source_ids=[ids[second]])
            )
        return found

    monkeypatch.setattr(ErpCustomers, "search", search_then_let_the_other_flow_in)

    run = flow_run(integration=flow_integration, flow=first, trigger="resync", source_ids=[ids[first]])

    assert run.ok_count == 1, list(RecordLog.objects.filter(run=run).values_list("error", flat=True))
    assert len(erp_customers_with(EMAIL)) == 1
    [waited] = RecordLog.objects.filter(run=nested_runs[0])
    assert waited.status == "failed"
    assert f"Another worker is finding or creating the ERP customer for {EMAIL}" in waited.error
    assert "Nothing was created for this record; it is retried automatically" in waited.error
    assert not Lease.objects.exists()

    monkeypatch.setattr(ErpCustomers, "search", real_search)
    retry = flow_run(integration=flow_integration, flow=second, trigger="resync", source_ids=[ids[second]])

    assert retry.ok_count == 1, list(RecordLog.objects.filter(run=retry).values_list("error", flat=True))
    [customer] = erp_customers_with(EMAIL)
    bound = ExternalRef.objects.get(integration=flow_integration, kind="customer", source_id=EMAIL)
    invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == order_number)
    assert bound.target_id == customer["number"] == invoice["customer"]["number"]
    customers_log = RecordLog.objects.filter(flow="customers", source_id=customer_id, status="ok").get()
    assert customers_log.target_id == customer["number"]


def test_a_bound_customer_is_used_without_taking_the_lease(flow_integration, same_new_email, monkeypatch):
    order_number, customer_id = same_new_email
    flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger="resync", source_ids=[customer_id])
    taken = []
    monkeypatch.setattr("sync.flows.erp_documents.lease_hold", lambda **kwargs: taken.append(kwargs))

    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="resync", source_ids=[order_number])

    assert run.ok_count == 1 and not taken
    assert len(erp_customers_with(EMAIL)) == 1


def test_a_worker_whose_lease_was_taken_over_while_it_searched_creates_nothing(flow_integration, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.adapters import erp_for
    from integrations.centra.adapter import customer_from_centra
    from mappings.selectors import mapping_set_load
    from sync.flows.base import RecordFailed
    from sync.flows.customers import customer_draft
    from sync.flows.erp_documents import ErpCustomers
    from sync.leases import DEFAULT_TTL, lease_acquire

    email = "slow.search@example.com"
    draft = customer_draft(
        customer_from_centra(shop_customer(email, 1)), mapping_set_load(integration=flow_integration)
    )
    real_search = ErpCustomers.search

    def slow_search(customers, wanted):
        found = real_search(customers, wanted)
        # The search outlived the lease's TTL (this process's clock says so too) and another worker took the
        # expired lease over.
        later = time.monotonic() + DEFAULT_TTL.total_seconds() + 1
        monkeypatch.setattr("sync.leases.time.monotonic", lambda: later)
        Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert lease_acquire(key=f"customer:{flow_integration.pk}:{email}", holder="other-worker")
        return found

    monkeypatch.setattr(ErpCustomers, "search", slow_search)
    customers = ErpCustomers(integration=flow_integration, erp=erp_for(flow_integration))

    with pytest.raises(RecordFailed, match="took so long that another worker took over") as exc:
        customers.resolve(draft)

    assert "Nothing was created for this record" in exc.value.message
    assert not erp_customers_with(email)
    assert Lease.objects.get().holder == "other-worker"  # its lease was left alone


def shop_customer(email: str, index: int) -> dict:
    """A Centra customer node (what the customers flow reads) for a new e-mail."""
    return {
        "id": str(98000 + index),
        "email": email,
        "firstName": "Rut",
        "lastName": f"Race {index}",
        "updatedAt": "2026-11-20T10:00:00+00:00",
        "billingAddress": {
            "firstName": "Rut",
            "lastName": f"Race {index}",
            "address1": "Storgatan 1",
            "zipCode": "11122",
            "city": "Stockholm",
            "country": {"code": "SE"},
        },
    }


def child_database_url() -> str:
    """The URL of the test database pytest-django created (test_<name>), for the child processes."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


ROUNDS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_resolving_one_new_email_at_the_same_moment_create_one_erp_customer(flow_integration):
    """Two worker processes, one new e-mail per round, released together by a barrier, as the two flows would."""
    emails = [f"two.processes.{n}@example.com" for n in range(ROUNDS)]
    sides = [("orders", "customers"), ("orders", "orders"), ("customers", "customers")]
    plans = [
        [(email, shop_customer(email, n), sides[n % len(sides)][worker]) for n, email in enumerate(emails)]
        for worker in (0, 1)
    ]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(
            target=customer_race_worker.resolve_in_rounds,
            args=(child_database_url(), flow_integration.pk, plan, barrier, results),
        )
        for plan in plans
    ]
    for worker in workers:
        worker.start()
    answers = []
    try:
        for _ in range(2 * ROUNDS):
            answers.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"the workers answered {len(answers)} of {2 * ROUNDS} times: {answers}")
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()

    assert [error for *_, error in answers if error] == []
    for email in emails:
        erp = erp_customers_with(email)
        numbers = {number for got, _, number, _ in answers if got == email}
        assert len(erp) == 1, f"{email}: {len(erp)} ERP customers"
        assert numbers == {erp[0]["number"]}, f"{email}: the two processes got {numbers}"
        bound = ExternalRef.objects.get(integration=flow_integration, kind="customer", source_id=email)
        assert bound.target_id == erp[0]["number"]
    assert not Lease.objects.exists()
