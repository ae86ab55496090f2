"""Changing the SKU rule once products are in the shop: refused, unless re-bound through the admin action."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from mappings.models import SkuRule
from mappings.services import import_problems, mapping_import
from sync.models import ExternalRef, Flow, Integration, RecordLog
from sync.services import flow_run, integration_flows_ensure

NEW_RULE = {
    "product_source": "attribute:INFORMATION5",
    "variant_source": "attribute:INFORMATION4",
    "size_source": "attribute:SIZE",
    "separator": "/",
}


@pytest.fixture
def bound(db, centra_connection, visma_connection):
    """Three items in the shop under the rule segment:1 + segment:2 + segment:3 ('-')."""
    integration = Integration.objects.create(name="Rebind test", shop=centra_connection, erp=visma_connection)
    integration_flows_ensure(integration=integration)
    rule = SkuRule.objects.create(
        integration=integration,
        product_source="segment:1",
        variant_source="segment:2",
        size_source="segment:3",
        separator="-",
    )
    for number, attributes in [
        ("1001-BLK-S", {"INFORMATION5": "1001", "INFORMATION4": "BLK", "SIZE": "S"}),
        ("1001-BLK-M", {"INFORMATION5": "1001", "INFORMATION4": "BLK", "SIZE": "M"}),
        ("1002-NVY-L", {"INFORMATION5": "1002", "INFORMATION4": "NVY", "SIZE": "L"}),
    ]:
        visma.inventory_item_put(number, f"Tee {number}", price=299, attributes=attributes)
    run = flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual")
    assert run.ok_count == 3
    return rule


def changelist_action(client, rule, **data):
    return client.post(
        reverse("admin:mappings_skurule_changelist"),
        {"action": "rebind", "_selected_action": [rule.pk], **data},
        follow=True,
    )


def test_changing_a_bound_rule_is_refused_with_the_way_out(bound):
    bound.product_source = "attribute:INFORMATION5"
    with pytest.raises(ValidationError, match="3 ERP items are already bound") as exc:
        bound.full_clean()
    assert "re-bind shop products" in str(exc.value)


def test_the_admin_form_and_the_csv_import_refuse_it_too(bound, admin_client):
    response = admin_client.post(
        reverse("admin:mappings_skurule_change", args=[bound.pk]),
        {"integration": bound.integration_id, **NEW_RULE},
    )
    assert response.status_code == 200 and "already bound to shop sizes" in response.content.decode()

    result = mapping_import(
        integration=bound.integration,
        table="sku_rule",
        content="product_source,variant_source,size_source,separator\nattribute:INFORMATION5,,,\n",
    )
    assert any("already bound" in problem for problem in import_problems(result))
    bound.refresh_from_db()
    assert bound.product_source == "segment:1"


def test_a_rule_without_bindings_changes_freely(db, integration):
    rule = SkuRule.objects.create(integration=integration, product_source="segment:1", separator="-")
    rule.product_source = "inventoryNumber"
    rule.full_clean()  # no error


def test_rebind_previews_then_matches_existing_sizes_by_the_new_sku(bound, admin_client):
    visma.inventory_item_put("1003-RED-S", "Tee not in the shop", price=299, attributes={"INFORMATION5": "1003"})
    old = dict(
        ExternalRef.objects.filter(integration=bound.integration, kind="size").values_list("source_id", "target_id")
    )

    page = changelist_action(admin_client, bound)
    assert page.status_code == 200 and "Preview" in page.content.decode()

    preview = changelist_action(admin_client, bound, step="preview", **NEW_RULE)
    summary = preview.context["report"].summary()
    assert "Would re-bind 3 of 4" in summary
    assert "1003-RED-S: Item 1003-RED-S: the SKU rule takes the variant from attribute INFORMATION4" in summary
    bound.refresh_from_db()
    assert bound.product_source == "segment:1"  # a preview changes nothing

    done = changelist_action(admin_client, bound, step="apply", **NEW_RULE)

    assert "Re-bound 3 of 4" in done.content.decode()
    bound.refresh_from_db()
    assert (bound.product_source, bound.separator) == ("attribute:INFORMATION5", "/")
    sizes = ExternalRef.objects.filter(integration=bound.integration, kind="size")
    assert dict(sizes.values_list("source_id", "target_id")) == old  # the same shop sizes
    assert sizes.get(source_id="1001-BLK-M").data["key"] == "1001/BLK/M"

    # The next products run creates nothing for the re-bound items; the unmatched one fails alone.
    products = centra.call_count("createProduct")
    run = flow_run(integration=bound.integration, flow=Flow.PRODUCTS, trigger="manual")
    assert centra.call_count("createProduct") == products
    assert (run.ok_count, run.failed_count) == (0, 1)
    assert RecordLog.objects.get(run=run).source_id == "1003-RED-S"


def test_rebind_reports_shop_sizes_no_item_maps_to(bound):
    from sync.flows.product_mapping import SkuRuleSpec
    from sync.product_rebind import sku_rule_rebind

    visma.inventory_item_set("1002-NVY-L", attributes={"INFORMATION4": "GRN"})

    report = sku_rule_rebind(
        rule=bound, spec=SkuRuleSpec("attribute:INFORMATION5", "attribute:INFORMATION4", "attribute:SIZE")
    )

    assert report.matched == 2 and not report.applied
    assert report.unmatched_items == [("1002-NVY-L", "no shop size with SKU 1002GRNL")]
    assert report.unmatched_sizes == ["1002NVYL"]


# --------------------------------------------------------------------------- products run and re-binding at once
def new_rule_spec():
    from sync.flows.product_mapping import SkuRuleSpec

    return SkuRuleSpec(
        NEW_RULE["product_source"], NEW_RULE["variant_source"], NEW_RULE["size_source"], NEW_RULE["separator"]
    )


def test_a_rebind_while_a_products_record_writes_the_shop_is_refused_and_changes_nothing(bound, monkeypatch):
    from config.errors import ApplicationError
    from integrations.centra.client import CentraClient
    from sync.product_rebind import sku_rule_rebind

    visma.inventory_item_put(
        "1003-RED-S", "Tee 1003", price=299, attributes={"INFORMATION5": "1003", "INFORMATION4": "RED", "SIZE": "S"}
    )
    old = set(ExternalRef.objects.filter(integration=bound.integration).values_list("kind", "source_id", "target_id"))
    real_create = CentraClient.product_create
    refusals = []

    def rebind_in_the_middle(client, **kwargs):
        try:
            sku_rule_rebind(rule=SkuRule.objects.get(pk=bound.pk), spec=new_rule_spec(), apply=True)
        except ApplicationError as exc:
            refusals.append(exc.message)
        return real_create(client, **kwargs)

    monkeypatch.setattr(CentraClient, "product_create", rebind_in_the_middle)

    run = flow_run(integration=bound.integration, flow=Flow.PRODUCTS, trigger="manual")

    assert run.ok_count == 1
    [refusal] = refusals
    assert "is writing its shop products right now" in refusal and "Nothing was changed" in refusal
    bound.refresh_from_db()
    assert (bound.product_source, bound.separator) == ("segment:1", "-")
    now = set(ExternalRef.objects.filter(integration=bound.integration).values_list("kind", "source_id", "target_id"))
    assert old < now  # the run's new bindings were added; none of the old ones was replaced


def test_a_products_run_going_while_the_rule_is_rebound_writes_nothing_under_the_old_rule(bound, monkeypatch):
    """A new item whose product number differs under the two rules: only the new rule's product is created."""
    from integrations.visma_net.client import VismaNetClient
    from sync.product_rebind import sku_rule_rebind

    visma.inventory_item_put(
        "1003-RED-S", "Tee 1003", price=299, attributes={"INFORMATION5": "1003X", "INFORMATION4": "RED", "SIZE": "S"}
    )
    real_list = VismaNetClient.inventory_list
    rebound = []

    def rebind_once_the_run_has_read_its_items(client, **kwargs):
        yield from real_list(client, **kwargs)
        if not rebound:
            rebound.append("started")  # the re-binding's own read passes straight through
            rebound[0] = sku_rule_rebind(rule=SkuRule.objects.get(pk=bound.pk), spec=new_rule_spec(), apply=True)

    monkeypatch.setattr(VismaNetClient, "inventory_list", rebind_once_the_run_has_read_its_items)

    run = flow_run(integration=bound.integration, flow=Flow.PRODUCTS, trigger="manual")

    assert rebound[0].applied and rebound[0].matched == 3
    assert centra.product_get_by_number("1003") is None  # nothing created under the old rule
    log = RecordLog.objects.get(run=run, source_id="1003-RED-S")
    assert log.status == "failed" and "was changed while this products run was going" in log.error

    monkeypatch.setattr(VismaNetClient, "inventory_list", real_list)
    again = flow_run(integration=bound.integration, flow=Flow.PRODUCTS, trigger="manual")

    assert again.failed_count == 0 and again.ok_count == 1
    assert centra.product_get_by_number("1003") is None
    assert centra.product_get_by_number("1003X") is not None
