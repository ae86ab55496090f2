"""Values of the datamapper (mappings/datamapper.py): how a value reads as text and how it is written into a body.

`rule` arguments are mappings.datamapper.Rule (its name, target path and the target's JSON type in the spec).
Money stays Decimal: a Decimal written over a JSON number becomes a number only when a double carries it
exactly (else FieldRuleError); over text, or into a text field, it is written as plain digits ("19.90").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# A number with more digits than this before or after the point is no amount or quantity (e.g. "1E+999999",
# which would also take seconds to write out as an integer).
MAX_EXPONENT = 20


class FieldRuleError(Exception):
    """A rule cannot apply to the record in hand: `message` names the rule, the field and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text_of(value: Any, *, rule, what: str) -> str:
    """A value as text: Decimal as plain digits, dates in ISO 8601, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, (Mapping, list, tuple)) or is_dataclass(value):
        raise FieldRuleError(f"{rule.name}: {what} is a group of fields, not one value: name one of its fields.")
    return str(value)


def empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (Mapping, list, tuple)):
        return not value
    return False


def body_value(value: Any, current: Any, rule) -> Any:
    """`value` as the body holds values: numbers stay exact, text stays text, dates become ISO 8601."""
    number_target = (isinstance(current, (int, float, Decimal)) and not isinstance(current, bool)) or (
        current is None and rule.target_type in ("number", "integer")
    )
    if isinstance(value, (Mapping, list, tuple)) or is_dataclass(value):
        raise FieldRuleError(f"{rule.name}: its source is a group of fields, not one value: name one of its fields.")
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(current, bool) or (current is None and rule.target_type == "boolean"):
        return _boolean(value, rule)
    if number_target and isinstance(value, (str, Decimal, int)):
        number = _decimal(value, rule)
        if number is None:
            return None  # an empty value clears the number
        if isinstance(current, Decimal):
            return number
        return _json_number(number, rule)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int) and rule.target_type == "string":
        return str(value)
    return value


def _decimal(value: Any, rule) -> Decimal | None:
    if isinstance(value, (Decimal, int)):
        number = Decimal(value)
    else:
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldRuleError(f"{rule.name}: {rule.target_path} takes a number and '{value}' is not one.") from None
    if not number.is_finite():
        raise FieldRuleError(f"{rule.name}: {rule.target_path} takes a number and '{value}' is not one.")
    if number and abs(number.adjusted()) > MAX_EXPONENT:
        raise FieldRuleError(
            f"{rule.name}: '{value}' is out of range for {rule.target_path} (more than {MAX_EXPONENT} digits "
            "before or after the point): write the number in full, without an exponent such as E+30."
        )
    return number


def _json_number(number: Decimal, rule) -> int | float:
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) != number:
        raise FieldRuleError(f"{rule.name}: {number} cannot be sent in {rule.target_path} without rounding.")
    return as_float


def _boolean(value: Any, rule) -> bool:
    text = str(value).strip().casefold()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise FieldRuleError(f"{rule.name}: {rule.target_path} takes true or false, not '{value}'.")
