"""Products and stock Visma.net → a shop whose catalogue is flat articles (capability ARTICLE_WRITE).

The ERP is the Visma.net sandbox; the shop is tests/sync/flows/fake_article_shop.py, made the adapter of the
integration's shop system, so the flows choose the article path by capability, as they do for eAccounting.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from integrations.visma_net import sandbox as visma
from sync import bindings
from sync.models import ExternalRef, Flow, RecordLog, SyncRun
from sync.services import flow_run
from tests.sync.flows.fake_article_shop import FakeArticleShop


def run(integration, flow=Flow.PRODUCTS, **kwargs) -> SyncRun:
    return flow_run(integration=integration, flow=flow, trigger="manual", **kwargs)


def logs(sync_run) -> dict[str, RecordLog]:
    return {log.source_id: log for log in RecordLog.objects.filter(run=sync_run)}


def article(number):
    return next(a for a in FakeArticleShop.articles.values() if a.number == number)


# --------------------------------------------------------------------------- create, bind, never twice
def test_items_become_articles_once_bound_by_number(article_integration):
    visma.inventory_item_put("TEE-1", "T-shirt", price=199, ean="7300000000017", body="Soft cotton")
    visma.inventory_item_put("SHIP", "Shipping", price=49, stock=False)
    visma.inventory_item_put("OLD-1", "Old mug", price=10, status="Inactive")

    first = run(article_integration)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    created = [c for c in FakeArticleShop.calls if c[0] == "article_create"]
    assert created == [
        (
            "article_create",
            "TEE-1",
            {
                "name": "T-shirt",
                "description": "Soft cotton",
                "price": Decimal("199"),
                "currency": "SEK",
                "active": True,
                "unit": "PCS",
                "ean": "7300000000017",
                "vat_rate": None,  # the ERP sandbox has no VAT categories here
            },
        )
    ]
    ref = ExternalRef.objects.get(integration=article_integration, kind=ExternalRef.Kind.ARTICLE, source_id="TEE-1")
    assert ref.target_id == article("TEE-1").id and ref.checksum
    assert "SHIP" not in logs(first)  # a non-stock item is no article
    assert logs(first)["OLD-1"].status == "skipped" and "Inactive" in logs(first)["OLD-1"].error

    FakeArticleShop.calls.clear()
    second = run(article_integration)

    assert FakeArticleShop.calls == []  # nothing changed: not a single shop call
    assert not RecordLog.objects.filter(run=second, source_id="TEE-1").exists()


def test_a_crash_after_the_create_finds_the_article_by_number_and_creates_no_second(article_integration, monkeypatch):
    visma.inventory_item_put("MUG-1", "Mug", price=89)
    real = bindings.binding_save

    def crash(**kwargs):
        raise RuntimeError("worker killed after the create")

    monkeypatch.setattr("sync.flows.articles.binding_save", crash)
    crashed = run(article_integration)
    assert logs(crashed)["MUG-1"].status == "failed"
    assert len(FakeArticleShop.articles) == 1
    assert not ExternalRef.objects.filter(kind=ExternalRef.Kind.ARTICLE).exists()

    monkeypatch.setattr("sync.flows.articles.binding_save", real)
    again = run(article_integration, source_ids=["MUG-1"])

    assert logs(again)["MUG-1"].status == "ok", logs(again)["MUG-1"].error
    assert "found by its number" in logs(again)["MUG-1"].error
    assert len(FakeArticleShop.articles) == 1
    assert [c[0] for c in FakeArticleShop.calls].count("article_create") == 1
    ref = ExternalRef.objects.get(kind=ExternalRef.Kind.ARTICLE, source_id="MUG-1")
    assert ref.target_id == article("MUG-1").id


# --------------------------------------------------------------------------- updates only where ticked
def test_an_existing_article_gets_only_the_ticked_fields(article_integration):
    article_integration.update_product_name = False
    article_integration.update_product_description = False
    article_integration.update_product_price = True
    article_integration.save()
    visma.inventory_item_put("CAP-1", "Cap", price=150, body="Wool")
    run(article_integration)
    FakeArticleShop.calls.clear()

    visma.inventory_item_put("CAP-1", "Cap, new name", price=175, body="Merino wool")
    second = run(article_integration)

    updates = [c for c in FakeArticleShop.calls if c[0] == "article_update"]
    assert updates == [("article_update", article("CAP-1").id, {"price": Decimal("175"), "currency": "SEK"})]
    assert (article("CAP-1").name, article("CAP-1").description) == ("Cap", "Wool")
    assert "updated price" in logs(second)["CAP-1"].error

    article_integration.update_product_name = True
    article_integration.save()
    FakeArticleShop.calls.clear()
    run(article_integration, source_ids=["CAP-1"])
    assert [c for c in FakeArticleShop.calls if c[0] == "article_update"] == [
        ("article_update", article("CAP-1").id, {"name": "Cap, new name"})
    ]


def test_a_deleted_article_is_not_created_again_behind_the_users_back(article_integration):
    visma.inventory_item_put("BAG-1", "Bag", price=300)
    run(article_integration)
    FakeArticleShop.articles.clear()
    FakeArticleShop.calls.clear()

    again = run(article_integration, source_ids=["BAG-1"])

    log = logs(again)["BAG-1"]
    assert log.status == "failed" and "no article BAG-1 any more" in log.error
    assert FakeArticleShop.writes() == []
    assert FakeArticleShop.articles == {}


def test_dry_run_sends_nothing_and_logs_the_article(article_integration):
    visma.inventory_item_put("PEN-1", "Pen", price=12)

    dry = run(article_integration, dry_run=True)

    log = logs(dry)["PEN-1"]
    assert log.status == "dry_run" and log.request["Number"] == "PEN-1" and log.request["price"] == "12"
    assert FakeArticleShop.writes() == []


# --------------------------------------------------------------------------- the product filter
def test_only_items_matching_the_filter_become_articles(article_integration):
    article_integration.product_filter = "itemClass = WEB and attribute WEBSHOP = 1"
    article_integration.save()
    visma.inventory_item_put("W-1", "Web item", price=10, item_class="WEB", attributes={"WEBSHOP": "1"})
    visma.inventory_item_put("W-2", "Web, not flagged", price=10, item_class="WEB", attributes={"WEBSHOP": "0"})
    visma.inventory_item_put("S-1", "Spare part", price=10, item_class="SPARE", attributes={"WEBSHOP": "1"})

    sync_run = run(article_integration)

    assert [a.number for a in FakeArticleShop.articles.values()] == ["W-1"]
    assert set(logs(sync_run)) == {"W-1"}

    resync = run(article_integration, source_ids=["S-1"])  # asked for by id: skipped, saying why
    log = logs(resync)["S-1"]
    assert log.status == "skipped" and "does not match the integration's product filter (itemClass = WEB)" in log.error


def test_an_unreadable_filter_is_refused_when_the_integration_is_saved(article_integration):
    article_integration.product_filter = "colour = red"
    with pytest.raises(ValidationError) as refused:
        article_integration.full_clean()
    assert "unknown field 'colour'" in refused.value.message_dict["product_filter"][0]

    article_integration.product_filter = "attribute WEBSHOP = 1 and itemClass in WEB, OUTLET"
    article_integration.full_clean()


# --------------------------------------------------------------------------- stock
def test_stock_goes_to_the_articles_and_an_unchanged_quantity_is_not_sent_again(article_integration):
    visma.inventory_item_put("TEE-1", "T-shirt", price=199, available={"MAIN": 7, "B2": 3})
    run(article_integration)

    first = run(article_integration, Flow.STOCK)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    assert FakeArticleShop.stock == {article("TEE-1").id: 10}
    FakeArticleShop.calls.clear()
    run(article_integration, Flow.STOCK)
    assert FakeArticleShop.calls == []


def test_stock_of_an_item_without_article_fails_until_the_products_flow_made_it(article_integration):
    visma.inventory_item_put("NEW-1", "New", price=5, available={"MAIN": 2})

    sync_run = run(article_integration, Flow.STOCK)

    log = logs(sync_run)["NEW-1"]
    assert log.status == "failed" and "has no article in Fake article shop yet" in log.error
    assert FakeArticleShop.stock == {}


def test_a_shop_that_takes_no_stock_makes_the_stock_run_stop_saying_so(article_integration):
    FakeArticleShop.reset(capabilities=frozenset({"article_write"}))
    visma.inventory_item_put("TEE-1", "T-shirt", price=199, available={"MAIN": 7})

    sync_run = run(article_integration, Flow.STOCK)

    assert sync_run.status == SyncRun.Status.FAILED
    assert "Fake article shop takes no stock levels from Koppla" in sync_run.message
    assert FakeArticleShop.calls == []
