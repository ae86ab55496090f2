"""Centra nodes → ShopOrder / ShopRefund / ShopCustomer (pure)."""

from decimal import Decimal

from integrations.centra.adapter import customer_from_centra, order_from_centra, refund_from_centra
from tests.integrations.centra.conftest import order_node


def test_retail_order_prices_include_vat_and_money_is_decimal():
    order = order_from_centra(order_node(20001))
    assert order.number == "20001"
    assert order.status == "SHIPPED"
    assert order.currency == "SEK"
    assert order.prices_include_vat is True and order.is_wholesale is False
    assert order.grand_total == Decimal("259.00")
    assert order.shipping_amount == Decimal("59.00")
    assert order.shipping_tax_percent is None
    assert order.tax_total == Decimal("51.80")
    assert order.payment_method == "klarna-checkout"
    assert order.shipping_option == "standard"
    assert order.customer_email == "anna@example.se"
    assert order.customer_name == "Anna Berg"
    assert order.billing.country == "SE" and order.shipping.city == "Stockholm"
    (line,) = order.lines
    assert line.sku == "1001-BLK-M"
    assert line.name == "Merino T-shirt, Black"
    assert (line.quantity, line.unit_price, line.line_total, line.tax_percent) == (
        Decimal("2"),
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("25"),
    )
    assert (line.product_number, line.variant_number, line.size_number, line.size_id) == ("1001", "BLK", "M", "92003")
    assert all(isinstance(v, Decimal) for v in (line.unit_price, line.unit_original_price, line.discount_percent))


def test_money_parsed_from_json_floats_or_decimals_is_the_same():
    as_decimal = order_node(1)
    as_decimal["grandTotal"]["value"] = Decimal("259.00")
    as_float = order_node(1)
    as_float["grandTotal"]["value"] = 259.0
    assert order_from_centra(as_decimal).grand_total == order_from_centra(as_float).grand_total == Decimal("259")


def test_wholesale_order_excludes_vat_and_uses_buyer_and_account():
    node = order_node(
        20002,
        store={"id": "2", "type": "WHOLESALE"},
        buyer={"id": "601", "email": "Katrin.Vogel@firm.example", "firstName": "Katrin", "lastName": "Vogel"},
        account={"id": "501", "name": "Nordlicht Mode GmbH"},
        purchaseOrderNumber="PO-7",
        totals={
            "grandTotal": {"value": "312.50"},
            "shipping": {"value": "50.00"},
            "taxIncluded": {"value": "0.00"},
            "taxAdded": {"value": "62.50"},
        },
    )
    node.pop("customer")
    node["billingAddress"] = {
        **node["billingAddress"],
        "companyName": "Nordlicht Mode GmbH",
        "vatNumber": "DE811907980",
    }
    order = order_from_centra(node)
    assert order.is_wholesale is True and order.prices_include_vat is False
    assert order.tax_total == Decimal("62.50")
    assert order.customer_email == "Katrin.Vogel@firm.example"
    assert order.customer_name == "Nordlicht Mode GmbH"
    assert order.billing.vat_number == "DE811907980"
    assert order.extra["purchase_order_number"] == "PO-7"


def test_customer_email_falls_back_to_the_billing_address():
    node = order_node(3)
    node.pop("customer")
    node["billingAddress"]["email"] = "guest@example.se"
    assert order_from_centra(node).customer_email == "guest@example.se"


def test_refund_lines_and_shipping():
    refund = refund_from_centra(
        {
            "__typename": "DirectToConsumerReturn",
            "id": "5",
            "createdAt": "2026-03-04T10:00:00+00:00",
            "updatedAt": "2026-03-05T10:00:00+00:00",
            "status": "COMPLETED",
            "refunded": True,
            "order": {"number": 20001, "store": {"type": "DIRECT_TO_CONSUMER"}},
            "currency": {"code": "SEK"},
            "lines": [
                {
                    "id": "501",
                    "quantity": 1,
                    "taxPercent": Decimal("25.0"),
                    "orderLine": {"id": "2000101", "productName": "Merino T-shirt"},
                    "productSize": {"SKU": "1001-BLK-M"},
                    "unitPrice": {"value": Decimal("100.00")},
                    "lineValue": {"value": Decimal("100.00")},
                }
            ],
            "shippingCost": {"value": Decimal("59.00")},
            "grandTotal": {"value": Decimal("159.00")},
        }
    )
    assert refund.id == "5" and refund.order_number == "20001" and refund.currency == "SEK"
    assert refund.prices_include_vat is True
    assert refund.shipping_amount == Decimal("59.00") and refund.total == Decimal("159.00")
    (line,) = refund.lines
    assert (line.line_id, line.sku, line.name, line.quantity, line.line_total, line.tax_percent) == (
        "2000101",
        "1001-BLK-M",
        "Merino T-shirt",
        Decimal("1"),
        Decimal("100.00"),
        Decimal("25.0"),
    )


def test_wholesale_refund_excludes_vat_by_typename_when_the_store_is_not_selected():
    refund = refund_from_centra({"__typename": "WholesaleReturn", "id": "6", "order": {"number": 1}, "lines": []})
    assert refund.prices_include_vat is False
    assert refund.total == Decimal("0")


def test_customer_company_and_person():
    company = customer_from_centra(
        {
            "id": "9",
            "email": "inkop@firm.example",
            "firstName": "Karin",
            "lastName": "Öberg",
            "updatedAt": "2026-03-01T10:00:00+00:00",
            "billingAddress": {"companyName": "Firm AB", "vatNumber": "SE556677889901", "country": {"code": "se"}},
        }
    )
    assert company.is_company and company.name == "Firm AB" and company.address.country == "SE"
    person = customer_from_centra({"id": "10", "email": "p@example.de", "firstName": "Lena", "lastName": "Weber"})
    assert not person.is_company and person.name == "Lena Weber" and person.updated_at == ""


def test_the_orders_currency_rate_is_grand_total_conversion_rate():
    node = order_node(3)
    node["grandTotal"] = {"value": 24.9, "currency": {"code": "EUR"}, "conversionRate": 11.4823}
    assert order_from_centra(node).currency_rate == Decimal("11.4823")  # SEK per 1 EUR, as the shop wrote it
    assert order_from_centra(order_node(4)).currency_rate is None  # not asked for, or not sent: no rate
    node["grandTotal"]["conversionRate"] = None
    assert order_from_centra(node).currency_rate is None


def test_a_conversion_rate_that_is_not_a_rate_makes_the_order_unreadable():
    import pytest

    from sync.flows.base import RecordFailed

    for wrong, shown in (("abc", "'abc', not a number"), (0, "0, not a currency rate"), (-11.5, "-11.5, not a")):
        node = order_node(5)
        node["grandTotal"]["conversionRate"] = wrong
        with pytest.raises(RecordFailed) as failed:
            order_from_centra(node)
        assert f"Order 5 cannot be read: grandTotal.conversionRate is {shown}" in str(failed.value)
