"""Lengths as the .NET ERPs count them (UTF-16 code units) and cutting text to them (integrations/text_length.py):
a name with an emoji that fits by Python's len() must not reach eAccounting and be refused there."""

import pytest

from integrations.eaccounting.catalogue import ARTICLE_LIMITS, customer_problems, too_long
from integrations.text_length import text_cut, text_length
from mappings.datamapper import Rule, rules_apply

NAME_WITH_EMOJI = "Café Åhléns " + "x" * 37 + "😀"  # 50 code points, 51 UTF-16 units


def test_an_emoji_counts_two_and_an_accented_letter_one():
    assert len(NAME_WITH_EMOJI) == 50 and text_length(NAME_WITH_EMOJI) == 51
    assert text_length("Åhléns") == 6


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("abc😀def", 4, "abc"),  # the emoji does not fit in the last unit: it goes whole
        ("abc😀def", 5, "abc😀"),
        ("Cafe\u0301 au lait", 4, "Caf"),  # e + combining acute stays together
        ("Cafe\u0301 au lait", 5, "Cafe\u0301"),
        ("Åhléns", 10, "Åhléns"),
        ("kort", 0, ""),
    ],
)
def test_text_is_cut_to_units_never_inside_a_character(text, limit, cut):
    assert text_cut(text, limit) == cut
    assert text_length(text_cut(text, limit)) <= limit


def test_eaccounting_prechecks_count_an_emoji_as_two():
    body = {
        "Name": NAME_WITH_EMOJI,
        "InvoiceCity": "Malmö",
        "InvoicePostalCode": "211 20",
    }
    problems = customer_problems(body, what="Customer 10001")
    assert len(problems) == 1
    assert "Name" in problems[0] and "51 characters as eAccounting counts them" in problems[0]
    assert too_long({"Name": "Åhléns" * 8}, ARTICLE_LIMITS, what="Item 1") == []  # 48: accents count one


def test_truncate_to_the_spec_length_fits_as_the_erp_counts():
    rule = Rule(name="Short name", target_path="Name", transform="truncate", length=50, target_type="string")
    new, _ = rules_apply([rule], body={"Name": NAME_WITH_EMOJI + " AB"}, source=None)
    assert new["Name"] == NAME_WITH_EMOJI[:-1] and text_length(new["Name"]) <= 50
