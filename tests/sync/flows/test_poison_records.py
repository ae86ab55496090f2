"""One bad record is that record's problem, end to end against both sandboxes (chaos cases 1 and 6).

NUL characters, values of the wrong type and gateway HTML error pages each fail (or pass) one record;
the good records around it are invoiced, the run finishes and the next run does not redo them.
"""

import json

import pytest

from integrations.centra import sandbox as centra
from integrations.centra.client import CentraClient
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox as visma
from integrations.visma_net.adapter import VismaNetErp
from sync.models import ExternalRef, Flow, RecordLog, SyncRecord, SyncRun
from sync.services import flow_run
from tests.integrations.centra.conftest import order_node

NUL_ADDRESS = "Storgatan 1\u0000"


def shop_order(number: int, **changes) -> dict:
    """A one-line order of its own shopper (so each order creates its own ERP customer)."""
    node = order_node(number, status="SHIPPED")
    email = f"shopper{number}@example.se"
    node["customer"] = {**node["customer"], "email": email}
    node["billingAddress"] = {**node["billingAddress"], "email": email}
    node.update(changes)
    return node


def run_orders(integration) -> SyncRun:
    return flow_run(integration=integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)


def no_nul_anywhere(*values) -> bool:
    return all("\\u0000" not in json.dumps(v) and "\u0000" not in json.dumps(v) for v in values)


def check_nul_order_among_good_ones(integration):
    nul = shop_order(7001)
    nul["billingAddress"] = {**nul["billingAddress"], "address1": NUL_ADDRESS, "lastName": "Berg\u0000"}
    for node in (shop_order(7000), nul, shop_order(7002)):
        centra.order_put(node)
    assert centra.order_get(7001)["billingAddress"]["address1"] == NUL_ADDRESS  # the shop really holds it

    run = run_orders(integration)

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert (run.ok_count, run.failed_count) == (3, 0)
    invoices = {inv["customerRefNumber"]: inv for inv in visma.invoices()}
    assert set(invoices) == {"7000", "7001", "7002"}
    log = RecordLog.objects.get(run=run, source_id="7001")
    ref = ExternalRef.objects.get(integration=integration, kind="invoice", source_id="7001")
    assert log.status == "ok" and ref.target_id == invoices["7001"]["referenceNumber"] == log.target_id
    customer = ExternalRef.objects.get(integration=integration, kind="customer", source_id="shopper7001@example.se")
    erp_customer = next(c for c in visma.customers() if c["number"] == customer.target_id)
    assert erp_customer["mainAddress"]["addressLine1"] == "Storgatan 1"  # the NUL never reached the ERP
    assert no_nul_anywhere(log.request, log.response, log.calls, log.error, ref.data, erp_customer)

    second = run_orders(integration)

    assert second.status == SyncRun.Status.SUCCEEDED and second.done == 0
    assert visma.invoice_count() == 3 and len(visma.customers()) == len({c["number"] for c in visma.customers()})


def test_an_order_with_a_nul_byte_is_invoiced_with_its_binding_and_log(flow_integration):
    check_nul_order_among_good_ones(flow_integration)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_with_a_nul_byte_is_invoiced_on_postgresql(flow_integration):
    """Chaos case 1 as it happened: PostgreSQL, autocommit (no test transaction around the run)."""
    check_nul_order_among_good_ones(flow_integration)


def test_a_nul_in_what_a_record_reads_during_processing_is_stored_cleaned(flow_integration):
    """The refunds flow reads the order while processing: the shop's answer (with a NUL) is in the log's calls."""
    node = shop_order(7100)
    node["billingAddress"] = {**node["billingAddress"], "address2": "c/o Berg\u0000"}
    centra.order_put(node)
    run_orders(flow_integration)
    line = centra.order_get(7100)["lines"][0]
    centra.return_put(
        {
            "id": "9700",
            "createdAt": "2026-11-20T10:00:00+00:00",
            "updatedAt": "2026-11-20T10:00:00+00:00",
            "status": "COMPLETED",
            "refunded": True,
            "order": {"number": 7100},
            "currency": {"code": "SEK"},
            "lines": [
                {
                    "id": "9700-1",
                    "quantity": 1,
                    "orderLine": {"id": line["id"]},
                    "productSize": {"SKU": line["productSize"]["SKU"]},
                    "unitPrice": {"value": 100.0},
                    "lineValue": {"value": 100.0},
                    "taxPercent": line["taxPercent"],
                }
            ],
            "shippingCost": {"value": 0.0},
            "grandTotal": {"value": 100.0},
        }
    )

    run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger=SyncRun.Trigger.SCHEDULE)

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    log = RecordLog.objects.get(run=run, source_id="9700")
    assert log.status == "ok" and visma.credit_note_count() == 1
    shop_calls = [c for c in log.calls if c["system"] == "centra"]
    assert shop_calls and "c/o Berg" in json.dumps(shop_calls) and no_nul_anywhere(log.calls)


