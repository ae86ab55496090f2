"""Webhook routes: /webhooks/<system>/<integration id>/ answered by the view the registry names.

The old Centra address (/webhooks/centra/<id>/, in users' Centra settings) keeps working: it
reaches the same view under its old URL name.
"""

import json
import time
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from django.http import JsonResponse
from django.urls import resolve, reverse

from integrations.centra.webhooks import signature_compute
from integrations.systems import SYSTEMS, System
from sync import services
from sync.models import IntegrationFlow, SyncRun, WebhookEvent
from sync.webhooks import webhook
from tests.factories import ConnectionFactory, IntegrationFactory
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db
SECRET = "centra-webhook-secret-test"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hooked(integration, monkeypatch):
    integration.shop.secrets = {"webhook_secret": SECRET}
    integration.shop.save()
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)
    FakeFlow.processed = []
    FakeFlow.failures = {}
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)
    return integration


def post(client, path, events):
    body = urlencode({"payload": json.dumps({"events": events})}).encode()
    timestamp = int(time.time())
    header = f"t={timestamp},v1={signature_compute(SECRET, timestamp, body)}"
    return client.post(path, data=body, content_type=FORM, HTTP_X_CENTRA_SIGNATURE=header)


def test_the_system_route_receives_a_centra_delivery(client, hooked, django_capture_on_commit_callbacks):
    path = reverse("webhook", kwargs={"system": "centra", "integration_id": hooked.pk})
    assert path == f"/webhooks/centra/{hooked.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, path, [{"type": "order", "id": "A"}])
    assert response.status_code == 202 and response.json()["queued"] == {"orders": ["A"]}
    assert WebhookEvent.objects.get().status == "accepted"
    assert SyncRun.objects.get(trigger="webhook").total == 1 and FakeFlow.processed == ["A"]


def test_the_old_centra_address_reaches_the_same_view(client, hooked, django_capture_on_commit_callbacks):
    old = reverse("centra_webhook", args=[hooked.pk])
    assert old == f"/webhooks/centra/{hooked.pk}/"
    assert resolve(old).func is webhook and resolve(old).kwargs == {"system": "centra", "integration_id": hooked.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, old, [{"type": "order", "id": "B"}])
    assert response.status_code == 202 and response.json()["queued"] == {"orders": ["B"]}
    assert FakeFlow.processed == ["B"]


def test_the_view_is_the_one_the_registry_names(client, hooked, monkeypatch):
    seen = []

    def view(request, integration_id):
        seen.append(integration_id)
        return JsonResponse({"ok": True}, status=202)

    monkeypatch.setattr("tests.sync.test_webhook_routes.registry_view", view, raising=False)
    info = SYSTEMS[System.CENTRA]
    monkeypatch.setitem(
        SYSTEMS, System.CENTRA, replace(info, webhook_view="tests.sync.test_webhook_routes.registry_view")
    )
    response = client.post(f"/webhooks/centra/{hooked.pk}/", data=b"x", content_type=FORM)
    assert response.status_code == 202 and seen == [hooked.pk]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("system", ["fortnox", "visma_net", "no-such-system"])
def test_a_system_without_webhooks_is_a_404_not_stored(client, hooked, system, caplog):
    response = post(client, f"/webhooks/{system}/{hooked.pk}/", [{"type": "order", "id": "A"}])
    assert response.status_code == 404
    assert response.json()["error"] == f"{system} posts no webhooks to Koppla"
    assert "a system without webhooks" in caplog.text
    assert not WebhookEvent.objects.exists() and not SyncRun.objects.exists()


def test_a_delivery_for_an_integration_with_another_shop_is_a_404_not_stored(client, caplog):
    other = IntegrationFactory(shop=ConnectionFactory(system="eaccounting", auth_type="oauth2_code"))
    response = post(client, f"/webhooks/centra/{other.pk}/", [{"type": "order", "id": "A"}])
    assert response.status_code == 404
    assert response.json()["error"] == f"integration {other.pk} has no Centra shop"
    assert "whose shop is Visma eAccounting" in caplog.text
    assert not WebhookEvent.objects.exists()
