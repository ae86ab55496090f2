"""The Centra emulator itself: schema, wire format, paging limits, helpers and webhooks."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from graphql import build_schema, parse, validate

from integrations.centra import queries, sandbox
from integrations.centra.webhooks import signature_verify
from sync.models import WebhookEvent
from tests.conftest import CENTRA_TOKEN

from .conftest import order_node

pytestmark = pytest.mark.django_db


def post(query: str, variables: dict | None = None, token: str = CENTRA_TOKEN):
    return DjangoClient().post(
        "/sandbox/centra/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_every_client_operation_is_valid_against_the_served_schema():
    schema = build_schema(sandbox.SCHEMA_PATH.read_text())
    assert len(queries.OPERATIONS) >= 20
    for name, document in queries.OPERATIONS.items():
        errors = validate(schema, parse(document))
        assert errors == [], f"{name}: {errors}"


def test_money_is_written_with_two_decimals_and_extensions_are_present(centra_connection):
    sandbox.order_put(order_node(1))
    response = post("{ orders { number grandTotal { value formattedValue } lines { taxPercent } } }")
    assert response.status_code == 200
    text = response.content.decode()
    assert '"value": 259.00' in text
    body = json.loads(text)
    assert body["data"]["orders"][0]["grandTotal"]["formattedValue"] == "259.00 SEK"
    assert body["extensions"]["permissionsUsed"] == ["Order:read"]
    assert "complexity" in body["extensions"]


def test_limit_above_the_maximum_is_refused(centra_connection):
    body = post("{ orders(limit: 5000, page: 1) { number } }").json()
    assert "limit must be between 1 and 500" in body["errors"][0]["message"]


def test_get_is_not_allowed(db):
    assert DjangoClient().get("/sandbox/centra/graphql").status_code == 405


def test_rate_limits_query_reports_the_default_quotas(centra_connection):
    sandbox.rate_limits_reset()
    post("{ stores { id } }")
    rows = post("{ rateLimits { type intervalSeconds quota usedQuota remainingQuota } }").json()["data"]["rateLimits"]
    requests_10s = next(r for r in rows if r["type"] == "REQUEST_COUNT" and r["intervalSeconds"] == 10)
    assert requests_10s == {
        "type": "REQUEST_COUNT",
        "intervalSeconds": 10,
        "quota": 20,
        "usedQuota": 2,
        "remainingQuota": 18,
    }
    assert all(r["quota"] == r["usedQuota"] + r["remainingQuota"] for r in rows)


def test_order_set_moves_updated_at_and_reset_forgets_everything(centra_connection):
    sandbox.order_put(order_node(1))
    sandbox.order_set(1, status="CANCELLED", at=datetime(2026, 4, 1, 12, tzinfo=UTC))
    order = sandbox.order_get(1)
    assert order["status"] == "CANCELLED" and order["updatedAt"] == "2026-04-01T12:00:00+00:00"
    assert [o["number"] for o in sandbox.orders()] == [1]
    sandbox.reset()
    assert sandbox.orders() == [] and sandbox.order_get(1) is None


def test_webhook_send_is_accepted_by_our_endpoint(integration):
    secret = "centra-webhook-secret-test"
    integration.shop.secrets = {"webhook_secret": secret}
    integration.shop.save()
    url = reverse("centra_webhook", args=[integration.pk])
    response = sandbox.webhook_send(
        url_or_path=f"http://testserver{url}",
        secret=secret,
        events=[{"type": "order", "action": "update", "id": 20001}],
    )
    assert response.status_code == 202, response.content
    event = WebhookEvent.objects.get(integration=integration)
    assert event.status == WebhookEvent.Status.ACCEPTED
    assert event.events[0]["id"] == 20001 and event.events[0]["date"]


def test_webhook_send_signs_like_the_plugin(integration):
    captured = {}

    class Recorder:
        def post(self, path, data, content_type, **headers):
            captured.update(path=path, body=data, content_type=content_type, header=headers["HTTP_X_CENTRA_SIGNATURE"])

    sandbox.webhook_send(
        path="/hook/", secret="test123", events=[{"type": "return", "id": 3}], at=1_700_000_000, client=Recorder()
    )
    assert captured["path"] == "/hook/"
    assert captured["content_type"] == "application/x-www-form-urlencoded"
    assert captured["body"].startswith(b"payload=%7B%22events%22")
    assert captured["header"].startswith("t=1700000000,v1=")
    assert signature_verify(header=captured["header"], body=captured["body"], secret="test123", now=1_700_000_000).ok


def test_webhook_with_a_wrong_secret_is_rejected(integration):
    integration.shop.secrets = {"webhook_secret": "right"}
    integration.shop.save()
    response = sandbox.webhook_send(
        path=reverse("centra_webhook", args=[integration.pk]), secret="wrong", events=[{"type": "order", "id": 1}]
    )
    assert response.status_code == 401
