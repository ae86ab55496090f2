"""Reading one remote record into the neutral records of sync/shop.py: the failures and values every reader shares.

A system's reader (integrations/<system>/…) wraps each record in `record_reading(what, source=…)`; any value
it cannot use then fails that record alone as RecordFailed, named ("order 1001 cannot be read: …") with what
to do, and the listing goes on (the adapter yields it as `Unreadable`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from config.storable import storable_text
from sync.flows.base import RecordFailed
from sync.vat import money


class UnreadableValue(ValueError):
    """A remote value Koppla cannot use; the message names the field and the value."""


@contextmanager
def record_reading(what: str, *, source: str) -> Iterator[None]:
    """Turn any failure to read a record into RecordFailed("<what> cannot be read: …").

    `what` names the record ("order 1001"); `source` the system as the operator knows it ("the shop",
    "eAccounting"). An UnreadableValue says which value to correct there; any other error of shape
    (KeyError, TypeError, …) is reported as data of an unexpected shape. RecordFailed passes unchanged."""
    try:
        yield
    except RecordFailed:
        raise
    except UnreadableValue as exc:
        raise RecordFailed(f"{what} cannot be read: {exc}. Correct it in {source}, then resync.") from exc
    except (ArithmeticError, AttributeError, KeyError, LookupError, TypeError, ValueError) as exc:
        raise RecordFailed(
            f"{what} cannot be read: {source} sent data of an unexpected shape ({type(exc).__name__}: "
            f"{storable_text(exc, 300)}). Check it in {source}, then resync."
        ) from exc


def text(value: Any) -> str:
    """A remote value as storable text, stripped ("" for None; NUL and lone surrogates dropped: config.storable)."""
    return "" if value is None else storable_text(value).strip()


def shown(value: Any) -> str:
    """A value as an error message quotes it: its repr, at most 60 characters."""
    return storable_text(repr(value), 60)


def decimal_from(value: Any, what: str) -> Decimal:
    """A finite Decimal from a JSON number or numeric text (sync.vat.money); UnreadableValue naming `what` else.

    A bool, None, a list or dict, "abc", NaN or Infinity is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise UnreadableValue(f"{what} is {shown(value)}, not a number")
    try:
        result = money(value)
    except (InvalidOperation, ValueError):
        raise UnreadableValue(f"{what} is {shown(value)}, not a number") from None
    if not result.is_finite():
        raise UnreadableValue(f"{what} is {shown(value)}, not a number")
    return result
