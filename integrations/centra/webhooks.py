"""Centra webhooks: the view the registry names, its signature and payload checks.

Centra's webhook plugin posts `payload=<json {"events": [{"type", "action", "date", "id"}]}>`
form-encoded with the header `X-Centra-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret,
"<t>." + raw body)>` and gives up after 5 s (api-notes.md, Webhooks). The checks here are
pure (no database, no clock unless asked); storing, duplicates, queuing runs and every answer
but the format's are sync/webhooks.py's, shared by every system that posts webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from sync.webhook_checks import PayloadError, Verdict, json_kind, shown, source_id_check, storable_text
from sync.webhooks import WebhookReceiver, webhook_receive

TOLERANCE_SECONDS = 300
# Largest plausible signature time in Unix seconds (year 2286): larger is milliseconds or garbage.
MAX_TIMESTAMP = 10**10
# Centra event type → flow that syncs that record
EVENT_FLOWS = {"order": "orders", "customer": "customers", "return": "refunds"}
MAX_FORM_FIELDS = 20  # Centra sends one: payload
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------- signature
def signature_compute(secret: str, timestamp: str | int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_parts(header: str) -> dict[str, list[str]]:
    """`t=1,v1=ab,v1=cd` → {"t": ["1"], "v1": ["ab", "cd"]}; items without `=` are ignored."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key and value:
            parts.setdefault(key, []).append(value)
    return parts


def signature_verify(*, header: str, body: bytes, secret: str, now: float | None = None) -> Verdict:
    """Check X-Centra-Signature for this raw body. Pure: no database, no clock unless `now` is None.

    Refused: no secret, no t or v1, a t that is not Unix seconds in [0, MAX_TIMESTAMP], no v1
    equal to the HMAC, or a t more than TOLERANCE_SECONDS from `now`.
    """
    if not secret:
        return Verdict(False, "no webhook secret is set on the shop connection")
    parts = signature_parts(header)
    if "t" not in parts or "v1" not in parts:
        return Verdict(False, "missing or malformed X-Centra-Signature header (expected t=<unix time>,v1=<hex>)")
    raw = parts["t"][0]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_TIMESTAMP))):
        return Verdict(False, f"signature timestamp {shown(raw, 24)} is not a Unix time in seconds")
    timestamp = int(raw)
    if timestamp > MAX_TIMESTAMP:
        return Verdict(False, f"signature timestamp {timestamp} is not a Unix time in seconds")
    expected = signature_compute(secret, timestamp, body).encode()
    # Compare bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
    match = next((v for v in parts["v1"] if hmac.compare_digest(v.encode("utf-8", "replace"), expected)), None)
    if match is None:
        return Verdict(False, "signature does not match", timestamp)
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > TOLERANCE_SECONDS:
        return Verdict(False, f"signature is {int(abs(age))} s {'old' if age > 0 else 'in the future'}", timestamp)
    return Verdict(True, timestamp=timestamp, signature=match)


# --------------------------------------------------------------------------- payload
def events_parse(body: bytes) -> list:
    """The `events` list of a delivery body (`payload=<json>`, form-encoded); items unchecked.

    Raises PayloadError when the body is not UTF-8, has no payload field, the payload is not
    JSON (or nested too deeply for the parser), not an object, or its `events` is not a list.
    A payload object without `events` is an empty delivery.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 (byte 0x{body[exc.start]:02x} at position {exc.start})") from None
    try:
        form = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise PayloadError(f"body has more than {MAX_FORM_FIELDS} form fields (Centra sends one: payload)") from None
    if "payload" not in form:
        names = ", ".join(shown(name, 20) for name in list(form)[:5]) or "none"
        raise PayloadError(f"body has no 'payload' form field (fields: {names})")
    try:
        payload = json.loads(form["payload"][0])
    except RecursionError:
        raise PayloadError("payload JSON is nested too deeply to read") from None
    except ValueError as exc:
        raise PayloadError(f"payload is not JSON: {storable_text(str(exc), 120)}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"payload is {json_kind(payload)}, not an object with an 'events' list")
    events = payload.get("events", [])
    if not isinstance(events, list):
        raise PayloadError(f"'events' is {json_kind(events)}, not a list")
    return events


def events_ids(events: list) -> tuple[dict[str, list[str]], list[str]]:
    """Source ids per flow named by the events, and one line per skipped event.

    Skipped: an item that is not an object, an event of a synced type (EVENT_FLOWS) whose id is
    missing or unusable (source_id_check). Events of other types (shipment, account) are ignored.
    """
    wanted: dict[str, set[str]] = {}
    skipped: list[str] = []
    for number, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            skipped.append(f"event {number} is {json_kind(event)}, not an object")
            continue
        kind = event.get("type")
        flow = EVENT_FLOWS.get(kind) if isinstance(kind, str) else None
        if flow is None:
            continue
        if "id" not in event:
            skipped.append(f"event {number} ({kind}) has no id")
            continue
        source_id, problem = source_id_check(event["id"])
        if source_id is None:
            skipped.append(f"event {number} ({kind}): id {shown(event['id'])} is {problem}")
            continue
        wanted.setdefault(flow, set()).add(source_id)
    return {flow: sorted(ids) for flow, ids in wanted.items()}, skipped


# --------------------------------------------------------------------------- the view
class CentraWebhook(WebhookReceiver):
    system = "centra"
    sender = "Centra"
    content_type = FORM_CONTENT_TYPE
    body_hint = "payload=<json>"

    def verify(self, request, body: bytes, integration) -> tuple[Verdict, str]:
        header = request.META.get("HTTP_X_CENTRA_SIGNATURE", "")
        verdict = signature_verify(header=header, body=body, secret=integration.shop.secret("webhook_secret"))
        return verdict, verdict.signature or next(iter(signature_parts(header).get("v1", [])), "")

    def events(self, body: bytes) -> list:
        return events_parse(body)

    def ids(self, events: list) -> tuple[dict[str, list[str]], list[str]]:
        return events_ids(events)


@csrf_exempt
@sensitive_variables("secret")  # the webhook secret, in signature_verify's frame
def centra_webhook(request, integration_id: int):
    """Receive one Centra delivery for integration `integration_id` (answers: sync/webhooks.py)."""
    return webhook_receive(request, integration_id, receiver=CentraWebhook())
