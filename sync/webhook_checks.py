"""Pure checks shared by every system's webhooks: verdicts, record ids, and what is safe to store.

No database, no clock. Every refusal is a readable sentence an operations person sees in
Sync › Webhook events. A system's own format (signature header, body) is checked in its
package, e.g. integrations/centra/webhooks.py, with these helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from config.storable import storable_json
from config.storable import storable_text as cleaned_text

MAX_ID_LENGTH = 100  # SyncRecord.source_id / SyncRun source ids

# What is stored of a delivery (WebhookEvent.events): texts cut, nesting bounded.
STORED_TEXT_LENGTH = 1000
STORED_DEPTH = 8


@dataclass(frozen=True)
class Verdict:
    """A signature check's answer: ok, or why not (a sentence); the signed time and the matching signature."""

    ok: bool
    reason: str = ""
    timestamp: int | None = None
    signature: str = ""


class PayloadError(ValueError):
    """The body is signed but cannot be read as the system's events; str(exc) says why."""


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


# --------------------------------------------------------------------------- ids
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
