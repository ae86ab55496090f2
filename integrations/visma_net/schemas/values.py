"""Plain Python values as Visma.net's JSON: numbers, dates and the `{"value": …}` wrapper.

The conventions (None is not sent, Decimal without binary rounding, dates as
`YYYY-MM-DDT00:00:00`) are described in the package docstring (schemas/__init__.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAX_EXACT_DIGITS = 15  # a double carries any decimal of up to 15 significant digits exactly through repr


def json_number(value: Decimal | int) -> int | float:
    """A JSON number for a Decimal/int, without binary rounding errors (see the package docstring)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"Money and quantities must be Decimal or int, not {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return value
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if len(value.normalize().as_tuple().digits) > MAX_EXACT_DIGITS or Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be sent as a JSON number without rounding")
    return number


def json_date(value: date | datetime | str) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    return value


def json_value(value: Any) -> Any:
    """A plain Python value as the JSON the ERP expects (nested dicts/lists are converted recursively)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (Decimal, int, float)):
        return json_number(value)
    if isinstance(value, (date, datetime)):
        return json_date(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    raise TypeError(f"Cannot send {type(value).__name__} to Visma.net: {value!r}")


def wrap(value: Any) -> dict:
    """`{"value": <value>}`: the wrapper of every Visma.net write field."""
    return {"value": json_value(value)}


def wrapped(**fields: Any) -> dict:
    """Wrap each field that is not None: wrapped(name="A", note=None) == {"name": {"value": "A"}}."""
    return {name: wrap(value) for name, value in fields.items() if value is not None}


def unwrap(body: dict) -> dict:
    """The plain values of a wrapped body (tests and logs): {"a": {"value": 1}} → {"a": 1}."""
    plain: dict = {}
    for key, item in body.items():
        if isinstance(item, dict) and set(item) == {"value"}:
            inner = item["value"]
            plain[key] = unwrap(inner) if isinstance(inner, dict) else inner
        elif isinstance(item, list):
            plain[key] = [unwrap(x) if isinstance(x, dict) else x for x in item]
        else:
            plain[key] = item
    return plain
