"""Stock Visma.net → Centra: deltas only, batched setStock calls, against both sandboxes."""

from decimal import Decimal

import pytest

from integrations.centra import sandbox as centra
from integrations.http import record_calls
from integrations.visma_net import sandbox as visma
from mappings.models import SkuRule
from sync.erp import ErpItem
from sync.flows.stock import StockLine, Target, batches, stock_quantity
from sync.models import ExternalRef, Flow, Integration, RecordLog
from sync.services import flow_run, integration_flows_ensure


@pytest.fixture
def shop_erp(db, centra_connection, visma_connection):
    integration = Integration.objects.create(
        name="Stock test", shop=centra_connection, erp=visma_connection, home_country="SE"
    )
    integration_flows_ensure(integration=integration)
    SkuRule.objects.create(
        integration=integration,
        product_source="segment:1",
        variant_source="segment:2",
        size_source="segment:3",
        separator="-",
    )
    return integration


def catalogue(integration, stock: dict[str, dict[str, int]]) -> None:
    """ERP items with their stock per warehouse, created in the shop by the products flow."""
    for number, available in stock.items():
        visma.inventory_item_put(number, f"Item {number}", price=100, available=available)
    run = flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual")
    assert run.failed_count == 0, list(RecordLog.objects.filter(run=run).values_list("error", flat=True))


def run_stock(integration, trigger="manual", **kwargs):
    return flow_run(integration=integration, flow=Flow.STOCK, trigger=trigger, **kwargs)


def shop_stock(integration) -> dict[str, int]:
    """{item number: quantity in the shop warehouse}, through the products flow's bindings."""
    levels = centra.stock_levels(integration.stock_shop_warehouse)
    out = {}
    for ref in ExternalRef.objects.filter(integration=integration, kind="size"):
        key = (ref.data["variant_id"], ref.data["size_name"])
        if key in levels:
            out[ref.source_id] = levels[key]
    return out


def set_stock_calls(calls) -> list[dict]:
    import json

    out = []
    for call in calls:
        body = call.get("request_body")
        body = json.loads(body) if isinstance(body, str) else body
        if isinstance(body, dict) and body.get("operationName") == "StockSet":
            out.append(body)
    return out


ITEMS = {
    "1001-BLK-S": {"MAIN": 4, "STORE": 1},
    "1001-BLK-M": {"MAIN": 0, "STORE": 2},
    "1001-NVY-M": {"MAIN": 7},
    "1002-GRN-L": {"MAIN": 3, "STORE": 3},
}


def test_first_run_sends_every_level_summed_over_all_warehouses(shop_erp):
    catalogue(shop_erp, ITEMS)

    run = run_stock(shop_erp)

    assert run.status == "succeeded" and run.ok_count == 4
    assert shop_stock(shop_erp) == {"1001-BLK-S": 5, "1001-BLK-M": 2, "1001-NVY-M": 7, "1002-GRN-L": 6}
    assert centra.call_count("StockSet") == 1  # three variants: one call
    ref = ExternalRef.objects.get(integration=shop_erp, kind="stock", source_id="1001-BLK-S")
    assert ref.data["quantity"] == 5 and ref.checksum


def test_after_one_item_changes_exactly_one_level_is_sent(shop_erp):
    catalogue(shop_erp, ITEMS)
    run_stock(shop_erp)
    before = centra.call_count("StockSet")

    visma.inventory_item_set("1001-NVY-M", available=2, warehouse="MAIN")
    with record_calls() as calls:
        run = run_stock(shop_erp)

    assert run.status == "succeeded" and (run.total, run.ok_count) == (1, 1)
    assert centra.call_count("StockSet") == before + 1
    [call] = set_stock_calls(calls)
    [variant] = call["variables"]["input"]["productVariants"]
    assert variant["sizeStockLevels"] == [{"size": {"name": "M"}, "quantity": 2}]
    assert shop_stock(shop_erp)["1001-NVY-M"] == 2
    # The ERP was asked only for items whose availability changed since the last run.
    erp_reads = [c for c in calls if c["system"] == "visma_net" and "/v1/inventory" in c["url"]]
    assert erp_reads and all("availabilityLastModifiedDateTime=" in c["url"] for c in erp_reads)


def test_changes_spread_over_many_pages_travel_in_few_calls(shop_erp, monkeypatch):
    from sync.flows import stock

    catalogue(shop_erp, {f"{3000 + n}-BLK-M": {"MAIN": 1} for n in range(30)})
    monkeypatch.setattr(stock, "PAGE_SIZE", 4)  # 8 pages
    monkeypatch.setattr(stock, "BATCH_VARIANTS", 12)

    run = run_stock(shop_erp)

    assert run.ok_count == 30
    assert centra.call_count("StockSet") == 3  # 30 variants in batches of 12, across page borders


def test_a_run_without_changes_sends_nothing(shop_erp):
    catalogue(shop_erp, ITEMS)
    run_stock(shop_erp)
    before = centra.mutation_count()

    run = run_stock(shop_erp)

    assert run.total == 0 and centra.mutation_count() == before


