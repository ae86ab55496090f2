"""Integration.product_filter on a shop with a product → variant → size catalogue (Centra): items outside it
get no product and no stock."""

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from mappings.models import SkuRule
from sync.models import Flow, Integration, RecordLog
from sync.services import flow_run, integration_flows_ensure


def test_items_outside_the_filter_get_no_product_and_no_stock(db, centra_connection, visma_connection):
    integration = Integration.objects.create(
        name="Filtered",
        shop=centra_connection,
        erp=visma_connection,
        home_country="SE",
        product_filter="itemClass = WEB",
    )
    integration_flows_ensure(integration=integration)
    SkuRule.objects.create(integration=integration, product_source="inventoryNumber")
    visma.inventory_item_put("A100", "Canvas tote", price=249, available={"MAIN": 3}, item_class="WEB")
    visma.inventory_item_put("B200", "Spare strap", price=19, available={"MAIN": 9}, item_class="SPARE")

    products = flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual")
    stock = flow_run(integration=integration, flow=Flow.STOCK, trigger="manual")

    assert products.status == "succeeded" and stock.status == "succeeded", (products.message, stock.message)
    assert [p["productNumber"] for p in centra.products()] == ["A100"]
    assert set(RecordLog.objects.filter(run=stock).values_list("source_id", flat=True)) == {"A100"}
    resync = flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="manual", source_ids=["B200"])
    log = RecordLog.objects.get(run=resync, source_id="B200")
    assert log.status == "skipped" and "does not match the integration's product filter (itemClass = WEB)" in log.error
