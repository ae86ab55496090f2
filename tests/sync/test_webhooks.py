"""Centra webhooks: signature good / bad / stale / replayed; events queue the right records.

Whatever the body, no delivery is answered 500 and every delivery is stored with its reason
(issue 11 point 5, chaos.md point 3).
"""

import json
import time
from urllib.parse import urlencode

import pytest
from django.db import DatabaseError
from django.urls import reverse

from integrations.centra import webhooks as centra_webhooks
from integrations.centra.sandbox import webhook_send
from integrations.centra.webhooks import signature_compute, signature_verify
from sync import services, webhooks
from sync.models import IntegrationFlow, SyncRecord, SyncRun, WebhookEvent
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


def test_replayed_delivery_is_acknowledged_as_a_duplicate_and_queues_nothing_again(
    client, hooked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, body, header = deliver(client, hooked, [{"type": "order", "id": "A"}])
        assert first.status_code == 202
        second, _, _ = deliver(client, hooked, [], body=body, header=header)
    assert second.status_code == 200
    assert second.json()["duplicate"] is True and second.json()["original"] == first.json()["event"]
    duplicate = WebhookEvent.objects.get(status="duplicate")
    assert f"repeat of event {first.json()['event']}" in duplicate.reason
    assert not WebhookEvent.objects.filter(status="rejected").exists()
    assert SyncRun.objects.filter(trigger="webhook").count() == 1 and FakeFlow.processed == ["A"]


def test_events_for_a_switched_off_flow_are_stored_not_queued(client, hooked):
    IntegrationFlow.objects.filter(integration=hooked, flow="orders").update(enabled=False)
    response, _, _ = deliver(client, hooked, [{"type": "order", "id": "A"}])
    assert response.status_code == 202 and response.json()["queued"] == {}
    assert not SyncRun.objects.exists()


def test_unreadable_payload_is_a_400(client, hooked):
    response, _, _ = deliver(client, hooked, [], body=b"payload=not-json")
    assert response.status_code == 400
    assert WebhookEvent.objects.get().status == "rejected"


def test_unknown_integration_is_a_404_logged_not_stored(client, hooked, caplog):
    response = client.post("/webhooks/centra/999999/", data=b"", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert "no integration with id 999999" in response.json()["error"]
    assert "unknown integration 999999" in caplog.text
    assert not WebhookEvent.objects.exists()


# --------------------------------------------------------------------------- never a 500
FORM = "application/x-www-form-urlencoded"
NOW = int(time.time())
ONE = [{"type": "order", "action": "update", "id": "A"}]


def form(payload: str) -> bytes:
    return urlencode({"payload": payload}).encode()


def events_body(events) -> bytes:
    return form(json.dumps({"events": events}))


def header_for(body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_compute(SECRET, timestamp, body)}"


def send(client, integration, *, body=b"", header="sign", content_type=FORM, method="post", extra=None):
    """POST (or GET) `body`; header "sign" signs it now, None sends no signature header."""
    headers = dict(extra or {})
    if header == "sign":
        header = header_for(body)
    if header is not None:
        headers["HTTP_X_CENTRA_SIGNATURE"] = header
    url = reverse("centra_webhook", args=[integration.pk])
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, data=body, content_type=content_type, **headers)


def nested(depth: int):
    value = "deep"
    for _ in range(depth):
        value = [value]
    return value


MS = NOW * 1000
BAD_ID_EVENTS = lambda bad: [{"type": "order", "id": bad}, {"type": "order", "id": "B"}]  # noqa: E731
BAD_INPUTS = [
    # signature header
    pytest.param(
        {"body": events_body(ONE), "header": "t=99999999999999999999,v1=00"}, 401, "not a Unix time", id="t-huge"
    ),
    pytest.param({"body": events_body(ONE), "header": "t=-99999999999,v1=00"}, 401, "not a Unix time", id="t-negative"),
    pytest.param(
        {"body": events_body(ONE), "header": f"t={MS},v1={signature_compute(SECRET, MS, events_body(ONE))}"},
        401,
        "not a Unix time in seconds",
        id="t-milliseconds",
    ),
    pytest.param({"body": events_body(ONE), "header": None}, 401, "missing or malformed", id="header-missing"),
    pytest.param(
        {"body": events_body(ONE), "header": "garbage;;==,,v1"}, 401, "missing or malformed", id="header-garbled"
    ),
    pytest.param(
        {"body": events_body(ONE), "header": f"t={NOW},v1=\u00e9\u00e9"}, 401, "does not match", id="v1-not-ascii"
    ),
    # signed, but the payload is not an object with an events list
    pytest.param({"body": form("[1, 2]")}, 400, "payload is a JSON list", id="payload-list"),
    pytest.param({"body": form("null")}, 400, "payload is null", id="payload-null"),
    pytest.param({"body": form("42")}, 400, "payload is a number", id="payload-number"),
    pytest.param({"body": form('"order"')}, 400, "payload is a string", id="payload-string"),
    pytest.param({"body": form('{"events": {"id": 1}}')}, 400, "'events' is a JSON object", id="events-object"),
    pytest.param({"body": form("not-json")}, 400, "payload is not JSON", id="payload-not-json"),
    pytest.param({"body": form("[" * 50_000 + "]" * 50_000)}, 400, "nested too deeply", id="nested-50000"),
    pytest.param({"body": b"payload=%7B%7D\xff\xfe"}, 400, "not UTF-8", id="invalid-utf8"),
    pytest.param({"body": b"payload=%FF%FE"}, 400, "payload is not JSON", id="percent-encoded-invalid-utf8"),
    pytest.param({"body": b"events=1"}, 400, "no 'payload' form field", id="no-payload-field"),
    pytest.param({"body": "&".join(f"f{i}=1" for i in range(500)).encode()}, 400, "form fields", id="many-fields"),
    pytest.param({"body": b""}, 400, "empty body", id="empty-body"),
    # the request itself
    pytest.param({"body": b"payload=" + b"x" * (5 * 1024 * 1024), "header": None}, 413, "over the limit", id="5MB"),
    pytest.param(
        {"body": events_body(ONE), "settings": {"DATA_UPLOAD_MAX_MEMORY_SIZE": 20}},
        413,
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        id="RequestDataTooBig",
    ),
    pytest.param(
        {"body": events_body(ONE), "extra": {"CONTENT_LENGTH": "12abc"}}, 400, "Content-Length", id="length-garbled"
    ),
    pytest.param(
        {"body": json.dumps({"events": ONE}).encode(), "content_type": "application/json"},
        415,
        "content type application/json",
        id="content-type-json",
    ),
    pytest.param({"body": events_body(ONE), "content_type": ""}, 415, "content type missing", id="content-type-none"),
    pytest.param({"method": "get", "header": None}, 405, "method GET is not allowed", id="GET"),
    # accepted, cleaned to be storable (PostgreSQL jsonb refuses NUL, nothing stores lone surrogates)
    pytest.param({"body": events_body([{**ONE[0], "address": "Storgatan 1\u0000"}])}, 202, "cleaned", id="NUL"),
    pytest.param({"body": events_body([{**ONE[0], "note\u0000": 1}])}, 202, "cleaned", id="NUL-in-key"),
    pytest.param({"body": events_body([{**ONE[0], "name": "\ud800"}])}, 202, "cleaned", id="lone-surrogate"),
    pytest.param(
        {"body": form('{"events": [{"type": "order", "id": "A", "x": 1e400}]}')}, 202, "cleaned", id="infinity"
    ),
    pytest.param({"body": events_body([{**ONE[0], "x": nested(500)}])}, 202, "cleaned", id="nested-500-in-event"),
    # accepted, one bad id skipped and named; the good one ("B") queued
    *(
        pytest.param(
            {"body": events_body(BAD_ID_EVENTS(bad))},
            202,
            f"1 of 2 event(s) skipped: event 1 (order): id {shown}",
            id=name,
        )
        for name, bad, shown in [
            ("id-object", {"x": 1}, '{"x": 1}'),
            ("id-list", ["A"], '["A"]'),
            ("id-bool", True, "true"),
            ("id-empty", "", '""'),
            ("id-long", "A" * 5000, '"AAAA'),
            ("id-NUL", "A\u0000", '"A'),
            ("id-negative", -5, "-5"),
            ("id-fraction", 1.5, "1.5"),
        ]
    ),
    pytest.param(
        {"body": events_body(["order A", {"type": "order", "id": "B"}])},
        202,
        "event 1 is a string, not an object",
        id="event-string",
    ),
]


@pytest.mark.parametrize("case, status, reason", BAD_INPUTS)
def test_any_delivery_is_answered_below_500_and_stored_with_its_reason(
    client, hooked, settings, django_capture_on_commit_callbacks, case, status, reason
):
    case = dict(case)
    for name, value in case.pop("settings", {}).items():
        setattr(settings, name, value)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, hooked, **case)
    assert response.status_code < 500
    assert response.status_code == status, response.content[:300]
    event = WebhookEvent.objects.get()
    assert event.reason and reason in event.reason, event.reason
    assert len(event.reason) <= 200 and len(event.signature) <= 128
    if status >= 400:
        assert event.status == "rejected" and reason in response.json()["error"]
        assert not SyncRun.objects.exists()
    else:
        assert event.status == "accepted"
        queued = event.enqueued["orders"]
        assert queued in (["A"], ["B"]) and FakeFlow.processed == queued
    json.dumps(event.events)  # what was stored reads back as JSON


