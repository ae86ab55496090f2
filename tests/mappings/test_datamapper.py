"""The datamapper engine (mappings/datamapper.py): transforms, conditions, * paths, no mutation, errors. No database."""

import copy
from decimal import Decimal

import pytest

from mappings.datamapper import FieldRuleError, Rule, rules_apply
from mappings.datamapper_syntax import rule_problems
from sync.shop import ShopAddress, ShopLine, ShopOrder


def line(number: int, sku: str, name: str, total: str) -> ShopLine:
    return ShopLine(
        line_id=str(number),
        sku=sku,
        name=name,
        quantity=Decimal("1"),
        unit_price=Decimal(total),
        unit_original_price=Decimal(total),
        line_total=Decimal(total),
        tax_percent=Decimal("25"),
    )


def order(**changes) -> ShopOrder:
    fields = {
        "id": "1",
        "number": "29001",
        "status": "SHIPPED",
        "created_at": "2026-11-30T09:15:00Z",
        "updated_at": "2026-11-30T10:00:00Z",
        "currency": "SEK",
        "prices_include_vat": True,
        "customer_email": "Anna@Example.com",
        "billing": ShopAddress(first_name="Anna", last_name="Berg", company="", country="SE"),
        "shipping": ShopAddress(first_name="Anna", last_name="Berg", country="SE"),
        "lines": (line(1, "BOOK-1", "A book", "199.00"), line(2, "TEE-1", "T-shirt", "249.90")),
        "grand_total": Decimal("448.90"),
        "raw": {"purchaseOrderNumber": "PO-7", "customer": {"firstName": "Anna"}},
    }
    fields.update(changes)
    return ShopOrder(**fields)


def body() -> dict:
    return {
        "customerRefNumber": {"value": "29001"},
        "invoiceText": {"value": "Order 29001"},
        "invoiceLines": [
            {"description": {"value": "A book"}, "quantity": {"value": 1}, "unitPriceInCurrency": {"value": 159.2}},
            {"description": {"value": "T-shirt"}, "quantity": {"value": 1}, "unitPriceInCurrency": {"value": 199.92}},
        ],
    }


def apply(*rules: Rule, source=None, start=None):
    return rules_apply(list(rules), body=start if start is not None else body(), source=source or order())


def rule(target: str, transform: str = "copy", source: str = "", argument: str = "", **kwargs) -> Rule:
    return Rule(
        name=f"Rule {target}", target_path=target, transform=transform, source_path=source, argument=argument, **kwargs
    )


# --------------------------------------------------------------------------- transforms
def test_copy_reads_a_dotted_path_of_the_record():
    new, applied = apply(rule("invoiceText.value", source="customer_email"))
    assert new["invoiceText"]["value"] == "Anna@Example.com"
    assert applied == ["Rule invoiceText.value"]


def test_constant_writes_the_argument():
    new, _ = apply(rule("note.value", "constant", argument="Web shop"))
    assert new["note"] == {"value": "Web shop"}  # a missing object on the way is made


def test_lookup_table_matches_ignoring_case_and_falls_back_to_the_default():
    table = "se=Sweden; NO=Norway; *=Elsewhere"
    new, _ = apply(rule("note.value", "lookup", "billing.country", table))
    assert new["note"]["value"] == "Sweden"
    new, _ = apply(
        rule("note.value", "lookup", "billing.country", table), source=order(billing=ShopAddress(country="DK"))
    )
    assert new["note"]["value"] == "Elsewhere"


def test_lookup_values_may_hold_equals_signs_and_escaped_semicolons():
    table = r"SE=Moms=25 %\; inrikes; DK\=x=Danish; *=C:\export"
    new, _ = apply(rule("note.value", "lookup", "billing.country", table))
    assert new["note"]["value"] == "Moms=25 %; inrikes"
    new, _ = apply(
        rule("note.value", "lookup", "billing.country", table), source=order(billing=ShopAddress(country="DK=x"))
    )
    assert new["note"]["value"] == "Danish"
    new, _ = apply(
        rule("note.value", "lookup", "billing.country", table), source=order(billing=ShopAddress(country="NO"))
    )
    assert new["note"]["value"] == "C:\\export"  # a backslash before anything else is kept
    problems = rule_problems(
        transform="lookup", source_path="billing.country", target_path="note.value", argument="SE=a;b", condition=""
    )
    assert "write \\; for a ';'" in problems["argument"]


def test_lookup_without_an_entry_or_default_fails_naming_the_rule_and_the_value():
    with pytest.raises(FieldRuleError, match=r"Rule note.value: the lookup table has no entry for 'SE'"):
        apply(rule("note.value", "lookup", "billing.country", "NO=Norway"))


def test_concat_fills_a_template_and_drops_the_gap_of_an_empty_part():
    template = "{billing.first_name} {billing.company} {billing.last_name} ({number})"
    new, _ = apply(rule("invoiceText.value", "concat", argument=template))
    assert new["invoiceText"]["value"] == "Anna Berg (29001)"


