"""Fault kind: the ERP said "wait", and we keep calling it.

Input: 6 shop orders; every Visma.net call answers 429 with Retry-After: 3600 (sandbox fault).
Expected: after the first 429 the connection is paused until the time the ERP named: no further
request goes out to that connection from this run or any other run before then; the remaining
records are left waiting (not counted as failed attempts) and are picked up after the pause.
Today: one request per record (6 x 429 in the same second), each record gets a failed attempt and a
retry 2 minutes later, inside the hour.
"""
from datetime import UTC, datetime

from django.urls import reverse

from integrations.centra import sandbox as centra
from integrations.http import record_calls
from integrations.models import Connection
from integrations.pauses import connection_pause_start
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox as visma
from sync.models import Flow, RecordLog, SyncRecord, SyncRun
from sync.services import flow_run
from tests.integrations.centra.conftest import order_node


def test_run_stops_calling_the_erp_after_a_long_retry_after(flow_integration):
    for i in range(6):
        node = order_node(7000 + i, status="SHIPPED")
        email = f"shopper{i}@example.se"
        node["customer"] = {**node["customer"], "email": email}
        node["billingAddress"] = {**node["billingAddress"], "email": email}
        centra.order_put(node)
    fault = SandboxFault.objects.create(system="visma_net", endpoint=r".*", kind="rate_limit", retry_after=3600)

    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)

    fault.refresh_from_db()
    assert fault.fired == 1, f"Visma.net answered {fault.fired} requests with 429 Retry-After 3600 in one run (1 expected); {run.failed_count} records failed"


# --------------------------------------------------------------------------- beyond the case
def _orders(n=6):
    for i in range(n):
        node = order_node(7000 + i, status="SHIPPED")
        email = f"shopper{i}@example.se"
        node["customer"] = {**node["customer"], "email": email}
        node["billingAddress"] = {**node["billingAddress"], "email": email}
        centra.order_put(node)


# Times in messages are in the site's time zone (Europe/Stockholm): the pause ends at 09:00 UTC, shown as 10:00.
def _paused_run(integration):
    _orders()
    fault = SandboxFault.objects.create(system="visma_net", endpoint=r".*", kind="rate_limit", retry_after=3600)
    return flow_run(integration=integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE), fault


def test_a_run_started_during_the_pause_calls_nothing(flow_integration, fake_clock):
    first, fault = _paused_run(flow_integration)
    fake_clock.now += 1800  # half-way through the hour Visma.net asked for
    with record_calls() as calls:
        second = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)
    assert calls == [], "no request may go to either system while the ERP's pause holds the flow"
    fault.refresh_from_db()
    assert fault.fired == 1
    for run in (first, second):
        assert run.status == SyncRun.Status.PAUSED and run.failed_count == 0
        assert "Visma.net ERP asked us to wait until 10:00" in run.message
    assert "the run sent nothing" in second.message


def test_waiting_orders_are_not_failed_attempts_and_are_invoiced_after_the_pause(flow_integration, fake_clock):
    first, fault = _paused_run(flow_integration)
    assert not RecordLog.objects.filter(status=RecordLog.Status.FAILED).exists()
    waiting = SyncRecord.objects.get(integration=flow_integration, flow=Flow.ORDERS)
    assert (waiting.source_id, waiting.status, waiting.attempts) == ("7000", SyncRecord.Status.QUEUED, 0)
    assert waiting.next_attempt_at == Connection.objects.get(pk=flow_integration.erp_id).paused_until

    fault.delete()  # the ERP has room again in the next hour
    fake_clock.now += 3600 + 1
    after = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)
    assert after.status == SyncRun.Status.SUCCEEDED, after.message
    assert visma.invoice_count() == 6
    states = dict(SyncRecord.objects.filter(integration=flow_integration).values_list("source_id", "status"))
    assert states == {str(7000 + i): SyncRecord.Status.OK for i in range(6)}
    assert not SyncRecord.objects.filter(attempts__gt=0).exists()


def test_webhook_ids_that_arrive_during_the_pause_wait_and_are_picked_up_after_it(flow_integration, fake_clock):
    _orders(3)
    until = datetime.fromtimestamp(fake_clock.now + 600, UTC)
    connection_pause_start(connection_id=flow_integration.erp_id, until=until, reason="HTTP 429 with Retry-After: 600")
    held = flow_run(
        integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.WEBHOOK, source_ids=["7000", "7001"]
    )
    assert held.status == SyncRun.Status.PAUSED
    assert set(SyncRecord.objects.values_list("source_id", "status", "next_attempt_at")) == {
        ("7000", SyncRecord.Status.QUEUED, until),
        ("7001", SyncRecord.Status.QUEUED, until),
    }
    fake_clock.now += 601
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)
    assert visma.invoice_count() == 3


def test_the_pause_shows_on_the_connection_and_the_dashboard(flow_integration, admin_client):
    _paused_run(flow_integration)
    erp = flow_integration.erp
    changelist = admin_client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "paused until 10:00" in changelist
    change = admin_client.get(reverse("admin:integrations_connection_change", args=[erp.pk])).content.decode()
    assert "Visma.net ERP asked us to wait until 10:00" in change
    assert "HTTP 429 to GET /sandbox/visma-net/api/v1/" in change
    dashboard = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert f"Connection {erp.name}: Visma.net ERP asked us to wait until 10:00" in dashboard
    assert "1 record waits for it" in dashboard
    assert "paused until 10:00" in dashboard


def test_resyncing_a_waiting_record_during_the_pause_says_it_waits(flow_integration, admin_client):
    _paused_run(flow_integration)
    record = SyncRecord.objects.get(integration=flow_integration, source_id="7000")
    with record_calls() as calls:
        response = admin_client.post(reverse("admin:sync_syncrecord_resync", args=[record.pk]), follow=True)
    assert calls == []
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Queued Order 7000: Visma.net ERP asked us to wait until 10:00") for m in shown), shown