def test_the_body_over_the_limit_is_refused_before_it_is_read(client, hooked, settings, monkeypatch):
    settings.WEBHOOK_MAX_BODY_BYTES = 100

    def no_reading(self):
        raise AssertionError("the body was read")

    monkeypatch.setattr("django.core.handlers.wsgi.WSGIRequest.body", property(no_reading))
    response = send(client, hooked, body=b"payload=" + b"x" * 200)
    assert response.status_code == 413
    assert WebhookEvent.objects.get().reason == "body of 208 bytes is over the limit of 100 bytes"


def test_an_event_with_bad_ids_still_queues_the_valid_ids(client, hooked, django_capture_on_commit_callbacks):
    events = [
        {"type": "order", "id": {"x": 1}},
        {"type": "order", "id": "A"},
        {"type": "order", "id": True},
        {"type": "order", "id": 1017},
        {"type": "order", "id": ""},
        {"type": "order", "id": ["C"]},
        {"type": "order", "id": "x" * 500},
        {"type": "order"},
        {"type": "shipment", "id": {"ignored": "not a synced type"}},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_send(
            url_or_path=reverse("centra_webhook", args=[hooked.pk]), secret=SECRET, events=events, client=client
        )
    assert response.status_code == 202
    assert response.json()["queued"] == {"orders": ["1017", "A"]} and response.json()["skipped"] == 6
    run = SyncRun.objects.get(trigger="webhook")
    assert run.total == 2 and sorted(FakeFlow.processed) == ["1017", "A"]
    assert set(SyncRecord.objects.values_list("source_id", flat=True)) <= {"1017", "A"}
    event = WebhookEvent.objects.get()
    assert event.status == "accepted" and event.reason.startswith("6 of 9 event(s) skipped (all in notes): event 1")
    assert event.notes.splitlines() == [
        'event 1 (order): id {"x": 1} is a JSON object, not a string or whole number',
        "event 3 (order): id true is a boolean, not a string or whole number",
        'event 5 (order): id "" is empty',
        'event 6 (order): id ["C"] is a JSON list, not a string or whole number',
        'event 7 (order): id "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… is 500 characters long (at most 100)',
        "event 8 (order) has no id",
    ]


def test_a_repeat_racing_the_first_delivery_is_a_duplicate(client, hooked, monkeypatch):
    first, body, header = deliver(client, hooked, ONE)
    assert first.status_code == 202
    real = webhooks._accepted_original
    calls = []

    def not_yet_visible(delivery):  # the other request has not committed when we look first
        calls.append(1)
        return None if len(calls) == 1 else real(delivery)

    monkeypatch.setattr(webhooks, "_accepted_original", not_yet_visible)
    second, _, _ = deliver(client, hooked, [], body=body, header=header)
    assert second.status_code == 200 and second.json()["original"] == first.json()["event"]
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == ["accepted", "duplicate"]


def test_an_unexpected_error_after_the_signature_is_stored_and_answered_202(client, hooked, monkeypatch):
    def broken(events):
        raise RuntimeError("bug in the id check")

    monkeypatch.setattr(centra_webhooks, "events_ids", broken)
    response, _, _ = deliver(client, hooked, ONE)
    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and event.events[0]["id"] == "A"
    assert event.reason == (
        "unexpected error while storing the event (RuntimeError: bug in the id check); the schedule will sync the records"
    )


def test_an_unexpected_error_before_the_signature_is_stored_and_answered_400(client, hooked, monkeypatch):
    def broken(**kwargs):
        raise ValueError("cannot decrypt the webhook secret")

    monkeypatch.setattr(centra_webhooks, "signature_verify", broken)
    response, _, _ = deliver(client, hooked, ONE)
    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == "rejected"
    assert (
        event.reason == "unexpected error while checking the signature (ValueError: cannot decrypt the webhook secret)"
    )


def test_a_flow_that_cannot_be_queued_is_noted_on_the_accepted_event(
    client, hooked, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("queue table locked")

    monkeypatch.setattr(webhooks, "flow_run_enqueue", broken)
    response, _, _ = deliver(client, hooked, ONE)
    assert response.status_code == 202 and response.json()["queued"] == {}
    event = WebhookEvent.objects.get()
    assert event.status == "accepted" and event.enqueued == {}
    assert "orders not queued (RuntimeError: queue table locked); the schedule will sync them" in event.reason


def test_only_when_nothing_can_be_stored_the_answer_is_503(client, hooked, monkeypatch):
    def database_down(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(webhooks, "_store", database_down)
    response = send(client, hooked, method="get", header=None)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert not WebhookEvent.objects.exists()


def test_a_sender_address_that_is_not_an_ip_is_stored_as_unknown(client, hooked):
    response = send(client, hooked, body=events_body(ONE), extra={"REMOTE_ADDR": "unix:/run/gunicorn.sock"})
    assert response.status_code == 202
    assert WebhookEvent.objects.get().remote_addr is None


@pytest.mark.postgres
def test_unstorable_characters_are_stored_cleaned_in_postgresql_jsonb(
    client, hooked, django_capture_on_commit_callbacks
):
    events = [{"type": "order", "id": "A", "address": "Storgatan 1\u0000", "x\u0000": "\ud800", "n": float("inf")}]
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_send(
            url_or_path=reverse("centra_webhook", args=[hooked.pk]), secret=SECRET, events=events, client=client
        )
    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    event.refresh_from_db()
    stored = event.events[0]
    assert stored["address"] == "Storgatan 1" and stored["x"] == "\ufffd" and stored["n"] == "Infinity"
    assert "cleaned" in event.reason and FakeFlow.processed == ["A"]
