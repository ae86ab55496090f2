"""FieldRule: checked on save against the ERP's (or shop's) official spec; rules read once per run by the flows."""

import pytest
from django.core.exceptions import ValidationError

from integrations.spec_fields import TargetFieldError, target_field
from mappings.models import FieldRule
from tests.factories import ConnectionFactory, IntegrationFactory


def make(integration, **fields) -> FieldRule:
    values = {"target": "orders:invoice", "transform": "constant", "argument": "x", "target_path": "invoiceText.value"}
    values.update(fields)
    rule = FieldRule(integration=integration, **values)
    rule.full_clean()
    rule.save()
    return rule


def problems(integration, **fields) -> dict:
    with pytest.raises(ValidationError) as caught:
        make(integration, **fields)
    return caught.value.message_dict


@pytest.fixture
def fortnox_integration(db):
    return IntegrationFactory(erp=ConnectionFactory(system="fortnox"))


def test_a_target_the_visma_net_spec_lacks_is_refused_naming_the_nearest_fields(integration):
    found = problems(integration, target_path="invoiceTxt.value")
    assert "CustomerInvoiceUpdateDto has no field 'invoiceTxt'" in found["target_path"][0]
    assert "nearest: invoiceText" in found["target_path"][0]


def test_a_wrapped_visma_net_field_asks_for_its_value(integration):
    found = problems(integration, target_path="invoiceText")
    assert "write invoiceText.value" in found["target_path"][0]


def test_a_list_needs_a_star_or_an_index(integration):
    found = problems(integration, target_path="invoiceLines.description.value")
    assert "write invoiceLines.*.description" in found["target_path"][0]


def test_fortnox_targets_follow_the_fortnox_spec(fortnox_integration):
    rule = make(fortnox_integration, target_path="Invoice.Remarks")
    assert rule.pk and rule.position == 10
    found = problems(fortnox_integration, target_path="Invoice.Remark")
    assert "nearest: Remarks" in found["target_path"][0]
    found = problems(fortnox_integration, target_path="Invoice.DocumentNumbr")
    assert "has no field 'DocumentNumbr'" in found["target_path"][0]


def test_a_read_only_field_is_refused():
    with pytest.raises(TargetFieldError, match="read-only"):
        target_field("eaccounting", "article", "UnitName")


def test_a_document_the_erp_takes_no_body_for_is_refused(fortnox_integration):
    found = problems(fortnox_integration, target="journal:journal_transaction", target_path="x")
    assert "Fortnox takes no journal transaction from Koppla" in found["target_path"][0]


def test_truncate_uses_the_spec_max_length(fortnox_integration):
    rule = make(fortnox_integration, transform="truncate", argument="", source_path="", target_path="Invoice.Remarks")
    assert rule.as_rule().length == 1024  # fortnox_Invoice.Remarks maxLength
    assert target_field("eaccounting", "article", "Name").max_length == 50


def test_truncate_on_visma_net_uses_koppla_limits_since_the_spec_has_none(integration, settings):
    settings.VISMA_NET_LIMITS = {"line_description": 30}
    rule = make(
        integration, transform="truncate", argument="", source_path="", target_path="invoiceLines.*.description.value"
    )
    assert rule.as_rule().length == 30
    found = problems(integration, transform="truncate", argument="", source_path="", target_path="invoiceText.value")
    assert "gives no length for invoiceText.value" in found["argument"][0]
    assert make(integration, transform="truncate", argument="20", target_path="note.value").as_rule().length == 20


def test_a_source_path_the_record_lacks_is_refused_with_its_fields(integration):
    found = problems(integration, transform="copy", argument="", source_path="billing.compnay")
    assert "has no field 'compnay'" in found["source_path"][0] and "company" in found["source_path"][0]
    found = problems(integration, transform="concat", argument="{billing.first_name} {lines.sku}")
    assert "lines is a list" in found["argument"][0]
    assert make(integration, transform="copy", argument="", source_path="raw.anything.goes")


def test_bad_templates_lookups_and_dates_are_refused_with_the_reason(integration):
    assert "is not closed" in problems(integration, transform="concat", argument="{number")["argument"][0]
    assert (
        "not a lookup entry"
        in problems(integration, transform="lookup", source_path="number", argument="a")["argument"][0]
    )
    assert (
        "no date directive"
        in problems(integration, transform="date", source_path="created_at", argument="DD")["argument"][0]
    )


def test_positions_follow_on_and_are_unique_per_target(integration):
    first = make(integration)
    second = make(integration, target_path="note.value")
    other = make(integration, target="orders:customer", target_path="name.value")
    assert (first.position, second.position, other.position) == (10, 20, 10)
    with pytest.raises(ValidationError):
        make(integration, position=10)


def test_the_flows_read_the_enabled_rules_once_per_run(integration, django_assert_num_queries):
    from sync.field_rules import FieldRules

    make(integration, argument="on")
    make(integration, argument="off", target_path="note.value", enabled=False)
    rules = FieldRules(integration, flow="orders")
    with django_assert_num_queries(1):
        hooks = [rules.hook(source=None) for _ in range(3)]
    new = hooks[0]("invoice", {"invoiceText": {"value": "before"}})
    assert new == {"invoiceText": {"value": "on"}}
    assert hooks[0]("customer", {"name": {"value": "kept"}}) == {"name": {"value": "kept"}}
    assert FieldRules(integration, flow="stock").hook(source=None) is None  # no targets: not even a query


def test_visma_net_sales_orders_and_journal_transactions_follow_their_own_schemas(integration):
    assert make(integration, target="orders:sales_order", target_path="lines.*.lineDescription.value").pk
    found = problems(integration, target="orders:sales_order", target_path="invoiceText.value")
    assert "SalesOrderUpdateDto has no field 'invoiceText'" in found["target_path"][0]
    assert make(
        integration,
        target="journal:journal_transaction",
        target_path="journalTransactionLines.*.transactionDescription.value",
    ).pk


@pytest.mark.parametrize(
    ("system", "target", "path"),
    [
        ("visma_net", "journal:journal_transaction", "description.value"),  # the entry's reference
        ("visma_net", "orders:sales_order", "customerRefNo.value"),
        ("visma_net", "orders:invoice", "customerRefNumber.value"),
        ("visma_net", "orders:customer", "mainContact.value.email.value"),
        ("fortnox", "orders:invoice", "Invoice.ExternalInvoiceReference1"),
        ("fortnox", "orders:sales_order", "Order.ExternalInvoiceReference1"),
    ],
)
def test_a_rule_may_not_change_the_field_koppla_finds_the_record_by_again(db, system, target, path):
    integration = IntegrationFactory(erp=ConnectionFactory(system=system))
    found = problems(integration, target=target, target_path=path)
    assert "the field Koppla finds the record by again" in found["target_path"][0]
    assert "Not in the spec" not in found["target_path"][0]


def test_a_key_rule_saved_around_its_checks_fails_the_record_instead_of_changing_the_reference(integration):
    from mappings.datamapper import FieldRuleError, rules_apply

    rule = FieldRule.objects.create(
        integration=integration,
        target="journal:journal_transaction",
        transform="constant",
        argument="Daily sales",
        target_path="description.value",
    )
    body = {"description": {"value": "KOPPLA-2026-11-30-SEK-SE25-1"}}
    with pytest.raises(FieldRuleError, match="finds the record by again"):
        rules_apply([rule.as_rule()], body=body, source=None)