def test_upper_lower_and_truncate():
    new, _ = apply(
        rule("invoiceText.value", "upper", "customer_email"),
        rule("note.value", "lower", "customer_email"),
        rule("customerRefNumber.value", "truncate", "billing.last_name", length=2),
    )
    assert new["invoiceText"]["value"] == "ANNA@EXAMPLE.COM"
    assert new["note"]["value"] == "anna@example.com"
    assert new["customerRefNumber"]["value"] == "Be"


def test_truncate_without_a_source_cuts_the_target_own_value():
    new, _ = apply(rule("invoiceLines.*.description.value", "truncate", length=3))
    assert [x["description"]["value"] for x in new["invoiceLines"]] == ["A b", "T-s"]


def test_date_format_of_an_iso_timestamp():
    new, _ = apply(rule("note.value", "date", "created_at", "%d.%m.%Y"))
    assert new["note"]["value"] == "30.11.2026"


def test_date_format_of_a_text_that_is_no_date_fails():
    with pytest.raises(FieldRuleError, match="'Anna' in billing.first_name is not a date"):
        apply(rule("note.value", "date", "billing.first_name", "%Y"))


def test_default_only_fills_an_empty_value():
    new, _ = apply(
        rule("note.value", "default", "billing.company", "Private person"),
        rule("invoiceText.value", "default", "", "never used"),
    )
    assert new["note"]["value"] == "Private person"
    assert new["invoiceText"]["value"] == "Order 29001"


def test_raw_paths_read_the_shop_record_as_sent():
    new, _ = apply(rule("note.value", source="raw.purchaseOrderNumber"))
    assert new["note"]["value"] == "PO-7"


def test_raw_paths_on_a_record_without_raw_fail_clearly():
    with pytest.raises(FieldRuleError, match="carries no raw source record"):
        apply(rule("note.value", source="raw.purchaseOrderNumber"), source=order(raw={}))


# --------------------------------------------------------------------------- * paths and conditions
def test_a_star_in_the_source_follows_the_target_element():
    new, _ = apply(rule("invoiceLines.*.description.value", "concat", argument="{lines.*.sku}: {lines.*.name}"))
    assert [x["description"]["value"] for x in new["invoiceLines"]] == ["BOOK-1: A book", "TEE-1: T-shirt"]


def test_a_number_picks_one_element():
    new, _ = apply(rule("invoiceLines.1.description.value", source="lines.0.sku"))
    assert [x["description"]["value"] for x in new["invoiceLines"]] == ["A book", "BOOK-1"]


def test_star_over_a_list_the_body_lacks_changes_nothing():
    new, applied = apply(rule("creditNoteLines.*.description.value", "constant", argument="x"))
    assert new == body() and applied == []


def test_conditions_select_records_and_elements():
    swedes = rule("note.value", "constant", argument="domestic", condition="billing.country = se")
    others = rule("invoiceText.value", "constant", argument="abroad", condition="billing.country != SE")
    new, applied = apply(swedes, others)
    assert new["note"]["value"] == "domestic" and new["invoiceText"]["value"] == "Order 29001"
    assert applied == ["Rule note.value"]
    books = rule(
        "invoiceLines.*.description.value", "upper", condition="lines.*.sku contains book"
    )  # per element: line 1 only
    new, _ = apply(books)
    assert [x["description"]["value"] for x in new["invoiceLines"]] == ["A BOOK", "T-shirt"]


def test_empty_notempty_and_numeric_conditions():
    company = rule("note.value", "constant", argument="B2B", condition="billing.company notempty")
    private = rule("invoiceText.value", "constant", argument="B2C", condition="billing.company empty")
    big = rule("customerRefNumber.value", "constant", argument="big", condition="grand_total = 448.9")
    new, _ = apply(company, private, big)
    assert "note" not in new and new["invoiceText"]["value"] == "B2C" and new["customerRefNumber"]["value"] == "big"


# --------------------------------------------------------------------------- values, purity, errors
def test_the_input_body_is_never_changed_and_the_result_is_deterministic():
    start = body()
    kept = copy.deepcopy(start)
    rules = [rule("invoiceLines.*.description.value", "upper"), rule("note.value", "constant", argument="x")]
    first, _ = rules_apply(rules, body=start, source=order())
    second, _ = rules_apply(rules, body=start, source=order())
    assert start == kept and first == second and first is not start
    assert first["invoiceLines"][0] is not start["invoiceLines"][0]


def test_money_stays_exact():
    new, _ = apply(rule("invoiceLines.0.unitPriceInCurrency.value", source="lines.1.line_total"))
    assert new["invoiceLines"][0]["unitPriceInCurrency"]["value"] == 249.9  # a JSON number, as the body holds it
    new, _ = apply(rule("note.value", source="grand_total"))
    assert new["note"]["value"] == "448.90"  # text keeps every digit
    decimals = {"Amount": Decimal("10.00")}
    new, _ = rules_apply([rule("Amount", source="grand_total")], body=decimals, source=order())
    assert new["Amount"] == Decimal("448.90") and isinstance(new["Amount"], Decimal)


