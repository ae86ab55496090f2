"""Amounts of settlement files: read strictly at the format's decimal separator, then held to what a payout
stores (the model's max_digits / decimal_places) and to the currency's minor unit (ISO 4217).

`amount_parse` turns a cell into a Decimal or None; `amount_limit_problem` says why a read amount cannot be
kept exactly ('' when it can). Nothing is ever rounded: an amount that does not fit is refused.
"""

from __future__ import annotations

import re
from decimal import Decimal

from mappings.countries import CURRENCIES, currency_minor_unit
from sync.models import PayoutLine

_DIGITS = {
    ".": re.compile(r"^\d+(\.\d+)?$"),
    ",": re.compile(r"^\d+(,\d+)?$"),
}
# Thousands separators are read only where they cannot be a decimal separator: the other mark (or a
# space) in groups of three AND followed by the format's decimal separator: '1,250.00' with '.',
# '1.250,00' with ','. '1,250' with '.' is refused: it could be 1.25 written with a decimal comma.
_GROUPED = {
    ".": re.compile(r"^\d{1,3}([, ]\d{3})+\.\d+$|^\d{1,3}( \d{3})+$"),
    ",": re.compile(r"^\d{1,3}([. ]\d{3})+,\d+$|^\d{1,3}( \d{3})+$"),
}
_STORED = PayoutLine._meta.get_field("gross")
MAX_DECIMALS: int = _STORED.decimal_places  # amounts are stored to the cent: a third decimal would be rounded away
MAX_DIGITS: int = _STORED.max_digits  # digits in all, decimals included (DecimalField max_digits)


def amount_parse(text: str, *, decimal_separator: str, max_decimals: int | None = MAX_DECIMALS) -> Decimal | None:
    """The amount in `text` read with the format's decimal separator ('.' or ','), or None when it is not one.

    Accepted: an optional sign (leading '-' or '+', or a trailing '-'), digits, the decimal separator
    and at most `max_decimals` decimals (None: any number; the caller checks them); thousands separators
    only in the unambiguous shapes of `_GROUPED` (spaces, or the other mark in groups of three before the
    decimal separator). Anything else is refused rather than read at another scale: with '.', '1250,00'
    and '1.250,00' are not amounts. Blank is Decimal("0").
    """
    raw = (text or "").strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not raw:
        return Decimal("0")
    sign = 1
    if raw[0] in "+-":
        sign, raw = (-1 if raw[0] == "-" else 1), raw[1:].strip()
    elif raw.endswith("-"):
        sign, raw = -1, raw[:-1].strip()
    separator = decimal_separator if decimal_separator in _DIGITS else "."
    if _DIGITS[separator].match(raw):
        digits = raw
    elif _GROUPED[separator].match(raw):
        digits = raw.replace(" ", "").replace("," if separator == "." else ".", "")
    else:
        return None
    digits = digits.replace(",", ".")
    if max_decimals is not None and "." in digits and len(digits.split(".")[1]) > max_decimals:
        return None
    return sign * Decimal(digits)


def decimals_of(amount: Decimal) -> int:
    """Decimals written: Decimal('10.50') → 2, Decimal('100') → 0."""
    return max(0, -amount.as_tuple().exponent)


def digits_beyond(amount: Decimal, places: int) -> bool:
    """Whether `amount` has a non-zero digit after its `places`-th decimal (10.005 at 2: yes; 100.00 at 0: no)."""
    _, digits, exponent = amount.as_tuple()
    extra = -exponent - places
    return extra > 0 and any(digits[-extra:])


def amount_limit_problem(amount: Decimal, *, currency: str) -> str:
    """Why `amount` (as read from the file) cannot be kept exactly, or ''.

    Refused: a non-zero digit beyond the currency's ISO 4217 minor unit (10.005 EUR, 100.5 JPY; 100.00 JPY is
    read), any amount written with more than the MAX_DECIMALS decimals a payout stores (10.000 EUR too, as
    before: such a cell is more likely another scale than trailing zeros), an unknown or blank currency held
    to MAX_DECIMALS; and more integer digits than the stored amount holds (MAX_DIGITS − MAX_DECIMALS). The
    sentence starts lower-case, for "Row n, column c (value v): …".
    """
    code = (currency or "").strip().upper()
    minor = currency_minor_unit(code) if code in CURRENCIES else MAX_DECIMALS
    written = decimals_of(amount)
    if written > MAX_DECIMALS or digits_beyond(amount, min(minor, MAX_DECIMALS)):
        many = f"{written} decimal{'s' if written != 1 else ''}"
        if minor > MAX_DECIMALS:
            return (
                f"{many}, but Koppla keeps payout amounts to {MAX_DECIMALS} decimals: it would be rounded; ask the "
                "provider for a report in a currency with at most two decimals"
            )
        if code in CURRENCIES:
            unit = f"{code} has {minor} decimal{'s' if minor != 1 else ''} (ISO 4217 minor unit)"
        else:
            unit = f"Koppla keeps payout amounts to {MAX_DECIMALS} decimals"
        return f"{many}, but {unit}: the amount cannot be booked exactly"
    if abs(amount) >= Decimal(10) ** (MAX_DIGITS - MAX_DECIMALS):
        return (
            f"{len(str(int(abs(amount))))} digits before the decimal separator, but a payout amount holds at most "
            f"{MAX_DIGITS - MAX_DECIMALS} ({MAX_DIGITS} digits with {MAX_DECIMALS} decimals)"
        )
    return ""


def total_limit_problem(amount: Decimal, *, what: str) -> str:
    """'' when a computed total (a bank amount, fees carried by one payment) fits the stored amount; else why."""
    if abs(amount) < Decimal(10) ** (MAX_DIGITS - MAX_DECIMALS):
        return ""
    return (
        f"{what} {amount} has more than {MAX_DIGITS - MAX_DECIMALS} digits before the decimal separator: a payout "
        f"amount holds at most {MAX_DIGITS} digits with {MAX_DECIMALS} decimals"
    )
