"""Products Visma.net → Centra, end to end against both sandboxes."""

from decimal import Decimal

import pytest

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from integrations.visma_net.adapter_items import erp_item_from_visma
from mappings.models import SkuRule
from sync.models import ExternalRef, Flow, Integration, RecordLog
from sync.services import flow_run, integration_flows_ensure


@pytest.fixture
def shop_erp(db, centra_connection, visma_connection):
    """An integration between the two sandboxes, with an empty ERP catalogue (tests add their items)."""
    integration = Integration.objects.create(
        name="Products test", shop=centra_connection, erp=visma_connection, home_country="SE"
    )
    integration_flows_ensure(integration=integration)
    return integration


def rule(integration, product="inventoryNumber", variant="", size="", separator=""):
    return SkuRule.objects.create(
        integration=integration,
        product_source=product,
        variant_source=variant,
        size_source=size,
        separator=separator,
    )


def run_products(integration):
    return flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual")


def logs(run) -> dict[str, RecordLog]:
    return {log.source_id: log for log in RecordLog.objects.filter(run=run)}


def structure() -> dict:
    """{product number: {variant number: {size name: SKU}}} as the shop has it."""
    return {
        p["productNumber"]: {
            (v["variantNumber"] or ""): {s["size"]["name"]: s["SKU"] for s in v["productSizes"]} for v in p["variants"]
        }
        for p in centra.products()
    }


def price_of(variant_id: str) -> Decimal | None:
    node = centra.variant_node(variant_id)
    return Decimal(str(node["prices"][0]["price"]["value"])) if node["prices"] else None


# --------------------------------------------------------------------------- SKU rules, end to end
def test_item_number_only_gives_one_product_per_item(shop_erp):
    rule(shop_erp)
    visma.inventory_item_put("A100", "Canvas tote", price=249, available={"MAIN": 3}, ean="7350000000017")
    visma.inventory_item_put("A200", "Wool beanie", price=199, available={"MAIN": 5})

    run = run_products(shop_erp)

    assert run.status == "succeeded", run.message
    assert structure() == {"A100": {"": {"One size": "A100"}}, "A200": {"": {"One size": "A200"}}}
    tote = centra.product_get_by_number("A100")
    assert tote["name"] == "Canvas tote" and tote["status"] == "ACTIVE"
    size = tote["variants"][0]["productSizes"][0]
    assert size["EAN"] == "7350000000017"
    assert price_of(tote["variants"][0]["id"]) == Decimal("249.00")
    ref = ExternalRef.objects.get(integration=shop_erp, kind="size", source_id="A100")
    assert ref.target_id == str(size["id"]) and ref.data["variant_id"] == str(tote["variants"][0]["id"])
    assert ExternalRef.objects.get(integration=shop_erp, kind="product", source_id="A100").target_id == tote["id"]


def test_item_number_plus_attribute_gives_variants(shop_erp):
    rule(shop_erp, variant="attribute:COLOR")
    visma.inventory_item_put("A100", "Canvas tote", price=249, attributes={"COLOR": "Navy"})
    visma.inventory_item_put("A200", "Wool beanie", price=199, attributes={"COLOR": "Grey"})

    run = run_products(shop_erp)

    assert run.ok_count == 2, logs(run)
    assert structure() == {"A100": {"Navy": {"One size": "A100Navy"}}, "A200": {"Grey": {"One size": "A200Grey"}}}


def test_information5_and_information4_with_separator_group_variants_under_products(shop_erp):
    rule(
        shop_erp,
        product="attribute:INFORMATION5",
        variant="attribute:INFORMATION4",
        size="attribute:SIZE",
        separator="-",
    )
    for number, product, colour, size in [
        ("X1", "1001", "BLK", "S"),
        ("X2", "1001", "BLK", "M"),
        ("X3", "1001", "NVY", "M"),
        ("X4", "1002", "BLK", "L"),
    ]:
        visma.inventory_item_put(
            number,
            f"Tee {colour} {size}",
            price=299,
            attributes={"INFORMATION5": product, "INFORMATION4": colour, "SIZE": size},
        )

    run = run_products(shop_erp)

    assert run.ok_count == 4 and run.failed_count == 0
    assert structure() == {
        "1001": {"BLK": {"S": "1001BLKS", "M": "1001BLKM"}, "NVY": {"M": "1001NVYM"}},
        "1002": {"BLK": {"L": "1002BLKL"}},
    }
    # A variant is created with its sizes in one call: no separate size creates.
    assert centra.call_count("createProductVariant") == 3
    assert centra.call_count("createProductSize") == 0
    assert centra.call_count("createProduct") == 2
    ref = ExternalRef.objects.get(integration=shop_erp, kind="size", source_id="X2")
    assert ref.data["key"] == "1001-BLK-M" and ref.data["sku"] == "1001BLKM"
    assert logs(run)["X2"].source_label == "Item X2 (SKU 1001-BLK-M)"


