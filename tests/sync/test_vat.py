from decimal import Decimal

import pytest

from sync.vat import money, net_from_gross, round_money, vat_number_problem


@pytest.mark.parametrize(
    "number, country",
    [
        ("DE123456789", "DE"),
        ("SE556677889901", "SE"),
        ("FRXX123456789", "FR"),
        ("NL123456789B01", "NL"),
        ("EL123456789", "GR"),
        ("ATU12345678", "AT"),
        ("de 123 456 789", "DE"),
        ("", "NO"),  # outside the EU nothing is required
    ],
)
def test_valid_vat_numbers(number, country):
    assert vat_number_problem(number, country) == ""


@pytest.mark.parametrize(
    "number, country, expected",
    [
        ("DE12345", "DE", "format of a Germany VAT number"),
        ("123456789", "DE", "does not start with DE"),
        ("GR123456789", "GR", "does not start with EL"),
        ("SE5566778899", "SE", "format of a Sweden VAT number"),
    ],
)
def test_invalid_vat_numbers_say_what_is_wrong(number, country, expected):
    assert expected in vat_number_problem(number, country)


def test_money_never_goes_through_float_artefacts():
    assert money(0.1) + money(0.2) == Decimal("0.3")
    assert money("199.90") == Decimal("199.90")
    assert money(None) == Decimal("0")


def test_rounding_is_half_up_and_net_from_gross():
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert net_from_gross(Decimal("125.00"), Decimal("25")) == Decimal("100.00")
    assert net_from_gross(Decimal("99.90"), Decimal("25.5")) == Decimal("79.60")
