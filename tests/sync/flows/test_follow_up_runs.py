"""Chaos case 4: orders whose webhook arrives while a run holds the lock are invoiced at once, not by the schedule.

Runs without a test transaction, so every on_commit fires when it would in production and q2
runs each queued task inline (sync=True): the webhook's run meets the lock of the run that is
still going, exactly as a second worker would.
"""

import time

import pytest
from django.urls import reverse

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from sync.flows.orders import OrdersFlow
from sync.models import Flow, IntegrationFlow, SyncRecord, SyncRun
from sync.services import flow_run
from tests.sync.flows.test_flow_cursors import put_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_orders_delivered_while_a_run_holds_the_lock_are_invoiced_by_a_follow_up_run(
    flow_integration, client, monkeypatch
):
    IntegrationFlow.objects.filter(integration=flow_integration, flow="orders").update(enabled=True)
    put_order(5101, "2026-03-02T10:00:00+00:00")
    answers = []
    process = OrdersFlow.process

    def slow_first_order(self, item):
        if item.source_id == "5101":  # while this order is being invoiced, the shop sends two new ones
            put_order(5102, "2026-03-02T10:05:00+00:00")
            put_order(5103, "2026-03-02T10:05:01+00:00")
            answers.append(
                centra.webhook_send(
                    path=reverse("centra_webhook", args=[flow_integration.pk]),
                    secret="centra-webhook-secret-test",
                    events=[{"type": "order", "id": 5102}, {"type": "order", "id": 5103}],
                    at=time.time(),
                    client=client,
                ).status_code
            )
        return process(self, item)

    monkeypatch.setattr(OrdersFlow, "process", slow_first_order)

    scheduled = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)

    assert answers == [202]
    webhook_run = SyncRun.objects.get(trigger="webhook")
    assert webhook_run.status == SyncRun.Status.SKIPPED and "queued" in webhook_run.message
    follow_up = SyncRun.objects.get(trigger="follow_up")
    assert follow_up.status == SyncRun.Status.SUCCEEDED and follow_up.ok_count == 2
    assert follow_up.started_at >= scheduled.finished_at  # right after the run that held the lock
    assert sorted(i["customerRefNumber"] for i in visma.invoices()) == ["5101", "5102", "5103"]
    assert set(SyncRecord.objects.values_list("status", flat=True)) == {"ok"}
    assert SyncRun.objects.filter(trigger="schedule").count() == 1  # no schedule was needed
