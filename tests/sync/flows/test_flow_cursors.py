"""Every flow with a cursor: no record changed at or after the previous run's read is missed.

Each test runs a flow on the schedule, then changes records the way the remote does it in real
life: one stamped in the very second of the cursor, one stamped before the cursor but committed
after the previous run read (a slow save, a remote clock behind ours), with a run of given ids
(resync, webhook) in between. The next scheduled run must take them all, and must not log again
what bindings or checksums prove done.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integrations.centra import sandbox as centra
from integrations.clients import client_for
from integrations.visma_net import sandbox as visma
from integrations.visma_net.schemas import CustomerPayload, DocumentLine, InvoicePayload
from mappings.models import SkuRule
from sync.bindings import binding_save
from sync.models import ExternalRef, Flow, Integration, RecordLog, SyncRun
from sync.services import flow_run, integration_flows_ensure
from tests.integrations.centra.conftest import order_node
from tests.sync.flows.test_refunds_customers import return_node

SCHEDULE = SyncRun.Trigger.SCHEDULE


def moment(stamp: str, seconds: float = 0) -> datetime:
    """A cursor string as an aware UTC datetime, shifted by `seconds`."""
    value = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value + timedelta(seconds=seconds)


# --------------------------------------------------------------------------- shop → ERP
def put_order(number: int, updated: str) -> dict:
    node = order_node(number, updatedAt=updated, status="SHIPPED")
    email = f"o{number}@example.se"
    node["customer"] = {**node["customer"], "id": str(number), "email": email}
    node["billingAddress"] = {**node["billingAddress"], "email": email}
    return centra.order_put(node)


def invoiced_orders() -> list[str]:
    return sorted(invoice["customerRefNumber"] for invoice in visma.invoices())


def test_orders_stamped_in_the_cursors_second_or_before_it_are_invoiced(flow_integration, resync):
    put_order(6001, "2026-03-02T10:00:00+00:00")
    first = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SCHEDULE)
    assert first.cursor_to == "2026-03-02T10:00:00+00:00"

    put_order(6002, "2026-03-02T10:00:00+00:00")  # the same second as the cursor, saved after the read
    put_order(6003, "2026-03-02T09:59:30+00:00")  # stamped before the cursor, committed after the read
    put_order(6004, "2026-03-02T10:30:00+00:00")
    resync(flow_integration, Flow.ORDERS, ["6004"])  # a run of given ids in between
    assert SyncRun.objects.get(trigger="resync").cursor_to == ""

    second = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SCHEDULE)

    assert invoiced_orders() == ["6001", "6002", "6003", "6004"]
    assert second.cursor_from == "2026-03-02T10:00:00+00:00"
    # Re-read in the overlap, released orders are left out by their binding: no call, no log.
    assert not RecordLog.objects.filter(run=second, source_id__in=["6001", "6004"]).exists()
    assert second.cursor_to == "2026-03-02T10:30:00+00:00"


def put_customer(customer_id: str, updated: str, city: str = "Stockholm") -> dict:
    email = f"c{customer_id}@example.se"
    return centra.customer_put(
        {
            "id": customer_id,
            "email": email,
            "firstName": "Karin",
            "lastName": f"Kund {customer_id}",
            "updatedAt": updated,
            "billingAddress": {
                "firstName": "Karin",
                "lastName": f"Kund {customer_id}",
                "address1": "Storgatan 1",
                "city": city,
                "zipCode": "114 55",
                "country": {"code": "SE"},
                "email": email,
            },
        }
    )


def erp_city(email: str) -> str:
    return next(c for c in visma.customers() if (c.get("mainContact") or {}).get("email") == email)["mainAddress"][
        "city"
    ]


def test_customers_stamped_in_the_cursors_second_or_before_it_are_sent(flow_integration, resync):
    put_customer("801", "2026-03-02T10:00:00+00:00")
    first = flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger=SCHEDULE)
    assert first.ok_count == 1 and first.cursor_to == "2026-03-02T10:00:00+00:00"

    put_customer("802", "2026-03-02T10:00:00+00:00")  # the cursor's second
    put_customer("803", "2026-03-02T09:59:00+00:00", city="Malmö")  # stamped before the cursor, saved late
    put_customer("804", "2026-03-02T10:20:00+00:00")
    resync(flow_integration, Flow.CUSTOMERS, ["804"])

    second = flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger=SCHEDULE)

    assert erp_city("c802@example.se") == "Stockholm"
    assert erp_city("c803@example.se") == "Malmö"
    assert {"c801@example.se", "c804@example.se"} <= {
        (c.get("mainContact") or {}).get("email") for c in visma.customers()
    }
    # 801 and 804 are re-read but unchanged since sent (checksum on their binding): nothing logged.
    assert sorted(RecordLog.objects.filter(run=second).values_list("source_id", flat=True)) == ["802", "803"]


def test_refunds_stamped_in_the_cursors_second_or_before_it_are_credited(flow_integration, resync):
    orders = [put_order(number, "2026-03-01T12:00:00+00:00") for number in (7001, 7002, 7003)]
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SCHEDULE)
    assert invoiced_orders() == ["7001", "7002", "7003"]

    def put_return(order: dict, return_id: str, updated: str) -> None:
        node = return_node(order, return_id, lines=[(order["lines"][0], 1)], shipping=Decimal(0))
        centra.return_put({**node, "updatedAt": updated})

    put_return(orders[0], "9501", "2026-03-02T10:00:00+00:00")
    first = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger=SCHEDULE)
    assert first.ok_count == 1 and first.cursor_to == "2026-03-02T10:00:00+00:00"

    put_return(orders[1], "9502", "2026-03-02T10:00:00+00:00")  # the cursor's second
    put_return(orders[2], "9503", "2026-03-02T09:58:30+00:00")  # stamped before the cursor, saved late
    resync(flow_integration, Flow.REFUNDS, ["9501"])

    second = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger=SCHEDULE)

    credited = sorted(note["customerRefNumber"] for note in visma.credit_notes())
    assert credited == ["R9501", "R9502", "R9503"]
    assert sorted(RecordLog.objects.filter(run=second).values_list("source_id", flat=True)) == ["9502", "9503"]


# --------------------------------------------------------------------------- ERP → shop
@pytest.fixture
def shop_erp(db, centra_connection, visma_connection):
    integration = Integration.objects.create(
        name="Cursor test", shop=centra_connection, erp=visma_connection, home_country="SE"
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


def test_products_changed_in_the_cursors_second_or_before_it_reach_the_shop(shop_erp):
    shop_erp.update_product_name = True
    shop_erp.save()
    for number in ("3001-BLK-S", "3002-BLK-S", "3003-BLK-S"):
        visma.inventory_item_put(number, f"Item {number}", price=100, available={"MAIN": 1})
    first = flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger=SCHEDULE)
    assert first.ok_count == 3
    cursor = first.cursor_to

    visma.inventory_item_set("3002-BLK-S", description="Renamed in the cursor's second", at=moment(cursor))
    visma.inventory_item_set("3003-BLK-S", description="Renamed before the cursor", at=moment(cursor, -40))
    flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger="resync", source_ids=["3001-BLK-S"])

    second = flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger=SCHEDULE)

    assert second.cursor_from == cursor
    assert sorted(RecordLog.objects.filter(run=second).values_list("source_id", flat=True)) == [
        "3002-BLK-S",
        "3003-BLK-S",
    ]
    names = {p["productNumber"]: p["name"] for p in centra.products()}
    assert names["3002"] == "Renamed in the cursor's second"
    assert names["3003"] == "Renamed before the cursor"


def test_products_changed_while_a_long_run_was_reading_are_not_missed(shop_erp, monkeypatch):
    """Visma.net lists by item number: an item changed after its page was read joins a page already read."""
    shop_erp.update_product_name = True
    shop_erp.save()
    visma.inventory_item_put("4001-BLK-S", "First", price=100, available={"MAIN": 1})
    visma.inventory_item_put("4002-BLK-S", "Second", price=100, available={"MAIN": 1})
    start = datetime.now(UTC)
    # The listing is read over five minutes: the item read last was changed at its end.
    visma.inventory_item_set(
        "4002-BLK-S", description="Second, changed at the end of the reading", at=start + timedelta(minutes=5)
    )
    ticks = iter([0.0, 300.0])
    with monkeypatch.context() as patch:
        patch.setattr("sync.flows.paging.reading_clock", lambda: next(ticks))
        first = flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger=SCHEDULE)
    assert first.ok_count == 2

    # 4001 was changed one minute into that reading, after its page had been read.
    visma.inventory_item_set(
        "4001-BLK-S", description="First, changed during the reading", at=start + timedelta(minutes=1)
    )
    flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger=SCHEDULE)

    names = {p["productNumber"]: p["name"] for p in centra.products()}
    assert names["4001"] == "First, changed during the reading"


def test_stock_changed_in_the_cursors_second_or_before_it_is_sent(shop_erp):
    for number in ("5001-BLK-S", "5002-BLK-S", "5003-BLK-S"):
        visma.inventory_item_put(number, f"Item {number}", price=100, available={"MAIN": 1})
    flow_run(integration=shop_erp, flow=Flow.PRODUCTS, trigger="manual")
    first = flow_run(integration=shop_erp, flow=Flow.STOCK, trigger=SCHEDULE)
    assert first.ok_count == 3
    cursor = first.cursor_to

    visma.inventory_item_set("5002-BLK-S", available=7, at=moment(cursor))
    visma.inventory_item_set("5003-BLK-S", available=9, at=moment(cursor, -50))
    flow_run(integration=shop_erp, flow=Flow.STOCK, trigger="resync", source_ids=["5001-BLK-S"])

    second = flow_run(integration=shop_erp, flow=Flow.STOCK, trigger=SCHEDULE)

    assert second.cursor_from == cursor
    assert sorted(RecordLog.objects.filter(run=second, status="ok").values_list("source_id", flat=True)) == [
        "5002-BLK-S",
        "5003-BLK-S",
    ]
    levels = centra.stock_levels(shop_erp.stock_shop_warehouse)
    sizes = {
        ref.source_id: (ref.data["variant_id"], ref.data["size_name"])
        for ref in ExternalRef.objects.filter(kind="size")
    }
    assert levels[sizes["5002-BLK-S"]] == 7 and levels[sizes["5003-BLK-S"]] == 9


def test_documents_released_in_the_cursors_second_or_before_it_are_shown(shop_erp, erp_seeded):
    erp = client_for(shop_erp.erp)
    customer = erp.customer_create(CustomerPayload(name="Anna Svensson", customer_class="DOMESTIC", currency="SEK"))
    line = DocumentLine("Merino T-shirt", quantity=1, unit_price=Decimal("400"), vat_category="SE25", account="3001")

    def invoice(order_number: int) -> str:
        centra.order_put(
            {"number": order_number, "status": "SHIPPED", "grandTotal": {"value": 500, "currency": {"code": "SEK"}}}
        )
        number = erp.invoice_create(
            InvoicePayload(customer_number=customer, lines=(line,), customer_ref_number=str(order_number))
        )
        erp.invoice_release(number)
        binding_save(
            integration=shop_erp, kind="invoice", source_id=str(order_number), target_id=number, data={"released": True}
        )
        return number

    invoice(8001)
    first = flow_run(integration=shop_erp, flow=Flow.DOCUMENTS, trigger=SCHEDULE)
    assert first.ok_count == 1
    cursor = first.cursor_to

    def restamp(number: str, at: datetime) -> None:
        data = visma._get(visma.INVOICE, number)
        data["lastModifiedDateTime"] = visma.stamp(at)
        visma._put(visma.INVOICE, number, data)

    restamp(invoice(8002), moment(cursor))
    restamp(invoice(8003), moment(cursor, -45))

    second = flow_run(integration=shop_erp, flow=Flow.DOCUMENTS, trigger=SCHEDULE)

    assert second.cursor_from == cursor
    shown = {str(n) for n in (8001, 8002, 8003) if centra.order_attributes(n)}
    assert shown == {"8001", "8002", "8003"}
    assert not RecordLog.objects.filter(
        run=second, source_id__endswith=":" + ExternalRef.objects.get(source_id="8001").target_id
    ).exists()


def test_a_dry_run_does_not_move_the_cursor_live_runs_read_from(flow_integration):
    for number in (8101, 8102, 8103):
        put_order(number, f"2026-03-02T{number - 8100:02d}:00:00+00:00")
    Integration.objects.filter(pk=flow_integration.pk).update(mode=Integration.Mode.DRY_RUN)
    flow_integration.refresh_from_db()
    dry = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)
    assert dry.dry_run and dry.cursor_to  # it read the listing, and wrote nothing
    Integration.objects.filter(pk=flow_integration.pk).update(mode=Integration.Mode.LIVE)
    flow_integration.refresh_from_db()

    live = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger=SyncRun.Trigger.SCHEDULE)

    assert live.cursor_from != dry.cursor_to
    assert invoiced_orders() == ["8101", "8102", "8103"]
