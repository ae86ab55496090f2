"""Centra webhooks: signature good / bad / stale / replayed; events queue the right records."""

import json
import time
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from sync import services
from sync.models import IntegrationFlow, SyncRun, WebhookEvent
from sync.webhooks import signature_compute, signature_verify
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db
SECRET = "centra-webhook-secret-test"


@pytest.fixture
def hooked(integration, monkeypatch):
    integration.shop.secrets = {"webhook_secret": SECRET}
    integration.shop.save()
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)
    FakeFlow.processed = []
    FakeFlow.failures = {}
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)
    return integration


def deliver(client, integration, events, *, secret=SECRET, timestamp=None, header=None, body=None):
    body = body if body is not None else urlencode({"payload": json.dumps({"events": events})}).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    header = header or f"t={timestamp},v1={signature_compute(secret, timestamp, body)}"
    return (
        client.post(
            reverse("centra_webhook", args=[integration.pk]),
            data=body,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_CENTRA_SIGNATURE=header,
        ),
        body,
        header,
    )


def test_documented_test_vector():
    body = b"payload=%7B%22x%22%3A%22test%22%7D"
    assert (
        signature_compute("test123", 12345678, body)
        == "0b9cd84f5d583e5e1aadfb9f160aa8080b51d5b85ff85808d6b75bdac356c549"
    )
    assert signature_verify(
        header="t=12345678,v1=0b9cd84f5d583e5e1aadfb9f160aa8080b51d5b85ff85808d6b75bdac356c549",
        body=body,
        secret="test123",
        now=12345678 + 10,
    ).ok


def test_good_signature_is_accepted_and_queues_the_orders(client, hooked, django_capture_on_commit_callbacks):
    events = [
        {"type": "order", "action": "update", "date": "2026-11-24 10:00:00", "id": "A"},
        {"type": "order", "action": "insert", "date": "2026-11-24 10:00:01", "id": "B"},
        {"type": "shipment", "action": "create", "date": "2026-11-24 10:00:02", "id": 9},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response, _, _ = deliver(client, hooked, events)
    assert response.status_code == 202
    assert response.json()["queued"] == {"orders": ["A", "B"]}
    event = WebhookEvent.objects.get()
    assert event.status == "accepted" and len(event.events) == 3
    run = SyncRun.objects.get(trigger="webhook")
    assert run.total == 2 and sorted(FakeFlow.processed) == ["A", "B"]


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"secret": "wrong-secret"}, "signature does not match"),
        ({"timestamp": int(time.time()) - 600}, "old"),
        ({"header": "v1=deadbeef"}, "missing or malformed"),
    ],
)
def test_bad_or_stale_signature_is_rejected_with_401_and_logged(client, hooked, kwargs, reason):
    response, _, _ = deliver(client, hooked, [{"type": "order", "id": "A"}], **kwargs)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and reason in event.reason
    assert not SyncRun.objects.exists() and FakeFlow.processed == []


def test_replayed_delivery_is_rejected(client, hooked):
    first, body, header = deliver(client, hooked, [{"type": "order", "id": "A"}])
    assert first.status_code == 202
    second, _, _ = deliver(client, hooked, [], body=body, header=header)
    assert second.status_code == 409
    assert WebhookEvent.objects.filter(status="rejected", reason__startswith="replayed").count() == 1


def test_events_for_a_switched_off_flow_are_stored_not_queued(client, hooked):
    IntegrationFlow.objects.filter(integration=hooked, flow="orders").update(enabled=False)
    response, _, _ = deliver(client, hooked, [{"type": "order", "id": "A"}])
    assert response.status_code == 202 and response.json()["queued"] == {}
    assert not SyncRun.objects.exists()


def test_unreadable_payload_is_a_400(client, hooked):
    response, _, _ = deliver(client, hooked, [], body=b"payload=not-json")
    assert response.status_code == 400
    assert WebhookEvent.objects.get().status == "rejected"


def test_unknown_integration_is_a_404(client, hooked):
    response = client.post("/webhooks/centra/999999/", data=b"", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