def test_the_demo_catalogue_by_item_number_segments(shop_erp):
    from integrations.visma_net import demo_data

    demo_data.seed()
    rule(shop_erp, product="segment:1", variant="segment:2", size="segment:3", separator="-")
    items = demo_data.stock_items()

    run = run_products(shop_erp)

    assert run.failed_count == 0 and run.ok_count == len(items)
    shop = structure()
    for item in items:
        product, colour, size = item["number"].split("-")
        assert shop[product][colour][size] == f"{product}{colour}{size}"
    # Non-stock items (shipping, fees) are not products and make no records.
    assert not RecordLog.objects.filter(run=run).exclude(source_id__in=[i["number"] for i in items]).exists()


# --------------------------------------------------------------------------- failures stay alone
def test_an_item_missing_a_field_fails_alone_and_names_the_field(shop_erp):
    rule(shop_erp, variant="attribute:COLOR")
    visma.inventory_item_put("A100", "Canvas tote", price=249, attributes={"COLOR": "Navy"})
    visma.inventory_item_put("A200", "Wool beanie", price=199)  # no COLOR
    visma.inventory_item_put("A300", "Scarf", price=149, attributes={"COLOR": "Red"})

    run = run_products(shop_erp)

    assert run.status == "partial" and (run.ok_count, run.failed_count) == (2, 1)
    failed = logs(run)["A200"]
    assert failed.status == "failed"
    assert "Item A200" in failed.error and "attribute COLOR" in failed.error and "SKU rules" in failed.error
    assert set(structure()) == {"A100", "A300"}


def test_two_items_with_one_sku_the_second_fails(shop_erp):
    rule(shop_erp, product="attribute:STYLE")
    visma.inventory_item_put("A100", "Tote", price=1, attributes={"STYLE": "T1"})
    visma.inventory_item_put("A200", "Tote again", price=1, attributes={"STYLE": "T1"})

    run = run_products(shop_erp)

    assert (run.ok_count, run.failed_count) == (1, 1)
    assert "same SKU T1 as item A100" in logs(run)["A200"].error


# --------------------------------------------------------------------------- updates only of ticked fields
def test_only_ticked_fields_overwrite_the_shop(shop_erp):
    rule(shop_erp)
    shop_erp.update_product_name = False
    shop_erp.update_product_description = False
    shop_erp.update_product_price = True
    shop_erp.update_product_ean = False
    shop_erp.save()
    visma.inventory_item_put("A100", "Canvas tote", price=249, ean="7350000000017", body="ERP text")
    run_products(shop_erp)
    product = centra.product_get_by_number("A100")
    variant_id = product["variants"][0]["id"]

    visma.inventory_item_put("A100", "Tote bag (ERP rename)", price=279, ean="7350000000024", body="New ERP text")
    run = run_products(shop_erp)

    log = logs(run)["A100"]
    assert log.status == "ok"
    product = centra.product_get_by_number("A100")
    assert product["name"] == "Canvas tote" and product["description"] == "ERP text"  # unticked: kept
    assert product["variants"][0]["productSizes"][0]["EAN"] == "7350000000017"  # unticked: kept
    assert price_of(variant_id) == Decimal("279.00")  # ticked: sent
    assert [entry["action"] for entry in log.request["sent"]] == ["set price"]

    shop_erp.update_product_name = True
    shop_erp.update_product_ean = True
    shop_erp.save()
    visma.inventory_item_put("A100", "Tote bag", price=279, ean="7350000000024", body="New ERP text")
    run = run_products(shop_erp)

    product = centra.product_get_by_number("A100")
    assert product["name"] == "Tote bag"
    assert product["variants"][0]["productSizes"][0]["EAN"] == "7350000000024"
    assert product["description"] == "ERP text"  # still unticked
    # Without a variant source the variant is named after the product: it follows the rename.
    assert sorted(entry["action"] for entry in logs(run)["A100"].request["sent"]) == [
        "update product",
        "update size",
        "update variant",
    ]