def test_truncate_refuses_a_number_rather_than_cutting_its_digits():
    for kwargs in (
        {"target": "invoiceLines.0.unitPriceInCurrency.value"},  # the target's own number (159.2 → 15)
        {"target": "note.value", "source": "grand_total"},  # an amount into text (448.90 → 44)
        {"target": "note.value", "target_type": "number"},
    ):
        target = kwargs.pop("target")
        source = kwargs.pop("source", "")
        with pytest.raises(FieldRuleError, match="truncate cuts text and .* is a number"):
            apply(rule(target, "truncate", source, length=2, **kwargs), start={**body(), "note": {"value": None}})
    new, _ = apply(rule("note.value", "truncate", "number", length=3))
    assert new["note"]["value"] == "290"  # text (the order number) is still cut


def test_a_number_with_a_huge_exponent_is_refused_not_written_out():
    for text in ("1E+999999", "1e-40", "123456789012345678901234"):
        with pytest.raises(FieldRuleError, match="out of range"):
            apply(rule("invoiceLines.0.quantity.value", "constant", argument=text))
    new, _ = apply(rule("invoiceLines.0.quantity.value", "constant", argument="0E-50"))
    assert new["invoiceLines"][0]["quantity"]["value"] == 0


def test_a_number_that_a_double_cannot_carry_is_refused():
    with pytest.raises(FieldRuleError, match="without rounding"):
        apply(
            rule("invoiceLines.0.quantity.value", source="grand_total"),
            source=order(grand_total=Decimal("1234567890.123456789")),
        )


def test_text_into_a_number_field_is_refused_naming_the_field():
    with pytest.raises(FieldRuleError, match=r"invoiceLines.0.quantity.value takes a number and 'two' is not one"):
        apply(rule("invoiceLines.0.quantity.value", "constant", argument="two"))
    new, _ = apply(rule("invoiceLines.0.quantity.value", "constant", argument="2"))
    assert new["invoiceLines"][0]["quantity"]["value"] == 2


def test_an_unknown_source_field_names_the_known_ones():
    with pytest.raises(FieldRuleError, match=r"has no field 'compnay' \(its fields: first_name, last_name, company"):
        apply(rule("note.value", source="billing.compnay"))


def test_a_group_of_fields_is_not_a_value():
    with pytest.raises(FieldRuleError, match="group of fields"):
        apply(rule("note.value", source="billing"))


def test_a_rule_written_wrongly_fails_as_a_rule_not_as_a_bug():
    with pytest.raises(FieldRuleError, match=r"Rule note.value: 'billing.country like SE' is not a condition"):
        apply(rule("note.value", "constant", argument="x", condition="billing.country like SE"))


def test_an_element_the_body_lacks_is_named():
    with pytest.raises(FieldRuleError, match=r"invoiceLines has 2 element\(s\) in this body"):
        apply(rule("invoiceLines.5.description.value", "constant", argument="x"))


# --------------------------------------------------------------------------- how a rule is written
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"transform": "lookup", "argument": "SE Sweden"}, "argument", "is not a lookup entry"),
        ({"transform": "lookup", "argument": "SE=a; se=b"}, "argument", "given twice"),
        ({"transform": "concat", "argument": "{billing.first_name"}, "argument", "is not closed"),
        ({"transform": "concat", "argument": "no fields"}, "argument", "names no field"),
        ({"transform": "date", "argument": "YYYY-MM-DD"}, "argument", "has no date directive"),
        ({"transform": "date", "argument": "%Y-%Q"}, "argument", "%Q is not a date directive"),
        ({"transform": "truncate", "argument": "ten"}, "argument", "is not a length"),
        ({"transform": "copy", "source_path": ""}, "source_path", "Copy needs a source path"),
        ({"condition": "billing.country like SE"}, "condition", "is not a condition"),
        ({"condition": "billing.company empty yes"}, "condition", "takes no value"),
        ({"target_path": "invoice..text"}, "target_path", "part 2"),
        ({"source_path": "lines.*.sku"}, "source_path", "more * than the target path"),
    ],
)
def test_badly_written_rules_are_refused_with_the_reason(fields, field, words):
    parts = {"transform": "copy", "source_path": "customer_email", "target_path": "note.value", "argument": ""}
    parts.update({"condition": ""}, **fields)
    problems = rule_problems(**parts)
    assert words in problems.get(field, ""), problems


def test_a_well_written_rule_has_no_problems():
    assert not rule_problems(
        transform="concat",
        source_path="",
        target_path="invoiceLines.*.description.value",
        argument="{lines.*.sku} {{x}}",
        condition="lines.*.sku notempty",
    )
