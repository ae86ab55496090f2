"""Fortnox stock per stock point (warehouse module) through the adapter, against the sandbox.

The demo company has stock points MAIN and STORE, 45 stock articles with a balance at both and two
non-stock articles (FREIGHT, FREIGHT-EXP) without any.
"""

from decimal import Decimal as D

import pytest

from integrations.fortnox import adapter_items
from integrations.fortnox import sandbox as fortnox
from integrations.fortnox.adapter import FortnoxErp
from integrations.http import ConfigurationError, record_calls
from sync.flows.stock import stock_quantity
from sync.models import Integration
from tests.fakes import FakeClock

SUM, SINGLE = Integration.StockMode.SUM, Integration.StockMode.SINGLE


@pytest.fixture
def erp(fortnox_connection):
    return FortnoxErp(fortnox_connection, clock=FakeClock())


def paths(calls) -> list[str]:
    return [call["url"].split("/sandbox/fortnox", 1)[-1].split("?", 1)[0] for call in calls]


def test_stock_is_read_per_stock_point_and_the_first_listed_one_is_chosen(erp):
    fortnox.stock_set("1001-BLK-M", "MAIN", D("9"), reserved=D("2"))
    fortnox.stock_set("1001-BLK-M", "STORE", D("3"))

    with record_calls() as calls:
        items = {item.number: item for item in erp.stock_changed(updated_from=None, warehouses=["MAIN"])}

    shirt = items["1001-BLK-M"]
    assert shirt.warehouses == {"MAIN": D("7"), "STORE": D("3")}  # available = in stock less reserved
    assert stock_quantity(shirt, warehouses=["MAIN"], mode=SINGLE) == 7
    assert shirt.is_stock and shirt.availability_updated_at
    assert (items["FREIGHT"].is_stock, items["FREIGHT"].warehouses) == (False, {})
    called = paths(calls)
    # one page of articles, one stock point check, one balance call for all 47; only the two articles
    # without any balance are read in full (to learn they are not stock goods)
    assert called.count("/api/warehouse/status-v1/stockbalance") == 1
    assert called.count("/api/warehouse/stockpoints-v1") == 1
    assert sorted(p for p in called if p.startswith("/3/articles/")) == [
        "/3/articles/FREIGHT",
        "/3/articles/FREIGHT-EXP",
    ]


def test_two_stock_points_are_summed_in_a_listing_and_for_one_item(erp):
    fortnox.stock_set("1002-BLU-L", "MAIN", D("4"))
    fortnox.stock_set("1002-BLU-L", "STORE", D("5.5"), reserved=D("1"))
    points = ["MAIN", "STORE"]

    listed = next(i for i in erp.stock_changed(updated_from=None, warehouses=points) if i.number == "1002-BLU-L")
    one = erp.item_stock_get("1002-BLU-L", warehouses=points)

    assert one.warehouses == listed.warehouses == {"MAIN": D("4"), "STORE": D("4.5")}
    assert stock_quantity(listed, warehouses=points, mode=SUM) == 8  # 8.5 in whole units
    assert erp.item_stock_get("NO-SUCH-ARTICLE", warehouses=points) is None


def test_balances_are_read_in_batches_of_articles_not_one_call_per_article(erp, monkeypatch):
    monkeypatch.setattr(adapter_items, "BALANCE_BATCH", 10)
    with record_calls() as calls:
        items = list(erp.stock_changed(updated_from=None, warehouses=["MAIN"]))
    assert len(items) == 47
    assert paths(calls).count("/api/warehouse/status-v1/stockbalance") == 5  # 47 articles / 10


def test_a_stock_point_the_article_has_no_balance_at_counts_as_zero(erp):
    items = {i.number: i for i in erp.stock_changed(updated_from=None, warehouses=["MAIN"])}
    fortnox.stock_set("1001-BLK-M", "OUTLET", D("6"))

    with pytest.raises(ConfigurationError) as refused:
        list(erp.stock_changed(updated_from=None, warehouses=["NORTH"]))
    assert "NORTH" in refused.value.message and "MAIN, OUTLET, STORE" in refused.value.message
    assert "'Stock ERP warehouses'" in refused.value.message

    outlet = {i.number: i for i in erp.stock_changed(updated_from=None, warehouses=["OUTLET"])}
    assert outlet["1001-BLK-M"].warehouses["OUTLET"] == D("6")
    assert outlet["1001-BLK-L"].warehouses["OUTLET"] == D(0)  # no balance there
    assert stock_quantity(outlet["1001-BLK-L"], warehouses=["OUTLET"], mode=SUM) == 0
    assert items["1001-BLK-L"].warehouses["MAIN"] > 0


def test_without_the_warehouse_module_the_error_names_the_setting_to_clear(erp):
    fortnox.company_settings_set(warehouse=False)

    with pytest.raises(ConfigurationError) as refused:
        list(erp.stock_changed(updated_from=None, warehouses=["MAIN", "STORE"]))

    message = refused.value.message
    assert "no warehouse module (Fortnox Lager)" in message
    assert "clear 'Stock ERP warehouses' on the integration" in message
    assert "Fortnox code 2001101" in message
    # without stock points the article's own stock is still read, no warehouse call made
    with record_calls() as calls:
        items = list(erp.stock_changed(updated_from=None))
    assert items and not any("/api/warehouse" in p for p in paths(calls))
    assert next(i for i in items if i.number == "1001-BLK-M").warehouses == {"default": D("8")}
