"""Webhooks: check, store, enqueue, answer fast. The schedule is the safety net.

Deliveries arrive at /webhooks/<system>/<integration id>/; `webhook` finds the system's view
in the registry (SystemInfo.webhook_view, e.g. integrations/centra/webhooks.py), which hands
`webhook_receive` a WebhookReceiver: the system's content type, signature check and payload
reader. Everything else is here, the same for every system. Every delivery to a known
integration is stored as a WebhookEvent with its reason, and no answer is a 500:

    202  verified: the valid ids are queued; skipped events are named in reason and notes
    200  the same signature was already accepted (a retry or a replay): stored as duplicate
    400  empty or unreadable body, payload not what the system sends
    401  signature missing, malformed, not matching, or too old (the system's check)
    405  not a POST                  413  body over settings.WEBHOOK_MAX_BODY_BYTES
    415  not the content type the system sends
    404  no integration with that id, or its shop is another system (or a system without
         webhooks): logged only, there is nothing to attach it to

An unexpected error is stored with the step it happened in and answered 202 when the
signature was verified (the schedule picks the records up), 400 otherwise; only when
nothing at all can be stored (database down) the answer is 503, so that the sender retries.
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
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from config.errors import ApplicationError
from integrations.systems import SYSTEMS

from .models import Integration, IntegrationFlow, SyncRun, WebhookEvent
from .services import flow_run_enqueue
from .webhook_checks import PayloadError, Verdict, storable, storable_text

__all__ = ["Verdict", "WebhookReceiver", "webhook", "webhook_receive"]

logger = logging.getLogger("koppla.webhooks")

STORED_EVENTS = 500  # senders post at most 100 per delivery (Centra)
NOTES_LINES = 100
REASON_LENGTH = WebhookEvent._meta.get_field("reason").max_length
SIGNATURE_LENGTH = WebhookEvent._meta.get_field("signature").max_length


def _storable(text: str, limit: int = REASON_LENGTH) -> str:
    """A reason/signature text that fits its column and any database (see webhook_checks.storable_text)."""
    return storable_text(text, limit)


class WebhookReceiver:
    """What a system's webhook view tells `webhook_receive` (subclassed in integrations/<system>/webhooks.py)."""

    system: str = ""  # the registry key; the integration's shop must be this system
    sender: str = ""  # the system's name in reasons and logs, e.g. "Centra"
    content_type: str = ""  # what the system posts, e.g. application/x-www-form-urlencoded
    body_hint: str = ""  # what its body looks like, for the empty-body reason, e.g. "payload=<json>"

    def verify(self, request: HttpRequest, body: bytes, integration: Integration) -> tuple[Verdict, str]:
        """The signature's verdict and the signature to store (the header's, when it does not match)."""
        raise NotImplementedError

    def events(self, body: bytes) -> list:
        """The delivery's events, items unchecked; PayloadError (why, a sentence) when unreadable."""
        raise NotImplementedError

    def ids(self, events: list) -> tuple[dict[str, list[str]], list[str]]:
        """Source ids per flow named by the events, and one line per skipped event."""
        raise NotImplementedError


@dataclass
class _Delivery:
    """What is known of one delivery so far; the catch-all stores whatever it holds."""

    integration: Integration
    request: HttpRequest
    receiver: WebhookReceiver
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
        "Rejected %s webhook for integration %s from %s (%s): %s",
        delivery.receiver.sender,
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
    logger.info(
        "Duplicate %s webhook for integration %s: %s", delivery.receiver.sender, delivery.integration.pk, reason
    )
    return JsonResponse({"duplicate": True, "event": event.pk, "original": original.pk}, status=200)


def _unavailable() -> JsonResponse:
    """Nothing could be stored (database down): the one 5xx, so that the sender delivers again."""
    return JsonResponse({"error": "temporarily unavailable, retry later"}, status=503, headers={"Retry-After": "60"})


