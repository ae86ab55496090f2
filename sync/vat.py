"""EU VAT facts used by the order mapping: VAT number formats and net/gross splitting.

VAT numbers are checked for their format only (country prefix + the member
state's pattern); whether a number is registered (VIES) is not checked here.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from mappings.countries import COUNTRIES, EU_MEMBER_STATES, VAT_PREFIX

CENT = Decimal("0.01")

# National part of the VAT number, after the two-letter prefix.
VAT_PATTERNS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "GR": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{10}01",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
}


def money(value) -> Decimal:
    """A Decimal from an API value without passing through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value if value not in (None, "") else "0"))


def round_money(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def vat_number_normalize(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "").upper()


def vat_number_problem(raw: str, country: str) -> str:
    """'' when the VAT number is well-formed for the country, else what is wrong (for the user)."""
    number = vat_number_normalize(raw)
    prefix = VAT_PREFIX.get(country)
    name = COUNTRIES.get(country, country)
    if country not in EU_MEMBER_STATES:
        return ""  # only EU numbers matter for reverse charge
    if not number.startswith(prefix):
        return f"VAT number '{raw}' does not start with {prefix}, the prefix of {name}"
    if not re.fullmatch(VAT_PATTERNS[country], number[2:]):
        return f"VAT number '{raw}' does not have the format of a {name} VAT number"
    return ""


def net_from_gross(gross: Decimal, rate_percent: Decimal, places: int = 2) -> Decimal:
    """The net amount of a VAT-inclusive amount, rounded to the currency's places."""
    return round_money(gross * 100 / (100 + rate_percent), places)
