"""VAT arithmetic and facts used by the document mappings.

- VAT numbers are checked for their format only (country prefix + the member
  state's pattern); whether a number is registered (VIES) is not checked here.
  Northern Ireland's traders use the prefix XI (Windsor Framework, Art. 8).
- Amounts are Decimal and rounded half up to a currency's decimals
  (`places`: 0 for JPY, 2 for EUR, 3 for KWD); `unit(places)` is the
  currency's smallest unit. Nothing here assumes cents.
- `split_by_weight` splits an amount over parts in proportion to weights,
  in whole smallest units, so the parts always add up to the amount.
- `rate_text` prints a rate as people write it: "20 %", "25.5 %".
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
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
# The two letters a VAT number starts with → the VAT area it was issued in.
PREFIX_COUNTRY = {**{prefix: country for country, prefix in VAT_PREFIX.items()}, "XI": "XI"}


def money(value) -> Decimal:
    """A Decimal from an API value without passing through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value if value not in (None, "") else "0"))


def unit(places: int) -> Decimal:
    """The smallest unit of a currency with `places` decimals: 1, 0.01, 0.001."""
    return Decimal(1).scaleb(-places)


def round_money(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(unit(places), rounding=ROUND_HALF_UP)


def rate_text(rate) -> str:
    """A VAT rate as people write it: Decimal("20.00") → "20 %", Decimal("25.50") → "25.5 %"."""
    value = Decimal(str(rate)).normalize()
    text = f"{value:f}"
    return f"{text} %"


def split_by_weight(amount: Decimal, weights: list[Decimal], places: int) -> list[Decimal]:
    """`amount` split over `weights` in proportion, in whole units of the currency, adding up exactly.

    Each part is its exact share rounded down to the unit; the units left over go to the parts
    with the largest remainders (largest-remainder method), ties to the earlier part. Weights may
    be negative; when they add up to zero the whole amount goes to the largest weight.
    Raises ValueError for no weights.
    """
    if not weights:
        raise ValueError("split_by_weight needs at least one weight")
    step = unit(places)
    total = sum(weights, Decimal(0))
    if not total:
        parts = [Decimal(0)] * len(weights)
        parts[max(range(len(weights)), key=lambda i: abs(weights[i]))] = amount
        return parts
    exact = [amount * w / total for w in weights]
    parts = [(e / step).to_integral_value(rounding="ROUND_FLOOR") * step for e in exact]
    left = int(((amount - sum(parts, Decimal(0))) / step).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += step
    return [p.quantize(step) for p in parts]


def settle_units(target: Decimal, exact: list[Decimal], places: int) -> list[Decimal]:
    """Round each of `exact` to the unit so that the rounded values add up to `target`.

    Each value is first rounded half up; the units still missing (or in excess) are then given to
    (taken from) the values that were rounded down (up) the most. Used to split an order's VAT over
    its VAT categories so that the parts are what each category's amounts give and add up to what
    the shop charged. Raises ValueError for no values.
    """
    if not exact:
        raise ValueError("settle_units needs at least one value")
    step = unit(places)
    parts = [round_money(e, places) for e in exact]
    left = int(((target - sum(parts, Decimal(0))) / step).to_integral_value())
    if left:
        sign = 1 if left > 0 else -1
        order = sorted(range(len(exact)), key=lambda i: (-sign * (exact[i] - parts[i]), i))
        for n in range(abs(left)):
            parts[order[n % len(order)]] += sign * step
    return parts


def vat_number_normalize(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "").upper()


def vat_number_problem(raw: str, country: str) -> str:
    """'' when the VAT number is well-formed for the country, else what is wrong (for the user)."""
    number = vat_number_normalize(raw)
    prefix = "XI" if country == "XI" else VAT_PREFIX.get(country)
    name = "Northern Ireland" if country == "XI" else COUNTRIES.get(country, country)
    if country not in EU_MEMBER_STATES and country != "XI":
        return ""  # only EU numbers matter for reverse charge
    if not number.startswith(prefix):
        return f"VAT number '{raw}' does not start with {prefix}, the prefix of {name}"
    if not re.fullmatch(VAT_PATTERNS[country], number[2:], flags=re.ASCII):
        return f"VAT number '{raw}' does not have the format of a {name} VAT number"
    return ""


def vat_number_country(number: str) -> str:
    """The EU member state (ISO code) or XI whose prefix a normalised VAT number carries, else ''."""
    return PREFIX_COUNTRY.get(number[:2], "")


def net_from_gross(gross: Decimal, rate_percent: Decimal, places: int = 2) -> Decimal:
    """The net amount of a VAT-inclusive amount, rounded to the currency's places."""
    return round_money(gross * 100 / (100 + rate_percent), places)