def _accepted_original(delivery: _Delivery) -> WebhookEvent | None:
    return WebhookEvent.objects.filter(
        integration=delivery.integration, status=WebhookEvent.Status.ACCEPTED, signature=delivery.signature
    ).first()


# --------------------------------------------------------------------------- the views
@csrf_exempt
def webhook(request, system: str, integration_id: int):
    """/webhooks/<system>/<integration id>/: the view the registry names for `system` answers."""
    info = SYSTEMS.get(system)
    if info is None or not info.webhook_view:
        logger.warning(
            "Webhook for %s, a system without webhooks, integration %s from %s: answered 404, not stored",
            system[:40],
            integration_id,
            request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse({"error": f"{system[:40]} posts no webhooks to Koppla"}, status=404)
    return import_string(info.webhook_view)(request, integration_id)


def webhook_receive(request, integration_id: int, *, receiver: WebhookReceiver) -> JsonResponse:
    """Receive one delivery of `receiver`'s system for integration `integration_id` (answers: module docstring)."""
    sender = receiver.sender
    try:
        integration = Integration.objects.select_related("shop").filter(pk=integration_id).first()
    except DatabaseError:
        logger.exception("%s webhook for integration %s: database unavailable, answered 503", sender, integration_id)
        return _unavailable()
    if integration is None:
        logger.warning(
            "%s webhook for unknown integration %s from %s: answered 404, not stored",
            sender,
            integration_id,
            request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse({"error": f"no integration with id {integration_id}"}, status=404)
    if integration.shop.system != receiver.system:
        logger.warning(
            "%s webhook for integration %s, whose shop is %s, from %s: answered 404, not stored",
            sender,
            integration_id,
            integration.shop.get_system_display(),
            request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse({"error": f"integration {integration_id} has no {sender} shop"}, status=404)
    delivery = _Delivery(integration=integration, request=request, receiver=receiver)
    try:
        return _receive(delivery)
    except Exception as exc:  # noqa: BLE001 - the catch-all: store the delivery, never a 500
        return _receive_failed(delivery, exc)


def _receive(delivery: _Delivery) -> JsonResponse:
    request, receiver = delivery.request, delivery.receiver
    empty = f"empty body (Content-Length 0 or missing): {receiver.sender} sends {receiver.body_hint}"
    if request.method != "POST":
        return _reject(delivery, f"method {request.method} is not allowed: {receiver.sender} posts deliveries", 405)
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    length = _content_length(request)
    if length is None:
        return _reject(delivery, f"Content-Length {request.META.get('CONTENT_LENGTH')!r} is not a number", 400)
    if length > limit:  # refused before reading a byte of it
        return _reject(delivery, f"body of {length} bytes is over the limit of {limit} bytes", 413)
    if length == 0:
        return _reject(delivery, empty, 400)
    if request.content_type != receiver.content_type:
        kind = request.content_type or "missing"
        return _reject(
            delivery, f"content type {kind} is not {receiver.content_type}, which {receiver.sender} sends", 415
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return _reject(
            delivery, f"body is over DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)", 413
        )
    if len(body) > limit:
        return _reject(delivery, f"body of {len(body)} bytes is over the limit of {limit} bytes", 413)
    if not body:
        return _reject(delivery, empty, 400)

    delivery.step = "checking the signature"
    verdict, delivery.signature = receiver.verify(request, body, delivery.integration)
    delivery.signed_at = _signed_at(verdict.timestamp)
    if not verdict.ok:
        return _reject(delivery, verdict.reason, 401)
    delivery.verified = True

    delivery.step = "reading the payload"
    try:
        delivery.events = receiver.events(body)
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
    wanted, skipped = delivery.receiver.ids(delivery.events)
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
        "Unexpected error while %s of a %s webhook for integration %s",
        delivery.step,
        delivery.receiver.sender,
        delivery.integration.pk,
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
    except Exception:  # noqa: BLE001 - nothing can be stored: let the sender retry
        logger.exception(
            "%s webhook for integration %s could not be stored", delivery.receiver.sender, delivery.integration.pk
        )
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
