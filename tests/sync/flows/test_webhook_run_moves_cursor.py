"""Fault kind: the change cursor skips records it never looked at.

Input: order 5001 invoiced by a scheduled run (cursor 10:00). Orders 5002 (updated 11:00, its webhook
lost) and 5003 (updated 12:00, its webhook delivered through /webhooks/centra/<id>/). Then the schedule runs.
Expected: the scheduled run invoices 5002: the schedule is the safety net for lost webhooks, so a run
that handled only some ids must not move the cursor the schedule reads from.
Today: the webhook run finishes with cursor_to 12:00; the next scheduled run starts from 12:00 and never
lists 5002, which is left uninvoiced.
"""

import time

from django.urls import reverse

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from sync.models import Flow, IntegrationFlow, SyncRun
from sync.services import flow_run
from tests.integrations.centra.conftest import order_node


def put(number, updated):
    node = order_node(number, updatedAt=updated, status="SHIPPED")
    email = f"o{number}@example.se"
    node["customer"] = {**node["customer"], "email": email}
    node["billingAddress"] = {**node["billingAddress"], "email": email}
    centra.order_put(node)


def test_order_whose_webhook_was_lost_is_invoiced_by_the_next_scheduled_run(
    flow_integration, client, django_capture_on_commit_callbacks
):
    IntegrationFlow.objects.filter(integration=flow_integration, flow="orders").update(enabled=True)
    put(5001, "2026-03-02T10:00:00+00:00")
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)

    put(5002, "2026-03-02T11:00:00+00:00")  # its webhook never arrives
    put(5003, "2026-03-02T12:00:00+00:00")  # its webhook arrives
    with django_capture_on_commit_callbacks(execute=True):
        answer = centra.webhook_send(
            path=reverse("centra_webhook", args=[flow_integration.pk]),
            secret="centra-webhook-secret-test",
            events=[{"type": "order", "id": 5003}],
            at=time.time(),
            client=client,
        )
    assert answer.status_code == 202

    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)

    invoiced = sorted(inv["customerRefNumber"] for inv in visma.invoices())
    assert invoiced == ["5001", "5002", "5003"], (
        invoiced,
        list(SyncRun.objects.order_by("pk").values_list("trigger", "cursor_from", "cursor_to")),
    )
