"""Centra webhooks: verify, store, enqueue, answer fast. The schedule is the safety net.

Centra's webhook plugin posts `payload=<json>` form-encoded with the header
`X-Centra-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`
and gives up after 5 s. We accept a signature once, only within 5 minutes of
its timestamp, answer 202 after queuing the affected records, and log every
rejected delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import ApplicationError

from .models import Integration, IntegrationFlow, SyncRun, WebhookEvent
from .services import flow_run_enqueue

logger = logging.getLogger("koppla.webhooks")

TOLERANCE_SECONDS = 300
# Centra event type → (flow, how the id in the event names the record)
EVENT_FLOWS = {"order": "orders", "customer": "customers", "return": "refunds"}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    timestamp: int | None = None
    signature: str = ""


def signature_compute(secret: str, timestamp: str | int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_verify(*, header: str, body: bytes, secret: str, now: float | None = None) -> Verdict:
    """Check X-Centra-Signature for this raw body. Pure: no database, no clock unless `now` is None."""
    if not secret:
        return Verdict(False, "no webhook secret is set on the shop connection")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key and value:
            parts.setdefault(key, []).append(value)
    if "t" not in parts or "v1" not in parts:
        return Verdict(False, "missing or malformed X-Centra-Signature header")
    try:
        timestamp = int(parts["t"][0])
    except ValueError:
        return Verdict(False, "signature timestamp is not a number")
    expected = signature_compute(secret, timestamp, body)
    match = next((v for v in parts["v1"] if hmac.compare_digest(v, expected)), None)
    if match is None:
        return Verdict(False, "signature does not match", timestamp)
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > TOLERANCE_SECONDS:
        return Verdict(False, f"signature is {int(abs(age))} s {'old' if age > 0 else 'in the future'}", timestamp)
    return Verdict(True, timestamp=timestamp, signature=match)


def events_parse(body: bytes) -> list[dict]:
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    payload = json.loads(form["payload"][0])
    events = payload.get("events", [])
    if not isinstance(events, list):
        raise ValueError("'events' is not a list")
    return [e for e in events if isinstance(e, dict)]


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _reject(integration, request, reason: str, status: int, verdict: Verdict | None = None) -> JsonResponse:
    WebhookEvent.objects.create(
        integration=integration,
        status=WebhookEvent.Status.REJECTED,
        reason=reason[:200],
        signature=(verdict.signature if verdict else "")[:128],
        signed_at=datetime.fromtimestamp(verdict.timestamp, UTC) if verdict and verdict.timestamp else None,
        remote_addr=_client_ip(request),
    )
    logger.warning(
        "Rejected Centra webhook for integration %s from %s: %s", integration.pk, _client_ip(request), reason
    )
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def centra_webhook(request, integration_id: int):
    integration = get_object_or_404(Integration, pk=integration_id)
    body = request.body
    verdict = signature_verify(
        header=request.META.get("HTTP_X_CENTRA_SIGNATURE", ""),
        body=body,
        secret=integration.shop.secret("webhook_secret"),
    )
    if not verdict.ok:
        return _reject(integration, request, verdict.reason, 401, verdict)
    try:
        events = events_parse(body)
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        return _reject(integration, request, f"unreadable payload: {exc}", 400, verdict)

    wanted: dict[str, set[str]] = {}
    for event in events:
        flow = EVENT_FLOWS.get(str(event.get("type")))
        if flow and event.get("id") is not None:
            wanted.setdefault(flow, set()).add(str(event["id"]))
    enabled = set(
        IntegrationFlow.objects.filter(integration=integration, enabled=True, flow__in=wanted).values_list(
            "flow", flat=True
        )
    )
    enqueued = {flow: sorted(ids) for flow, ids in wanted.items() if flow in enabled}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                integration=integration,
                status=WebhookEvent.Status.ACCEPTED,
                signature=verdict.signature,
                signed_at=datetime.fromtimestamp(verdict.timestamp, UTC),
                events=events[:500],
                remote_addr=_client_ip(request),
                enqueued=enqueued if integration.is_active else {},
            )
    except IntegrityError:
        return _reject(integration, request, "replayed: this signature was already accepted", 409, verdict)
    if integration.is_active:
        for flow, ids in enqueued.items():
            try:
                flow_run_enqueue(integration=integration, flow=flow, trigger=SyncRun.Trigger.WEBHOOK, source_ids=ids)
            except ApplicationError as exc:
                logger.info("Webhook %s accepted but %s not queued: %s", event.pk, flow, exc.message)
    return JsonResponse({"accepted": len(events), "queued": event.enqueued, "event": event.pk}, status=202)
