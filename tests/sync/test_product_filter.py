"""Integration.product_filter: the condition language (sync/flows/product_filter.py)."""

import pytest

from sync.erp import ErpItem
from sync.flows.product_filter import FilterError, filter_parse, filter_problem

WEB = ErpItem(
    number="TEE-1",
    description="Gift card",
    status="Active",
    item_class="WEB",
    item_type="FinishedGoodItem",
    attributes={"WEBSHOP": "1", "COLOUR": "Red"},
)
SPARE = ErpItem(number="SP-9", description="Spare", status="NoSales", item_class="SPARE", attributes={})


@pytest.mark.parametrize(
    ("text", "web", "spare"),
    [
        ("", True, True),
        ("   ", True, True),
        ("itemClass = WEB", True, False),
        ("itemclass = web", True, False),  # field names and values: any case
        ("ITEMCLASS != web", False, True),
        ("attribute WEBSHOP = 1", True, False),
        ('attribute WEBSHOP = ""', False, True),  # an empty value matches an item without the attribute
        ("status = Active", True, False),
        ("status in Active, NoSales", True, True),
        ("status in Inactive,NoSales", False, True),
        ("type = FinishedGoodItem", True, False),
        ("number = SP-9", False, True),
        ('description = "Gift card"', True, False),
        ("itemClass = WEB and attribute COLOUR = red", True, False),
        ("itemClass = WEB and attribute COLOUR = blue", False, False),
        ("itemClass=WEB AND status=Active", True, False),
    ],
)
def test_conditions_select_items(text, web, spare):
    product_filter = filter_parse(text)
    assert (product_filter.matches(WEB), product_filter.matches(SPARE)) == (web, spare)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("colour = red", "unknown field 'colour'"),
        ("itemClass WEB", "an operator =, != or in must follow the field"),
        ("itemClass =", "the value is missing"),
        ("itemClass = WEB and", "condition 2 is empty"),
        ("and itemClass = WEB", "condition 1 is empty"),
        ("description = Gift card", 'one value expected, got "Gift card"'),
        ("attribute = 1", "name the attribute after 'attribute'"),
        ("itemClass ! WEB", "'!' must be followed by '='"),
        ('itemClass = "WEB', "cannot read the filter"),
        ("status in Active,,NoSales", "the list has an empty entry"),
        ("= WEB", "must start with a field name"),
    ],
)
def test_an_unreadable_filter_says_what_is_wrong(text, reason):
    with pytest.raises(FilterError) as refused:
        filter_parse(text)
    assert reason in str(refused.value)
    assert reason in filter_problem(text)


def test_the_first_failing_condition_is_named_and_attributes_are_asked_for_only_when_needed():
    product_filter = filter_parse("status = Active and itemClass = WEB")
    assert str(product_filter.first_failing(SPARE)) == "status = Active"
    assert product_filter.first_failing(WEB) is None
    assert not product_filter.needs_attributes
    assert filter_parse("attribute WEBSHOP = 1").needs_attributes
    assert filter_problem("itemClass = WEB") == ""


@pytest.mark.parametrize(
    ("text", "web", "spare"),
    [
        ("status in (Active, NoSales)", True, True),  # the list in parentheses, as SQL writes it
        ("status in (NoSales)", False, True),
        ('description in "Gift card, boxed", Spare', False, True),  # a quoted comma is part of the value
        ("description = \u201cGift card\u201d", True, False),  # quotes a word processor writes
    ],
)
def test_odd_but_clear_filter_syntax_selects_what_it_says(text, web, spare):
    parsed = filter_parse(text)
    assert (parsed.matches(WEB), parsed.matches(SPARE)) == (web, spare)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("itemClass == WEB", "write one operator"),
        ("itemClass = WEB or itemClass = SPARE", "'or' is not part of the filter"),
        ("status in Active or NoSales", "'or' is not part of the filter"),  # silently one value "Active or NoSales"
    ],
)
def test_a_filter_that_would_silently_match_nothing_is_refused_with_the_reason(text, reason):
    assert reason in filter_problem(text)
