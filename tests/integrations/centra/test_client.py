"""CentraClient against the in-process Centra sandbox: every method, paging and filters."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.centra import sandbox
from integrations.centra.client import CentraClient
from integrations.clients import client_for
from integrations.http import ValidationFailed, record_calls
from integrations.models import Connection
from integrations.services import connection_test

from .conftest import order_node

pytestmark = pytest.mark.django_db


def test_client_for_a_centra_connection_is_a_centra_client(centra_connection):
    assert isinstance(client_for(centra_connection), CentraClient)


def test_ping_names_the_stores_and_the_request_quota(client):
    summary = client.ping()
    assert "Retail (DIRECT_TO_CONSUMER)" in summary
    assert "Wholesale (WHOLESALE)" in summary
    assert "/20 requests left per 10 s" in summary


def test_connection_test_marks_the_connection_connected(centra_connection):
    Connection.objects.filter(pk=centra_connection.pk).update(status="error")
    result = connection_test(connection=centra_connection)
    assert result.ok, result.message
    centra_connection.refresh_from_db()
    assert centra_connection.status == "connected"


def test_connection_test_with_a_revoked_token_marks_it_expired(centra_connection):
    sandbox.api_token_revoke(centra_connection.secret("api_token"))
    result = connection_test(connection=centra_connection)
    assert not result.ok
    assert "not valid" in result.message
    centra_connection.refresh_from_db()
    assert centra_connection.status == "expired"


def test_orders_changed_pages_to_exhaustion_in_update_order(centra_connection, clock):
    for number in range(1, 12):
        # updatedAt descending with the number, so the sort (not insertion order) decides
        sandbox.order_put(order_node(number, updatedAt=f"2026-03-{20 - number:02d}T10:00:00+00:00"))
    client = CentraClient(centra_connection, clock=clock, page_size=4)
    with record_calls() as calls:
        nodes = list(client.orders_changed(statuses=["SHIPPED"], created_from=None))
    assert [n["number"] for n in nodes] == list(range(11, 0, -1))
    assert len(calls) == 3  # 4 + 4 + 3: the short page ends it
    assert [c["request_body"]["variables"]["page"] for c in calls] == [1, 2, 3]


def test_orders_changed_pages_until_an_empty_page_when_the_last_is_full(centra_connection, clock):
    for number in range(1, 9):
        sandbox.order_put(order_node(number))
    client = CentraClient(centra_connection, clock=clock, page_size=4)
    with record_calls() as calls:
        nodes = list(client.orders_changed(statuses=["SHIPPED"]))
    assert len(nodes) == 8
    assert len(calls) == 3


def test_orders_changed_filters_status_created_and_updated(client):
    sandbox.order_put(order_node(1, status="SHIPPED"))
    sandbox.order_put(order_node(2, status="PENDING"))
    sandbox.order_put(
        order_node(3, status="CONFIRMED", createdAt="2026-01-15T10:00:00+00:00", updatedAt="2026-01-16T10:00:00+00:00")
    )
    sandbox.order_put(order_node(4, status="PROCESSING", updatedAt="2026-03-05T09:00:00+00:00"))
    sandbox.order_put(order_node(5, status="SHIPPED", isOnHold=True))

    def numbers(**kwargs):
        return [n["number"] for n in client.orders_changed(**kwargs)]

    assert numbers(statuses=["SHIPPED", "CONFIRMED", "PROCESSING"]) == [3, 1, 4]
    assert numbers(statuses=["SHIPPED", "CONFIRMED", "PROCESSING"], created_from=date(2026, 2, 1)) == [1, 4]
    # updatedAt strictly after the cursor: order 1 was updated exactly at it
    assert numbers(statuses=["SHIPPED", "PROCESSING"], updated_after="2026-03-02T10:00:00+00:00") == [4]
    assert numbers(statuses=["PENDING"]) == [2]


def test_order_get_returns_the_contract_fields_with_decimal_money(client):
    sandbox.order_put(order_node(42))
    node = client.order_get("42")
    assert node["__typename"] == "DirectToConsumerOrder"
    assert node["grandTotal"] == {
        "value": Decimal("259.00"),
        "currency": {"code": "SEK"},
        "conversionRate": Decimal("1"),
    }
    assert node["totals"]["taxIncluded"]["value"] == Decimal("51.80")
    assert node["customer"]["email"] == "anna@example.se"
    assert node["paymentMethod"]["uri"] == "klarna-checkout"
    assert node["shippingPriceGroup"]["shippingOption"]["uri"] == "standard"
    line = node["lines"][0]
    assert line["productSize"] == {"id": "92003", "SKU": "1001-BLK-M", "sizeNumber": "M", "description": "M"}
    assert line["unitPrice"]["value"] * line["quantity"] == line["lineValue"]["value"]
    assert client.order_get("43") is None


def test_wholesale_order_has_buyer_account_and_no_customer(client):
    sandbox.order_put(
        order_node(
            50,
            store={"type": "WHOLESALE"},
            buyer={"id": "601", "email": "buyer@firm.example", "firstName": "Katrin", "lastName": "Vogel"},
            account={"id": "501", "name": "Nordlicht Mode GmbH"},
            purchaseOrderNumber="PO-1",
        )
    )
    node = client.order_get(50)
    assert node["__typename"] == "WholesaleOrder"
    assert node["buyer"]["email"] == "buyer@firm.example"
    assert node["account"]["name"] == "Nordlicht Mode GmbH"
    assert "customer" not in node


def test_order_attributes_set_and_get(client):
    sandbox.order_put(order_node(7))
    client.order_attributes_set(7, {"erp_invoice_number": "100004", "erp_invoice_date": "2026-03-03"})
    client.order_attributes_set(7, {"erp_invoice_number": "100005"})
    assert client.order_attributes_get(7) == {"erp_invoice_number": "100005", "erp_invoice_date": "2026-03-03"}
    assert sandbox.order_attributes(7) == {"erp_invoice_number": "100005", "erp_invoice_date": "2026-03-03"}


def test_order_attributes_set_on_an_unknown_order_is_a_validation_error(client):
    with pytest.raises(ValidationFailed, match="input.objectId: Could not find Order with ID 999"):
        client.order_attributes_set(999, {"erp_invoice_number": "1"})


def test_customers_changed_and_customer_get(client):
    for index, updated in enumerate(("2026-03-01T08:00:00+00:00", "2026-03-03T08:00:00+00:00"), start=1):
        sandbox.customer_put(
            {
                "id": str(index),
                "email": f"c{index}@example.com",
                "firstName": "C",
                "lastName": str(index),
                "updatedAt": updated,
                "billingAddress": {"country": {"code": "DE"}, "companyName": "Firm" if index == 2 else ""},
            }
        )
    assert [c["id"] for c in client.customers_changed()] == ["1", "2"]
    assert [c["id"] for c in client.customers_changed(updated_after="2026-03-02T00:00:00+00:00")] == ["2"]
    customer = client.customer_get("2")
    assert customer["billingAddress"]["companyName"] == "Firm"
    assert customer["billingAddress"]["country"] == {"code": "DE"}
    assert client.customer_get("9") is None


def test_returns_changed_and_return_get(client):
    sandbox.order_put(order_node(10))
    sandbox.return_put(
        {
            "id": "3",
            "createdAt": "2026-03-04T10:00:00+00:00",
            "status": "COMPLETED",
            "refunded": True,
            "order": {"number": 10},
            "lines": [
                {
                    "quantity": 1,
                    "orderLine": {"id": "1001"},
                    "productSize": {"SKU": "1001-BLK-M"},
                    "unitPrice": {"value": "100.00"},
                    "lineValue": {"value": "100.00"},
                    "taxPercent": "25",
                }
            ],
            "shippingCost": {"value": "59.00"},
        }
    )
    nodes = list(client.returns_changed())
    assert [n["id"] for n in nodes] == ["3"]
    node = client.return_get("3")
    assert node["grandTotal"]["value"] == Decimal("159.00")
    assert node["currency"]["code"] == "SEK"
    assert node["order"]["number"] == 10
    assert list(client.returns_changed(updated_after="2026-03-04T10:00:00+00:00")) == []
    assert client.return_get("4") is None


def test_warehouse_list(client):
    assert client.warehouse_list() == [{"id": "1", "name": "Main"}]


def test_product_variant_sizes_price_and_stock(client):
    product = client.product_create(product_number="1001", name="Merino T-shirt", description="Soft")
    assert product["productNumber"] == "1001" and product["status"] == "ACTIVE" and product["variants"] == []
    variant = client.variant_create(
        product_id=product["id"],
        variant_number="BLK",
        name="Black",
        sizes=[{"name": "S", "size_number": "S", "ean": "7350000000017"}, {"name": "M", "size_number": "M"}],
    )
    assert [(s["size"]["name"], s["SKU"]) for s in variant["productSizes"]] == [("S", "1001BLKS"), ("M", "1001BLKM")]
    size = client.size_create(variant_id=variant["id"], name="L", size_number="L", ean="7350000000024")
    assert size["SKU"] == "1001BLKL" and size["EAN"] == "7350000000024"
    assert client.size_update(size["id"], fields={"ean": "7350000000031"})["EAN"] == "7350000000031"
    assert client.product_update(product["id"], fields={"name": "Merino tee", "status": "INACTIVE"})["name"] == (
        "Merino tee"
    )
    assert client.variant_update(variant["id"], fields={"description": "Deep black"})["description"] == "Deep black"

    client.price_set(variant_id=variant["id"], amount=Decimal("249.50"), currency="SEK")
    client.price_set(variant_id=variant["id"], amount=Decimal("24.95"), currency="EUR")
    changes = client.stock_set(warehouse_id="1", levels=[(variant["id"], "S", 3), (variant["id"], "M", 0)])
    assert len(changes) == 1

    found = client.product_find("1001")
    assert found["name"] == "Merino tee" and found["status"] == "INACTIVE"
    assert [s["size"]["name"] for s in found["variants"][0]["productSizes"]] == ["S", "M", "L"]
    assert client.product_find("9999") is None
    stored = sandbox.product_get_by_number("1001")
    prices = {p["price"]["currency"]["code"]: p["price"]["value"] for p in stored["variants"][0]["prices"]}
    assert prices == {"SEK": "249.50", "EUR": "24.95"}
    assert sandbox.stock_levels() == {(variant["id"], "S"): 3, (variant["id"], "M"): 0}


def test_products_list_pages_through_every_product(centra_connection, clock):
    client = CentraClient(centra_connection, clock=clock, page_size=2)
    for number in range(1, 6):
        client.product_create(product_number=f"P{number}", name=f"Product {number}")
    with record_calls() as calls:
        listed = [p["productNumber"] for p in client.products_list()]
    assert listed == ["P1", "P2", "P3", "P4", "P5"]
    assert len(calls) == 3


def test_stock_set_sends_one_call_per_hundred_variants(client):
    product = client.product_create(product_number="2000", name="Socks")
    variant = client.variant_create(product_id=product["id"], variant_number="A", name="A", sizes=[{"name": "OS"}])
    with record_calls() as calls:
        client.stock_set(warehouse_id="1", levels=[(variant["id"], "OS", 7)])
    assert len(calls) == 1
    levels = [(str(100 + i), "OS", i) for i in range(250)]
    with record_calls() as calls, pytest.raises(ValidationFailed, match="Could not find ProductVariant with ID 100"):
        client.stock_set(warehouse_id="1", levels=levels)
    sent = calls[0]["request_body"]["variables"]["input"]["productVariants"]
    assert len(sent) == 100  # the first chunk (refused: those variants do not exist)
    assert sandbox.stock_levels() == {(variant["id"], "OS"): 7}


def test_price_set_in_a_currency_without_pricelist_says_what_to_fix(client):
    with pytest.raises(ValidationFailed, match="no pricelist in USD"):
        client.price_set(variant_id="1", amount=Decimal("10"), currency="USD")


def test_an_orders_money_carries_the_shops_conversion_rate(client):
    eur = order_node(43, grandTotal={"value": "24.90", "currency": {"code": "EUR"}})
    sandbox.order_put(eur)
    node = client.order_get("43")
    assert node["grandTotal"]["conversionRate"] == Decimal(sandbox.CONVERSION_RATES["EUR"]) == Decimal("11.4823")
    stated = order_node(44, grandTotal={"value": "24.90", "currency": {"code": "EUR"}, "conversionRate": 11.61})
    sandbox.order_put(stated)
    assert client.order_get("44")["grandTotal"]["conversionRate"] == Decimal("11.61")  # the order's own rate
    assert sandbox.order_get(44)["lines"][0]["unitPrice"]["conversionRate"] == 11.61  # on all its amounts