def test_a_name_the_shop_enriched_survives_an_erp_price_change(shop_erp):
    rule(shop_erp)
    visma.inventory_item_put("A100", "Canvas tote", price=249)
    run_products(shop_erp)
    product = centra.product_get_by_number("A100")
    stored = centra._get(centra.PRODUCT, product["id"])
    centra._put(centra.PRODUCT, product["id"], {**stored, "name": "The Canvas Tote — limited"})

    visma.inventory_item_set("A100", price=259)
    run_products(shop_erp)

    product = centra.product_get_by_number("A100")
    assert product["name"] == "The Canvas Tote — limited"
    assert price_of(product["variants"][0]["id"]) == Decimal("259.00")


# --------------------------------------------------------------------------- idempotence, cost, dry run
def test_a_second_run_without_erp_changes_sends_nothing_and_logs_nothing(shop_erp):
    rule(shop_erp)
    visma.inventory_item_put("A100", "Canvas tote", price=249)
    visma.inventory_item_put("A200", "Wool beanie", price=199)
    run_products(shop_erp)
    mutations = centra.mutation_count()
    reads = centra.call_count("ProductFind")

    run = run_products(shop_erp)

    assert run.status == "succeeded" and run.total == 0
    assert centra.mutation_count() == mutations and centra.call_count("ProductFind") == reads


def test_a_product_already_in_the_shop_is_bound_not_created_again(shop_erp):
    rule(shop_erp)
    visma.inventory_item_put("A100", "Canvas tote", price=249)
    from integrations.clients import client_for

    shop = client_for(shop_erp.shop)
    existing = shop.product_create(product_number="A100", name="Made in the shop")
    shop.variant_create(
        product_id=existing["id"], variant_number="", name="Made in the shop", sizes=[{"name": "One size"}]
    )

    run = run_products(shop_erp)

    assert run.ok_count == 1
    assert centra.call_count("createProduct") == 1 and centra.call_count("createProductVariant") == 1
    assert ExternalRef.objects.get(integration=shop_erp, kind="product", source_id="A100").target_id == existing["id"]
    assert centra.product_get_by_number("A100")["name"] == "Made in the shop"  # name unticked by default


def test_dry_run_maps_and_writes_nothing(shop_erp):
    rule(shop_erp, product="segment:1", variant="segment:2", separator="-")
    shop_erp.mode = Integration.Mode.DRY_RUN
    shop_erp.save()
    visma.inventory_item_put("1001-BLK", "Tee black", price=299)

    run = run_products(shop_erp)

    log = logs(run)["1001-BLK"]
    assert log.status == "dry_run"
    assert log.request["product"]["productNumber"] == "1001" and log.request["variant"]["variantNumber"] == "BLK"
    assert centra.mutation_count() == 0
    assert not ExternalRef.objects.filter(integration=shop_erp).exists()


def test_no_sku_rule_fails_the_run_with_where_to_set_it(shop_erp):
    run = run_products(shop_erp)
    assert run.status == "failed" and "Mappings › SKU rules" in run.message


def test_a_create_whose_answer_was_lost_is_found_not_repeated(shop_erp):
    from integrations.sandbox.models import SandboxFault

    rule(shop_erp)
    visma.inventory_item_put("A100", "Canvas tote", price=249)
    SandboxFault.objects.create(system="centra", endpoint="^VariantCreate$", kind="timeout_after_write", remaining=1)
    first = run_products(shop_erp)
    assert first.failed_count == 1
    assert centra.call_count("createProductVariant") == 1  # it happened; the answer was lost

    second = flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger="resync", source_ids=["A100"])

    assert second.ok_count == 1, logs(second)["A100"].error
    assert structure() == {"A100": {"": {"One size": "A100"}}}
    assert centra.call_count("createProduct") == 1 and centra.call_count("createProductVariant") == 1


# --------------------------------------------------------------------------- mapping (pure)
def test_inventory_dto_to_erp_item():
    node = {
        "inventoryNumber": "1001-BLK-M",
        "description": "Tee, black, M",
        "body": "Organic cotton.",
        "defaultPrice": Decimal("299.00"),
        "status": "Active",
        "lastModifiedDateTime": "2026-03-01T10:00:00.000",
        "attributes": [{"id": "INFORMATION5", "value": "1001"}],
        "warehouseDetails": [{"warehouse": "MAIN", "available": 4}, {"warehouse": "STORE", "available": -1}],
        "crossReferences": [
            {"alternateType": "CPN", "alternateID": "X"},
            {"alternateType": "Barcode", "alternateID": "7350000000017"},
        ],
    }
    item = erp_item_from_visma(node)
    assert item.ean == "7350000000017" and item.price == Decimal("299.00")
    assert item.attributes == {"INFORMATION5": "1001"}
    assert item.warehouses == {"MAIN": Decimal(4), "STORE": Decimal(-1)}
