"""Pure checks of a Centra webhook delivery: signature, payload, ids, and what is safe to store.

No database, no clock unless asked. Every refusal is a readable sentence an operations
person sees in Sync › Webhook events. Source of the format: integrations/centra/api-notes.md
(Webhooks): `POST`, form-encoded `payload=<json {"events": [{"type", "action", "date", "id"}]}>`,
header `X-Centra-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from config.storable import storable_json
from config.storable import storable_text as cleaned_text

TOLERANCE_SECONDS = 300
# Largest plausible signature time in Unix seconds (year 2286): larger is milliseconds or garbage.
MAX_TIMESTAMP = 10**10
# Centra event type → flow that syncs that record
EVENT_FLOWS = {"order": "orders", "customer": "customers", "return": "refunds"}
MAX_ID_LENGTH = 100  # SyncRecord.source_id / SyncRun source ids
MAX_FORM_FIELDS = 20  # Centra sends one: payload

# What is stored of a delivery (WebhookEvent.events): texts cut, nesting bounded.
STORED_TEXT_LENGTH = 1000
STORED_DEPTH = 8


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    timestamp: int | None = None
    signature: str = ""


class PayloadError(ValueError):
    """The body is signed but cannot be read as Centra events; str(exc) says why."""


# --------------------------------------------------------------------------- storing
def storable_text(text: str, limit: int = STORED_TEXT_LENGTH) -> str:
    """`text` as any database stores it (config.storable), at most `limit` characters (cut with …)."""
    return cleaned_text(text, limit)


def storable(value):
    """A JSON value that PostgreSQL jsonb and SQLite both store, close to `value` (config.storable):
    strings and keys at most STORED_TEXT_LENGTH characters, nesting at most STORED_DEPTH levels."""
    return storable_json(value, max_depth=STORED_DEPTH, max_text=STORED_TEXT_LENGTH)


def shown(value, limit: int = 40) -> str:
    """A short, storable rendering of a JSON value for a reason line, e.g. `{"x": 1}`."""
    return storable_text(json.dumps(storable(value), ensure_ascii=False), limit)


def json_kind(value) -> str:
    """'a JSON list', 'null', ... for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, dict):
        return "a JSON object"
    return type(value).__name__


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


def source_id_check(value) -> tuple[str | None, str]:
    """(source id, "") for a usable record id, (None, why not) otherwise.

    Usable: a positive integer, or a non-empty printable string of at most MAX_ID_LENGTH
    characters (surrounding blanks dropped).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None, f"{json_kind(value)}, not a string or whole number"
    if isinstance(value, int):
        return (str(value), "") if 0 < value and len(str(value)) <= MAX_ID_LENGTH else (None, "not a positive number")
    text = value.strip()
    if not text:
        return None, "empty"
    if len(text) > MAX_ID_LENGTH:
        return None, f"{len(text)} characters long (at most {MAX_ID_LENGTH})"
    if not text.isprintable():
        return None, "a text with control or invalid characters"
    return text, ""


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
