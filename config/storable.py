"""Values made safe to store: what goes into a JSON or text column never makes the write fail.

PostgreSQL refuses some values every remote system happily sends: a NUL
character (U+0000) in text or in jsonb (`\\u0000 cannot be converted to text`),
and lone UTF-16 surrogates (U+D800–U+DFFF, not encodable as UTF-8; SQLite
refuses those in text too). Django's JSONField cannot serialise Decimal,
dates, bytes or sets at all. One unlucky address line would then fail the
write of a log or a binding, so every write of remote or shop data into
RecordLog, SyncRecord, SyncRun, ExternalRef, WebhookEvent and Notification
goes through these two functions:

- `storable_text(value, max_length=None)`: the text without NUL characters,
  lone surrogates replaced by U+FFFD, cut to `max_length` characters.
- `storable_json(value)`: a copy that json.dumps and jsonb both accept:
  strings (and dict keys) cleaned as above; Decimal → its exact text
  ("255.36"), date/datetime/time → ISO 8601, bytes → UTF-8 text (invalid bytes
  as U+FFFD), UUID → text, sets/tuples → lists, NaN/±Infinity → "NaN" /
  "Infinity" / "-Infinity" (not JSON); anything else → str(value). Keys that
  clash after cleaning keep both values (the later one gets a " (2)" suffix).
  Nesting deeper than MAX_DEPTH levels is replaced by a note.

Both are pure, deterministic (the same input stores the same way) and never raise.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

NUL = "\x00"
MAX_DEPTH = 64
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable_text(value: Any, max_length: int | None = None) -> str:
    """`value` as text any database stores (see the module docstring); '' for None."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else _text_of(value)
    if NUL in text:
        text = text.replace(NUL, "")
    if _SURROGATES.search(text):
        # A valid surrogate pair becomes its character; a lone surrogate becomes U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        text = _SURROGATES.sub("\ufffd", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max(0, max_length - 1)] + "…" if max_length > 0 else ""
    return text


def storable_json(value: Any, *, max_depth: int = MAX_DEPTH, max_text: int | None = None) -> Any:
    """A copy of `value` that a JSONField stores on PostgreSQL and SQLite alike (see the module docstring).

    `max_depth` bounds the nesting kept; `max_text` (characters) cuts every string and key, for
    callers that store what a stranger sent (webhook deliveries) and want it small.
    """
    return _json(value, 0, max_depth, max_text)


def _text_of(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break storing
        return f"<{type(value).__name__}>"


def _number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _json(value: Any, depth: int, max_depth: int = MAX_DEPTH, max_text: int | None = None) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return storable_text(value, max_text)
    if isinstance(value, int):
        return int(value)  # an IntEnum or int subclass becomes a plain int
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    if isinstance(value, (bytes, bytearray, memoryview, uuid.UUID)):
        return storable_text(value)
    if isinstance(value, enum.Enum):
        return _json(value.value, depth, max_depth, max_text)
    if depth >= max_depth:
        return f"(nested deeper than {max_depth} levels: not stored)"
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = _key(key) if max_text is None else storable_text(_key(key), max_text)
            if name in result:
                suffix = 2
                while f"{name} ({suffix})" in result:
                    suffix += 1
                name = f"{name} ({suffix})"
            result[name] = _json(item, depth + 1, max_depth, max_text)
        return result
    if isinstance(value, (list, tuple)):
        return [_json(item, depth + 1, max_depth, max_text) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [_json(item, depth + 1, max_depth, max_text) for item in value]
        return sorted(items, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, depth, max_depth, max_text)
    return storable_text(value)


def _key(key: Any) -> str:
    """A JSON object key: text as json.dumps would write it, cleaned."""
    if isinstance(key, str):
        return storable_text(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return str(_number(key))
    return storable_text(key)
