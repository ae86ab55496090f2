"""Centra webhooks: check, store, enqueue, answer fast. The schedule is the safety net.

Centra's webhook plugin posts `payload=<json>` form-encoded with the header
`X-Centra-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`
and gives up after 5 s (integrations/centra/api-notes.md). Every delivery to a known
integration is stored as a WebhookEvent with its reason, and no answer is a 500:

    202  verified: the valid ids are queued; skipped events are named in reason and notes
    200  the same signature was already accepted (a retry or a replay): stored as duplicate
    400  empty or unreadable body, payload not an object with an events list
    401  signature missing, malformed, not matching, or more than 5 minutes off
    405  not a POST                  413  body over settings.WEBHOOK_MAX_BODY_BYTES
    415  not application/x-www-form-urlencoded
    404  no integration with that id: logged only, there is nothing to attach it to

An unexpected error is stored with the step it happened in and answered 202 when the
signature was verified (the schedule picks the records up), 400 otherwise; only when
nothing at all can be stored (database down) the answer is 503, so that Centra retries.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from config.errors import ApplicationError

from .models import Integration, IntegrationFlow, SyncRun, WebhookEvent
from .services import flow_run_enqueue
from .webhook_checks import (
    EVENT_FLOWS,
    TOLERANCE_SECONDS,
    PayloadError,
    Verdict,
    events_ids,
    events_parse,
    signature_compute,
    signature_parts,
    signature_verify,
    storable,
    storable_text,
)

__all__ = ["EVENT_FLOWS", "TOLERANCE_SECONDS", "Verdict", "centra_webhook", "signature_compute", "signature_verify"]

logger = logging.getLogger("koppla.webhooks")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
STORED_EVENTS = 500  # Centra sends at most 100 per delivery
NOTES_LINES = 100
REASON_LENGTH = WebhookEvent._meta.get_field("reason").max_length
SIGNATURE_LENGTH = WebhookEvent._meta.get_field("signature").max_length


def _storable(text: str, limit: int = REASON_LENGTH) -> str:
    """A reason/signature text that fits its column and any database (see webhook_checks.storable_text)."""
    return storable_text(text, limit)


@dataclass
class _Delivery:
    """What is known of one delivery so far; the catch-all stores whatever it holds."""

    integration: Integration
    request: HttpRequest
    step: str = "reading the request"
    verified: bool = False
    signature: str = ""
    signed_at: datetime | None = None
    events: list = field(default_factory=list)
    skipped: int = 0
    event: WebhookEvent | None = None

    @property
    def remote_addr(self) -> str | None:
        value = self.request.META.get("REMOTE_ADDR") or ""
        try:  # a unix socket or proxy may pass something else; the column is an IP address
            return str(ipaddress.ip_address(value))
        except ValueError:
            return None


def _signed_at(timestamp: int | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None
    except (OverflowError, OSError, ValueError):
        return None


def _content_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    return int(raw) if raw.isascii() and raw.isdigit() else None


# --------------------------------------------------------------------------- answers
def _store(delivery: _Delivery, *, status: str, reason: str, **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        integration=delivery.integration,
        status=status,
        reason=_storable(reason),
        signature=_storable(delivery.signature, SIGNATURE_LENGTH),
        signed_at=delivery.signed_at,
        remote_addr=delivery.remote_addr,
        **fields,
    )


def _reject(delivery: _Delivery, reason: str, status: int) -> JsonResponse:
    reason = _storable(reason)
    delivery.event = _store(delivery, status=WebhookEvent.Status.REJECTED, reason=reason)
    logger.warning(
        "Rejected Centra webhook for integration %s from %s (%s): %s",
        delivery.integration.pk,
        delivery.remote_addr,
        status,
        reason,
    )
    response = JsonResponse({"error": reason, "event": delivery.event.pk}, status=status)
    if status == 405:
        response["Allow"] = "POST"
    return response


def _duplicate(delivery: _Delivery, original: WebhookEvent) -> JsonResponse:
    reason = (
        f"repeat of event {original.pk}, accepted {timezone.localtime(original.created_at):%Y-%m-%d %H:%M:%S}: "
        "acknowledged, nothing queued again"
    )
    event = _store(delivery, status=WebhookEvent.Status.DUPLICATE, reason=reason)
    logger.info("Duplicate Centra webhook for integration %s: %s", delivery.integration.pk, reason)
    return JsonResponse({"duplicate": True, "event": event.pk, "original": original.pk}, status=200)


def _unavailable() -> JsonResponse:
    """Nothing could be stored (database down): the one 5xx, so that Centra delivers again."""
    return JsonResponse({"error": "temporarily unavailable, retry later"}, status=503, headers={"Retry-After": "60"})


def _accepted_original(delivery: _Delivery) -> WebhookEvent | None:
    return WebhookEvent.objects.filter(
        integration=delivery.integration, status=WebhookEvent.Status.ACCEPTED, signature=delivery.signature
    ).first()


# --------------------------------------------------------------------------- the view
@csrf_exempt
@sensitive_variables("secret")  # the webhook secret, in signature_verify's frame
def centra_webhook(request, integration_id: int):
    """Receive one Centra delivery for integration `integration_id` (answers: module docstring)."""
    try:
        integration = Integration.objects.select_related("shop").filter(pk=integration_id).first()
    except DatabaseError:
        logger.exception("Centra webhook for integration %s: database unavailable, answered 503", integration_id)
        return _unavailable()
    if integration is None:
        logger.warning(
            "Centra webhook for unknown integration %s from %s: answered 404, not stored",
            integration_id,
            request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse({"error": f"no integration with id {integration_id}"}, status=404)
    delivery = _Delivery(integration=integration, request=request)
    try:
        return _receive(delivery)
    except Exception as exc:  # noqa: BLE001 - the catch-all: store the delivery, never a 500
        return _receive_failed(delivery, exc)


def _receive(delivery: _Delivery) -> JsonResponse:
    request = delivery.request
    if request.method != "POST":
        return _reject(delivery, f"method {request.method} is not allowed: Centra posts deliveries", 405)
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    length = _content_length(request)
    if length is None:
        return _reject(delivery, f"Content-Length {request.META.get('CONTENT_LENGTH')!r} is not a number", 400)
    if length > limit:  # refused before reading a byte of it
        return _reject(delivery, f"body of {length} bytes is over the limit of {limit} bytes", 413)
    if length == 0:
        return _reject(delivery, "empty body (Content-Length 0 or missing): Centra sends payload=<json>", 400)
    if request.content_type != FORM_CONTENT_TYPE:
        kind = request.content_type or "missing"
        return _reject(delivery, f"content type {kind} is not {FORM_CONTENT_TYPE}, which Centra sends", 415)
    try:
        body = request.body
    except RequestDataTooBig:
        return _reject(
            delivery, f"body is over DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)", 413
        )
    if len(body) > limit:
        return _reject(delivery, f"body of {len(body)} bytes is over the limit of {limit} bytes", 413)
    if not body:
        return _reject(delivery, "empty body (Content-Length 0 or missing): Centra sends payload=<json>", 400)

    delivery.step = "checking the signature"
    header = request.META.get("HTTP_X_CENTRA_SIGNATURE", "")
    verdict = signature_verify(header=header, body=body, secret=delivery.integration.shop.secret("webhook_secret"))
    delivery.signature = verdict.signature or next(iter(signature_parts(header).get("v1", [])), "")
    delivery.signed_at = _signed_at(verdict.timestamp)
    if not verdict.ok:
        return _reject(delivery, verdict.reason, 401)
    delivery.verified = True

    delivery.step = "reading the payload"
    try:
        delivery.events = events_parse(body)
    except PayloadError as exc:
        return _reject(delivery, f"unreadable payload: {exc}", 400)
    original = _accepted_original(delivery)
    if original is not None:
        return _duplicate(delivery, original)

    delivery.step = "storing the event"
    queue, reason, notes = _plan(delivery)
    stored = storable(delivery.events[:STORED_EVENTS])
    if stored != delivery.events[:STORED_EVENTS]:
        reason.append("some values were cleaned to be stored (NUL or invalid characters → �, long texts cut)")
    try:
        with transaction.atomic():
            delivery.event = _store(
                delivery,
                status=WebhookEvent.Status.ACCEPTED,
                reason="; ".join(reason),
                notes="\n".join(notes),
                events=stored,
                enqueued=queue,
            )
    except IntegrityError:  # the same delivery accepted a moment ago by another request
        original = _accepted_original(delivery)
        if original is None:
            raise
        return _duplicate(delivery, original)

    delivery.step = "queuing runs"
    _enqueue(delivery, queue)
    return JsonResponse(
        {
            "accepted": len(delivery.events),
            "queued": delivery.event.enqueued,
            "skipped": delivery.skipped,
            "event": delivery.event.pk,
        },
        status=202,
    )


def _plan(delivery: _Delivery) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """(ids to queue per flow, reason parts, notes lines) for a verified delivery."""
    integration = delivery.integration
    wanted, skipped = events_ids(delivery.events)
    delivery.skipped = len(skipped)
    reason: list[str] = []
    if skipped:
        more = " (all in notes)" if len(skipped) > 1 else ""
        reason.append(f"{len(skipped)} of {len(delivery.events)} event(s) skipped{more}: {skipped[0]}")
    if len(delivery.events) > STORED_EVENTS:
        reason.append(f"only the first {STORED_EVENTS} of {len(delivery.events)} events are stored")
    notes = skipped[:NOTES_LINES]
    if len(skipped) > NOTES_LINES:
        notes.append(f"… and {len(skipped) - NOTES_LINES} more skipped event(s)")
    if not integration.is_active:
        if wanted:
            reason.append("integration is switched off: nothing queued")
        return {}, reason, notes
    enabled = set(
        IntegrationFlow.objects.filter(integration=integration, enabled=True, flow__in=wanted).values_list(
            "flow", flat=True
        )
    )
    off = sorted(set(wanted) - enabled)
    if off:
        reason.append(f"not queued, flow off: {', '.join(off)}")
    return {flow: ids for flow, ids in wanted.items() if flow in enabled}, reason, notes


def _enqueue(delivery: _Delivery, queue: dict[str, list[str]]) -> None:
    """Start a webhook run per flow; a flow that cannot be queued is noted on the event, not raised."""
    failed: dict[str, str] = {}
    for flow, ids in queue.items():
        try:
            flow_run_enqueue(
                integration=delivery.integration, flow=flow, trigger=SyncRun.Trigger.WEBHOOK, source_ids=ids
            )
        except ApplicationError as exc:
            failed[flow] = f"{flow} not queued: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - the schedule picks the records up
            logger.exception("Webhook event %s: queuing %s failed", delivery.event.pk, flow)
            failed[flow] = f"{flow} not queued ({type(exc).__name__}: {exc}); the schedule will sync them"
    if not failed:
        return
    event = delivery.event
    event.enqueued = {flow: ids for flow, ids in queue.items() if flow not in failed}
    event.reason = _storable("; ".join(filter(None, [event.reason, *failed.values()])))
    event.notes = "\n".join(filter(None, [event.notes, *(_storable(text, 1000) for text in failed.values())]))
    event.save(update_fields=["enqueued", "reason", "notes", "updated_at"])


def _receive_failed(delivery: _Delivery, exc: Exception) -> JsonResponse:
    """The catch-all: record the delivery and what went wrong; 202 if verified, 400 if not, 503 if unstorable."""
    logger.exception(
        "Unexpected error while %s of a Centra webhook for integration %s", delivery.step, delivery.integration.pk
    )
    reason = f"unexpected error while {delivery.step} ({type(exc).__name__}: {exc})"
    if delivery.verified:
        reason = f"{reason[: REASON_LENGTH - 40]}; the schedule will sync the records"
    reason = _storable(reason)
    status = 202 if delivery.verified else 400
    try:
        if delivery.event is not None:  # stored already: add what went wrong
            WebhookEvent.objects.filter(pk=delivery.event.pk).update(reason=reason)
        else:
            delivery.event = _store_anyhow(delivery, reason)
    except Exception:  # noqa: BLE001 - nothing can be stored: let Centra retry
        logger.exception("Centra webhook for integration %s could not be stored", delivery.integration.pk)
        if delivery.event is None:
            return _unavailable()
    return JsonResponse({"error": reason, "event": delivery.event.pk}, status=status)


def _store_anyhow(delivery: _Delivery, reason: str) -> WebhookEvent:
    """A rejected event with what was parsed; failing that, with the reason alone."""
    try:
        with transaction.atomic():
            return _store(
                delivery,
                status=WebhookEvent.Status.REJECTED,
                reason=reason,
                events=storable(delivery.events[:STORED_EVENTS]),
            )
    except Exception:  # noqa: BLE001 - e.g. a value the database still refuses
        logger.exception("Webhook for integration %s: storing its events failed", delivery.integration.pk)
        delivery.signature, delivery.signed_at = "", None
        return _store(delivery, status=WebhookEvent.Status.REJECTED, reason=reason)
