"""The remote calls an order costs: the ERP's floor, no search per order and no customer sent twice (issue 18).

Counted from the records' logged calls (each call the run's clients made for a record) over the in-process
sandboxes: an order costs its document's create and release, plus a create for a customer the ERP lacks; the
ERP's customers are read once per run (changes since the last read) instead of one e-mail search per order.
"""

from collections import Counter

import pytest

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync.bindings import intents_retire
from sync.models import BindingIntent, ExternalRef, Flow, RecordLog
from sync.services import flow_run


@pytest.fixture
def shop(flow_integration):
    centra_demo.seed(orders=24)
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    return flow_integration


def endpoint_calls(run) -> Counter:
    """"METHOD path" → calls made for the run's records (numbers in paths as {id})."""
    counted: Counter = Counter()
    for calls in RecordLog.objects.filter(run=run).values_list("calls", flat=True):
        for call in calls:
            path = call.get("url", "").split("/api/", 1)[-1].split("?")[0]
            path = "/".join("{id}" if part.isdigit() else part for part in path.split("/"))
            counted[f"{call.get('method')} {path}"] += 1
    return counted


def test_orders_cost_their_documents_and_new_customers_only_with_no_search_per_order(shop):
    run = flow_run(integration=shop, flow=Flow.ORDERS, trigger="manual")

    calls = endpoint_calls(run)
    created_customers = ExternalRef.objects.filter(integration=shop, kind="customer", data__created=True).count()
    assert run.ok_count >= 10 and run.failed_count == 0
    assert calls["GET v1/customerinvoice"] == 0  # no search by reference: nothing was pending
    assert calls["POST v2/customerinvoice"] == calls["POST v1/customerinvoice/{id}/action/release"] == run.ok_count
    assert calls["GET v1/customer"] <= 1  # the customer directory, read once for the run
    assert calls["POST v1/customer"] == created_customers >= 1
    # every intent left has its binding (retired in bulk by the next run)
    assert BindingIntent.objects.count() == intents_retire(integration=shop) == run.ok_count


def test_known_customers_cost_nothing_and_a_second_run_calls_nothing(shop):
    first = flow_run(integration=shop, flow=Flow.ORDERS, trigger="manual")
    assert first.ok_count
    # New orders of the customers the ERP now has: only the invoice's create and release each.
    for number, order in enumerate(list(centra.orders())[:4], start=90001):
        centra.order_put({**order, "id": f"copy{number}", "number": number, "updatedAt": "2099-01-01T00:00:00+00:00"})

    again = flow_run(integration=shop, flow=Flow.ORDERS, trigger="manual")

    calls = endpoint_calls(again)
    assert calls.pop("GET v1/vatCategory") == 1  # the VAT categories, read once per run
    exported = {str(o["number"]) for o in centra.orders() if o["status"] in shop.allowed_order_statuses}
    assert again.ok_count == len(exported & {"90001", "90002", "90003", "90004"}) >= 1
    assert set(calls) == {"POST v2/customerinvoice", "POST v1/customerinvoice/{id}/action/release"}
    assert sum(calls.values()) == 2 * again.ok_count


def test_an_erp_customer_with_the_orders_email_is_used_not_duplicated(shop):
    order = next(o for o in centra.orders() if o["status"] in shop.allowed_order_statuses)
    email = order["customer"]["email"].lower()
    visma.customer_put("77001", name="Made by hand", email=email)

    run = flow_run(integration=shop, flow=Flow.ORDERS, trigger="resync", source_ids=[str(order["number"])])

    assert run.ok_count == 1
    ref = ExternalRef.objects.get(integration=shop, kind="customer", source_id=email)
    assert (ref.target_id, ref.data) == ("77001", {"found_by": "directory"})
    invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == str(order["number"]))
    assert invoice["customer"]["number"] == "77001"
    assert [c for c in visma.customers() if (c.get("mainContact") or {}).get("email", "").lower() == email] == [
        c for c in visma.customers() if c["number"] == "77001"
    ]


def test_the_customers_flow_sends_nothing_for_customers_the_orders_flow_just_made(shop):
    flow_run(integration=shop, flow=Flow.ORDERS, trigger="manual")
    made = set(
        ExternalRef.objects.filter(integration=shop, kind="customer", data__created=True).values_list(
            "source_id", flat=True
        )
    )
    shop_customers = [c for c in centra.customers() if (c.get("email") or "").lower() in made]
    assert shop_customers, "the demo shop has customers whose orders made their ERP customer"

    run = flow_run(integration=shop, flow=Flow.CUSTOMERS, trigger="manual")

    sent = RecordLog.objects.filter(run=run, source_id__in=[c["id"] for c in shop_customers], status="ok")
    assert list(sent.values_list("source_id", "response")) == []
    assert endpoint_calls(run)["PUT v1/customer/{id}"] == run.ok_count  # only customers that differ are updated


def test_an_order_refused_before_anything_was_sent_keeps_no_intent_and_its_retry_does_not_search(
    flow_integration, resync
):
    centra_demo.seed(orders=24)  # no payment method mapped for Swish: those orders fail on the mapping
    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")
    failed = list(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", flat=True))
    assert failed, "the demo shop has Swish orders"
    assert not BindingIntent.objects.filter(source_id__in=failed).exists()

    PaymentMethodMapping.objects.create(integration=flow_integration, shop_method="swish", erp_payment_method="INVOICE")
    resync(flow_integration, "orders", failed)

    retried = RecordLog.objects.filter(flow="orders", source_id__in=failed, status="ok")
    assert retried.count() == len(failed)
    calls = Counter(c["method"] + " " + c["url"].split("/api/", 1)[-1].split("?")[0] for r in retried for c in r.calls)
    assert not [c for c in calls if c.startswith("GET v1/customerinvoice")], calls
