"""One formatter for amounts people read: the currency's ISO 4217 decimals, its code, a true minus sign."""

from decimal import Decimal

import pytest

from sync.money import money_text


@pytest.mark.parametrize(
    "value, currency, places, shown",
    [
        (Decimal("1749"), "SEK", None, "1,749.00\u00a0SEK"),
        (Decimal("1234.5"), "EUR", None, "1,234.50\u00a0EUR"),
        (Decimal("0.0100"), "SEK", None, "0.01\u00a0SEK"),  # not "0.0100"
        (Decimal("2499.00"), "JPY", None, "2,499\u00a0JPY"),  # JPY has no minor unit
        (Decimal("1.250"), "KWD", None, "1.250\u00a0KWD"),  # three decimals
        (Decimal("1000"), "HUF", None, "1,000.00\u00a0HUF"),  # ISO 4217: 2 (CLDR shows 0)
        (Decimal("-200"), "SEK", None, "−200.00\u00a0SEK"),  # U+2212
        (Decimal("-0.01"), "EUR", None, "−0.01\u00a0EUR"),
        (Decimal("1E+3"), "SEK", None, "1,000.00\u00a0SEK"),
        (Decimal("0.005"), "SEK", None, "0.005\u00a0SEK"),  # never rounded away: the message shows what was sent
        (Decimal("2499.5"), "JPY", None, "2,499.5\u00a0JPY"),
        (Decimal("12.3"), "SEK", 0, "12.3\u00a0SEK"),  # an integration's own decimals (Mappings › Currencies)
        (Decimal("12"), "sek", None, "12.00\u00a0SEK"),
        (Decimal("12"), "", None, "12.00"),
        (None, "SEK", None, "—"),
    ],
)
def test_money_text(value, currency, places, shown):
    assert money_text(value, currency, places) == shown


def test_the_amount_and_its_currency_are_joined_by_a_no_break_space():
    """A narrow cell must never wrap "275.85" and "EUR" onto two lines."""
    text = money_text(Decimal("275.85"), "EUR")
    assert text == "275.85\N{NO-BREAK SPACE}EUR" and " " not in text
    assert money_text(Decimal("275.85"), "") == "275.85"
