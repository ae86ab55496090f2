"""Stock Fortnox → Centra from the warehouse module's stock points, against both sandboxes."""

from decimal import Decimal as D

import pytest

from integrations.centra import sandbox as centra
from integrations.fortnox import sandbox as fortnox
from integrations.http import record_calls
from mappings.models import SkuRule
from sync.models import Flow, Integration, RecordLog, SyncRun
from sync.services import flow_run, integration_flows_ensure

from .test_stock import run_stock, set_stock_calls, shop_stock


@pytest.fixture
def shop_erp(db, centra_connection, fortnox_connection):
    integration = Integration.objects.create(
        name="Stock test (Fortnox)",
        shop=centra_connection,
        erp=fortnox_connection,
        home_country="SE",
        stock_erp_warehouses="MAIN, STORE",
        stock_mode=Integration.StockMode.SUM,
    )
    integration_flows_ensure(integration=integration)
    SkuRule.objects.create(
        integration=integration,
        product_source="segment:1",
        variant_source="segment:2",
        size_source="segment:3",
        separator="-",
    )
    run = flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual")
    assert run.failed_count == 0, list(RecordLog.objects.filter(run=run).values_list("error", flat=True))
    return integration


def test_a_change_at_one_stock_point_moves_only_that_articles_level(shop_erp):
    fortnox.stock_set("1001-BLK-M", "MAIN", D("7"))
    fortnox.stock_set("1001-BLK-M", "STORE", D("1"))
    first = run_stock(shop_erp)
    assert first.status == "succeeded" and first.failed_count == 0
    levels = shop_stock(shop_erp)
    assert len(levels) == 45 and levels["1001-BLK-M"] == 8  # MAIN + STORE

    fortnox.stock_set("1001-BLK-M", "STORE", D("5"), reserved=D("2"))
    with record_calls() as calls:
        second = run_stock(shop_erp)

    assert second.status == "succeeded" and (second.ok_count, second.failed_count) == (1, 0)
    [call] = set_stock_calls(calls)
    [variant] = call["variables"]["input"]["productVariants"]
    assert variant["sizeStockLevels"] == [{"size": {"name": "M"}, "quantity": 10}]  # 7 + (5 − 2 reserved)
    assert shop_stock(shop_erp) == {**levels, "1001-BLK-M": 10}
    balance_calls = [c for c in calls if "/api/warehouse/status-v1/stockbalance" in c["url"]]
    assert len(balance_calls) == 1  # a page of articles, one balance call: not one per article


def test_first_listed_stock_point_only(shop_erp):
    shop_erp.stock_mode = Integration.StockMode.SINGLE
    shop_erp.stock_erp_warehouses = "STORE"
    shop_erp.save()
    fortnox.stock_set("1001-BLK-M", "MAIN", D("7"))
    fortnox.stock_set("1001-BLK-M", "STORE", D("3"))

    assert run_stock(shop_erp).status == "succeeded"

    assert shop_stock(shop_erp)["1001-BLK-M"] == 3


def test_without_the_warehouse_module_the_run_fails_naming_the_setting(shop_erp):
    fortnox.company_settings_set(warehouse=False)
    before = centra.call_count("StockSet")

    run = run_stock(shop_erp)

    assert run.status == SyncRun.Status.FAILED
    assert "clear 'Stock ERP warehouses' on the integration" in run.message
    assert centra.call_count("StockSet") == before