def test_values_of_the_wrong_type_fail_their_order_alone_with_a_readable_message(flow_integration, monkeypatch):
    """A shop answer with a quantity 'abc', a line without its price, or lines of the wrong shape."""
    abc = shop_order(7201)
    abc["lines"] = [{**abc["lines"][0], "quantity": "abc"}]
    no_price = shop_order(7202)
    no_price["lines"] = [{**no_price["lines"][0], "lineValue": None, "unitPrice": None}]
    shape = shop_order(7203, lines={"not": "a list"})
    nodes = [shop_order(7200), abc, no_price, shape, shop_order(7204)]
    monkeypatch.setattr(CentraClient, "orders_changed", lambda self, **kwargs: iter(nodes))

    run = run_orders(flow_integration)

    assert run.status == SyncRun.Status.PARTIAL, run.message
    assert (run.ok_count, run.failed_count) == (2, 3)
    assert {inv["customerRefNumber"] for inv in visma.invoices()} == {"7200", "7204"}
    errors = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    assert errors["7201"] == (
        "Order 7201 cannot be read: line 1 (1001-BLK-M) quantity is 'abc', not a number. "
        "Correct it in the shop, then resync."
    )
    assert errors["7202"].startswith("Order 7202 cannot be read: line 1 (1001-BLK-M) has no price: lineValue is None")
    assert errors["7203"].startswith("Order 7203 cannot be read: the shop sent data of an unexpected shape")
    assert run.cursor_to == "2026-03-02T10:00:00+00:00"  # the run moved past what it did
    assert SyncRecord.objects.get(integration=flow_integration, source_id="7201").status == "retrying"


def test_a_gateway_page_413_is_shown_as_a_sentence_not_as_markup(flow_integration, monkeypatch, settings):
    """Chaos case 6 without the precheck: the customer is created, the invoice hits the proxy's 413 page."""
    settings.VISMA_NET_LIMITS = {**settings.VISMA_NET_LIMITS, "request_bytes": 3_000}
    monkeypatch.setattr(VismaNetErp, "invoice_problems", lambda self, draft: [])  # the state before the fix
    node = shop_order(7300)
    node["lines"] = [{**node["lines"][0], "id": f"7300{i:02d}"} for i in range(12)]
    node["grandTotal"] = {"value": "2459.00", "currency": {"code": "SEK"}}
    node["totals"] = {**node["totals"], "grandTotal": {"value": "2459.00"}, "taxIncluded": {"value": "491.80"}}
    for line in node["lines"]:
        line["productName"] = "Merino T-shirt with a long name"
    centra.order_put(node)

    run = run_orders(flow_integration)

    log = RecordLog.objects.get(run=run, source_id="7300")
    assert log.error == "Visma.net ERP refused it: Request Entity Too Large (HTTP 413)"
    assert "<" not in json.dumps(log.response) and "Request Entity Too Large" in log.response
    assert len(visma.customers()) == 1 and visma.invoice_count() == 0  # the orphan the precheck prevents


def test_a_gateway_page_502_is_shown_as_a_sentence_and_the_record_retried(flow_integration):
    SandboxFault.objects.create(
        system="visma_net", endpoint=r"POST .*/customerinvoice$", kind="gateway_page", status_code=502
    )
    centra.order_put(shop_order(7400))

    run = run_orders(flow_integration)

    log = RecordLog.objects.get(run=run, source_id="7400")
    assert log.error.startswith("Visma.net ERP did not answer properly: Bad Gateway (HTTP 502).")
    assert "<html" not in log.error and "<html" not in json.dumps(log.calls)
    assert SyncRecord.objects.get(integration=flow_integration, source_id="7400").status == "retrying"