def test_an_availability_change_back_to_the_sent_quantity_sends_nothing(shop_erp):
    catalogue(shop_erp, ITEMS)
    run_stock(shop_erp)
    before = centra.mutation_count()

    visma.inventory_item_set("1001-NVY-M", available=7, warehouse="MAIN")  # same number, new timestamp
    run = run_stock(shop_erp)

    assert run.total == 0 and centra.mutation_count() == before


def test_single_warehouse_mode_uses_the_first_listed_warehouse(shop_erp):
    shop_erp.stock_erp_warehouses = "STORE, MAIN"
    shop_erp.stock_mode = Integration.StockMode.SINGLE
    shop_erp.save()
    catalogue(shop_erp, ITEMS)

    run_stock(shop_erp)

    assert shop_stock(shop_erp) == {"1001-BLK-S": 1, "1001-BLK-M": 2, "1001-NVY-M": 0, "1002-GRN-L": 3}


def test_listed_warehouses_are_summed(shop_erp):
    shop_erp.stock_erp_warehouses = "MAIN"
    shop_erp.save()
    catalogue(shop_erp, ITEMS)

    run_stock(shop_erp)

    assert shop_stock(shop_erp) == {"1001-BLK-S": 4, "1001-BLK-M": 0, "1001-NVY-M": 7, "1002-GRN-L": 3}


def test_an_item_not_in_the_shop_fails_alone_and_the_rest_is_sent(shop_erp):
    catalogue(shop_erp, ITEMS)
    visma.inventory_item_put("1003-RED-S", "New item", price=100, available={"MAIN": 9})

    run = run_stock(shop_erp)

    assert (run.ok_count, run.failed_count) == (4, 1)
    error = RecordLog.objects.get(run=run, source_id="1003-RED-S").error
    assert "1003-RED-S" in error and "products flow" in error
    assert len(shop_stock(shop_erp)) == 4

    flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger="manual")
    retry = run_stock(shop_erp, trigger="resync", source_ids=["1003-RED-S"])
    assert retry.ok_count == 1 and shop_stock(shop_erp)["1003-RED-S"] == 9


def test_a_size_the_shop_already_had_is_found_by_sku(shop_erp):
    from integrations.clients import client_for

    visma.inventory_item_put("2001-BLK-M", "Made in the shop first", price=100, available={"MAIN": 6})
    shop = client_for(shop_erp.shop)
    product = shop.product_create(product_number="2001", name="Shop product")
    shop.variant_create(
        product_id=product["id"], variant_number="BLK", name="Black", sizes=[{"name": "M", "size_number": "M"}]
    )

    run = run_stock(shop_erp)

    assert run.ok_count == 1
    assert ExternalRef.objects.get(integration=shop_erp, kind="size", source_id="2001-BLK-M").data["sku"] == "2001BLKM"
    assert shop_stock(shop_erp) == {"2001-BLK-M": 6}


def test_a_failed_call_fails_its_batch_and_the_next_run_sends_it(shop_erp):
    from integrations.sandbox.models import SandboxFault

    catalogue(shop_erp, ITEMS)
    SandboxFault.objects.create(system="centra", endpoint="^StockSet$", kind="server_error", status_code=503)
    run = run_stock(shop_erp)
    assert run.failed_count == 4 and not shop_stock(shop_erp)
    assert "did not answer properly" in RecordLog.objects.filter(run=run).first().error

    SandboxFault.objects.all().delete()
    retry = run_stock(shop_erp, trigger="resync", source_ids=list(ITEMS))
    assert retry.ok_count == 4 and len(shop_stock(shop_erp)) == 4


def test_dry_run_sends_nothing(shop_erp):
    catalogue(shop_erp, ITEMS)
    shop_erp.mode = Integration.Mode.DRY_RUN
    shop_erp.save()

    run = run_stock(shop_erp)

    assert {log.status for log in RecordLog.objects.filter(run=run)} == {"dry_run"}
    log = RecordLog.objects.get(run=run, source_id="1002-GRN-L")
    assert log.request["quantity"] == 6 and log.request["size"] == "L"
    assert centra.call_count("StockSet") == 0
    assert not ExternalRef.objects.filter(integration=shop_erp, kind="stock").exists()


# --------------------------------------------------------------------------- pure parts
def test_quantity_rules():
    item = ErpItem(number="A", warehouses={"MAIN": Decimal("3.7"), "STORE": Decimal(-2), "B2B": Decimal(5)})
    assert stock_quantity(item, warehouses=[], mode="sum") == 6  # 3.7 - 2 + 5 = 6.7 → 6
    assert stock_quantity(item, warehouses=["MAIN", "B2B"], mode="sum") == 8
    assert stock_quantity(item, warehouses=["STORE", "MAIN"], mode="single") == 0  # negative → 0
    assert stock_quantity(item, warehouses=["OTHER"], mode="sum") == 0


def test_batches_hold_at_most_100_variants_and_keep_a_variants_sizes_together():
    lines = [
        StockLine(item=ErpItem(number=f"{v}-{s}"), quantity=1, target=Target(f"{v}{s}", f"V{v}", s))
        for v in range(250)
        for s in ("S", "M")
    ]
    out = batches(lines)
    assert [b.variants for b in out] == [100, 100, 50]
    assert all(len(b.lines) == 2 * b.variants for b in out)
