"""Amounts as people read them: one formatter for every admin page, message and record log.

    money_text(Decimal("1749"), "SEK")      → "1,749.00 SEK"
    money_text(Decimal("-200.5"), "EUR")    → "−200.50 EUR"   (a true minus sign, U+2212)
    money_text(Decimal("2499.00"), "JPY")   → "2,499 JPY"
    money_text(Decimal("0.0100"), "SEK")    → "0.01 SEK"
    money_text(Decimal("0.005"), "SEK")     → "0.005 SEK"     (digits beyond the currency's are shown, never rounded away)
    money_text(None, "SEK")                 → "—"

The decimals are the currency's ISO 4217 minor unit (mappings.countries.currency_minor_unit: JPY 0,
EUR 2, KWD 3, HUF 2), or `places` where the integration maps the currency to other decimals
(Mappings › Currencies). An amount with more significant decimals than that is shown with all of them,
so that a message about an amount the currency cannot hold shows the amount as it was.
"""

from __future__ import annotations

from decimal import Decimal

from mappings.countries import currency_minor_unit

MINUS = "\u2212"
NO_AMOUNT = "—"


def amount_text(value: Decimal, places: int) -> str:
    """`value` with thousands separators and at least `places` decimals, its sign a true minus: "−1,234.50"."""
    value = Decimal(value)
    step = Decimal(1).scaleb(-places)
    shown = value.quantize(step) if value.quantize(step) == value else value.normalize()
    if shown.as_tuple().exponent > 0:  # normalize() of 1000 is 1E+3
        shown = shown.quantize(Decimal(1))
    text = f"{abs(shown):,f}"
    return f"{MINUS if value < 0 else ''}{text}"


def money_text(value: Decimal | None, currency: str, places: int | None = None) -> str:
    """An amount and its ISO 4217 currency code joined by a no-break space (U+00A0, so a narrow cell never
    wraps "275.85 / EUR"): "1,749.00 SEK", "−200.00 SEK", "2,499 JPY"; "—" for None.

    `places` defaults to the currency's ISO 4217 minor unit (unknown codes 2); pass the integration's
    decimals (Mappings › Currencies) where they are known. A blank currency gives the amount alone.
    """
    if value is None:
        return NO_AMOUNT
    code = (currency or "").strip().upper()
    if places is None:
        places = currency_minor_unit(code) if code else 2
    return f"{amount_text(value, places)}\N{NO-BREAK SPACE}{code}" if code else amount_text(value, places)
