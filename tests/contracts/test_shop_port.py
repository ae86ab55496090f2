"""ShopPort behaviour, the same for every shop: run against each shop adapter through its sandbox (`shop_port`).

Orders, refunds and customers come out as neutral records, in the order the shop stamps them,
from `updated_from` on (inclusive), across pages; a record the adapter cannot read comes out as
`Unreadable` with its id and stamp, and the listing goes on. What each sandbox needs to hold a
record is its writer's business (SHOP_SANDBOXES): the assertions are the port's.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sync import ports
from sync.ports import ShopPort
from sync.shop import ShopCustomer, ShopOrder, ShopProduct, ShopRefund, ShopSize, Unreadable
from tests.contracts.eaccounting_shop import EAccountingSandboxShop
from tests.integrations.centra.conftest import order_node

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


class CentraSandboxShop:
    """Puts records into the in-process Centra sandbox."""

    shipped = "SHIPPED"  # a status the orders flow invoices
    other_status = "PENDING"

    def __init__(self):
        from integrations.centra import sandbox

        self.sandbox = sandbox

    def order(self, number: int, *, updated: datetime, status: str = "", created: date | None = None, **changes):
        node = order_node(
            number,
            status=status or self.shipped,
            createdAt=(created or date(2026, 3, 1)).isoformat() + "T10:00:00+00:00",
            updatedAt=updated.isoformat(),
            **changes,
        )
        self.sandbox.order_put(node)

    def orders(self, numbers: range, *, first: datetime):
        nodes = [
            order_node(n, status=self.shipped, updatedAt=(first + timedelta(seconds=i)).isoformat())
            for i, n in enumerate(numbers)
        ]
        self.sandbox.orders_bulk_put(nodes)

    def unreadable_order(self, number: int, *, updated: datetime, monkeypatch):
        """Centra's schema lets no such order through its sandbox: the answer is spoilt on its way in."""
        from integrations.centra.client import CentraClient

        self.order(number, updated=updated)

        def spoilt(node):
            if node is not None and str(node.get("number")) == str(number):
                node = {**node, "lines": [{**node["lines"][0], "quantity": "abc"}]}
            return node

        listing, one = CentraClient.orders_changed, CentraClient.order_get
        monkeypatch.setattr(CentraClient, "orders_changed", lambda *a, **k: (spoilt(n) for n in listing(*a, **k)))
        monkeypatch.setattr(CentraClient, "order_get", lambda *a, **k: spoilt(one(*a, **k)))

    def refund(self, refund_id: str, *, order_number: int, updated: datetime, refunded: bool):
        self.sandbox.return_put(
            {
                "id": refund_id,
                "createdAt": updated.isoformat(),
                "updatedAt": updated.isoformat(),
                "status": "COMPLETED" if refunded else "PENDING",
                "refunded": refunded,
                "order": {"number": order_number},
                "lines": [
                    {
                        "quantity": 1,
                        "orderLine": {"id": f"{order_number}01"},
                        "productSize": {"SKU": "1001-BLK-M"},
                        "unitPrice": {"value": "100.00"},
                        "lineValue": {"value": "100.00"},
                        "taxPercent": "25",
                    }
                ],
                "shippingCost": {"value": "0"},
            }
        )

    def customer(self, customer_id: str, *, email: str, updated: datetime, company: str = ""):
        self.sandbox.customer_put(
            {
                "id": customer_id,
                "email": email,
                "firstName": "Port",
                "lastName": "Test",
                "updatedAt": updated.isoformat(),
                "billingAddress": {"country": {"code": "SE"}, "companyName": company, "address1": "Storgatan 1"},
            }
        )


SHOP_SANDBOXES = {"centra": CentraSandboxShop, "eaccounting": EAccountingSandboxShop}


@pytest.fixture
def shop(shop_port):
    assert shop_port.system in SHOP_SANDBOXES, f"add a writer for the {shop_port.system} sandbox to SHOP_SANDBOXES"
    return SHOP_SANDBOXES[shop_port.system]()


def numbers_of(records) -> list[str]:
    return [r.number if isinstance(r, ShopOrder) else r.source_id for r in records]


def test_the_adapter_implements_the_port_and_names_itself(shop_port):
    assert isinstance(shop_port, ShopPort)
    assert shop_port.display_name and shop_port.system
    assert isinstance(shop_port.capabilities, frozenset)


# --------------------------------------------------------------------------- orders
def test_orders_changed_lists_in_stamp_order_from_updated_from_on(shop_port, shop):
    shop.order(3001, updated=at(30))
    shop.order(3002, updated=at(10))
    shop.order(3003, updated=at(20))
    shop.order(3004, updated=at(5))  # before the cursor

    orders = list(shop_port.orders_changed(statuses=[shop.shipped], created_from=None, updated_from=at(10)))

    assert numbers_of(orders) == ["3002", "3003", "3001"]  # at(10) itself is included
    assert all(isinstance(o, ShopOrder) for o in orders)
    stamps = [datetime.fromisoformat(o.updated_at.replace("Z", "+00:00")) for o in orders]
    assert stamps == sorted(stamps) and stamps[0] == at(10)


def test_orders_changed_keeps_to_the_statuses_and_the_creation_date(shop_port, shop):
    shop.order(3101, updated=at(1))
    shop.order(3102, updated=at(2), status=shop.other_status)
    shop.order(3103, updated=at(3), created=date(2026, 1, 15))

    listed = shop_port.orders_changed(statuses=[shop.shipped], created_from=date(2026, 2, 1), updated_from=None)

    assert numbers_of(listed) == ["3101"]


def test_orders_changed_reads_every_page(shop_port, shop):
    shop.orders(range(5000, 5250), first=at(0))

    orders = list(shop_port.orders_changed(statuses=[shop.shipped], created_from=None, updated_from=None))

    assert numbers_of(orders) == [str(n) for n in range(5000, 5250)]


def test_an_unreadable_order_is_yielded_as_such_and_the_listing_goes_on(shop_port, shop, monkeypatch):
    shop.order(3201, updated=at(1))
    shop.unreadable_order(3202, updated=at(2), monkeypatch=monkeypatch)
    shop.order(3203, updated=at(3))

    listed = list(shop_port.orders_changed(statuses=[shop.shipped], created_from=None, updated_from=None))

    assert numbers_of(listed) == ["3201", "3202", "3203"]
    unreadable = listed[1]
    assert isinstance(unreadable, Unreadable) and unreadable.what == "order"
    assert "3202" in unreadable.message and "quantity" in unreadable.message
    assert datetime.fromisoformat(unreadable.cursor.replace("Z", "+00:00")) == at(2)  # it still counts for the cursor
    assert isinstance(shop_port.order_get("3202"), Unreadable)


def test_order_get_reads_one_order_with_its_lines_and_money(shop_port, shop):
    shop.order(3301, updated=at(1))

    order = shop_port.order_get("3301")

    assert isinstance(order, ShopOrder) and order.number == "3301"
    assert order.currency == "SEK" and order.prices_include_vat
    assert order.grand_total == Decimal("259.00") and order.shipping_amount == Decimal("59.00")
    [line] = order.lines
    assert (line.sku, line.quantity, line.line_total, line.tax_percent) == (
        "1001-BLK-M",
        Decimal("2"),
        Decimal("200.00"),
        Decimal("25"),
    )
    assert order.customer_email == "anna@example.se" and order.billing.country == "SE"
    assert shop_port.order_get("3399") is None


# --------------------------------------------------------------------------- refunds
def test_refunds_changed_and_refund_get(shop_port, shop):
    shop.order(3401, updated=at(0))
    shop.refund("71", order_number=3401, updated=at(5), refunded=False)
    shop.refund("72", order_number=3401, updated=at(15), refunded=True)

    listed = list(shop_port.refunds_changed(updated_from=at(10)))

    assert [r.id for r in listed] == ["72"]
    refund = shop_port.refund_get("72")
    assert isinstance(refund, ShopRefund) and refund.refunded and refund.order_number == "3401"
    assert refund.total == Decimal("100.00") and refund.currency == "SEK"
    assert not shop_port.refund_get("71").refunded
    assert [r.id for r in shop_port.refunds_changed(updated_from=None)] == ["71", "72"]
    assert shop_port.refund_get("79") is None


# --------------------------------------------------------------------------- customers
def test_customers_changed_and_customer_get(shop_port, shop):
    shop.customer("81", email="one@example.se", updated=at(1))
    shop.customer("82", email="two@example.se", updated=at(20), company="Firm AB")

    listed = list(shop_port.customers_changed(updated_from=at(10)))

    assert [c.id for c in listed] == ["82"]
    customer = shop_port.customer_get("82")
    assert isinstance(customer, ShopCustomer) and customer.email == "two@example.se"
    assert customer.is_company and customer.address.company == "Firm AB" and customer.address.country == "SE"
    assert [c.id for c in shop_port.customers_changed(updated_from=None)] == ["81", "82"]
    assert shop_port.customer_get("89") is None


# --------------------------------------------------------------------------- catalogue, stock and order attributes
# ShopPort contract: product writes, stock levels and order attributes.
#
# Runs against every shop adapter through its sandbox (the `shop_port` fixture). What the shop must
# hold first (an order) and what the port has no read for (stock levels) go through the system's
# entries in ORDER_PUT and STOCK_READ; everything else goes through the port.


def _centra_order_put(number: int) -> None:
    from integrations.centra import sandbox

    sandbox.order_put(
        {"number": number, "status": "SHIPPED", "grandTotal": {"value": 500, "currency": {"code": "SEK"}}}
    )


def _centra_stock_read(warehouse_id: str) -> dict[tuple[str, str], int]:
    from integrations.centra import sandbox

    return sandbox.stock_levels(warehouse_id)


# system → puts an order with this number in the shop
ORDER_PUT = {"centra": _centra_order_put}
# system → {(variant id, size name): quantity} in a shop warehouse
STOCK_READ = {"centra": _centra_stock_read}


def _needs(shop, capability: str) -> None:
    if capability not in shop.capabilities:
        pytest.skip(f"{shop.display_name} has no {capability}")


@pytest.fixture
def product(shop_port) -> ShopProduct:
    """A new product with one variant of two sizes, made through the port."""
    _needs(shop_port, ports.CATALOGUE_WRITE)
    created = shop_port.product_create(product_number="PC-1", name="Contract tee", description="Cotton.", active=True)
    variant = shop_port.variant_create(
        product_id=created.id,
        variant_number="BLK",
        name="Black",
        sizes=[
            ShopSize(id="", name="S", number="S", ean="7350000000017"),
            ShopSize(id="", name="M", number="M"),
        ],
    )
    assert created.number == "PC-1" and created.id
    assert [(s.name, s.number) for s in variant.sizes] == [("S", "S"), ("M", "M")] and all(s.id for s in variant.sizes)
    return shop_port.product_find("PC-1")


# --------------------------------------------------------------------------- products
def test_a_created_product_is_found_with_its_variants_and_sizes(shop_port, product):
    assert shop_port.product_find("NO-SUCH-PRODUCT") is None
    assert (product.number, product.name, product.description) == ("PC-1", "Contract tee", "Cotton.")
    (variant,) = product.variants
    assert (variant.number, variant.name) == ("BLK", "Black")
    sizes = {size.name: size for size in variant.sizes}
    assert sizes["S"].ean == "7350000000017" and sizes["S"].sku and sizes["M"].ean == ""
    assert "PC-1" in {p.number for p in shop_port.products_list()}


def test_updates_and_a_new_size_are_read_back(shop_port, product):
    (variant,) = product.variants
    shop_port.product_update(product.id, fields={"name": "Contract tee II", "description": "Organic cotton."})
    shop_port.variant_update(variant.id, fields={"name": "Jet black"})
    size = shop_port.size_create(variant_id=variant.id, name="L", size_number="L", ean="")
    shop_port.size_update(size.id, ean="7350000000024")
    shop_port.price_set(variant_id=variant.id, amount=Decimal("299.00"), currency="SEK")

    again = shop_port.product_find("PC-1")
    assert (again.name, again.description) == ("Contract tee II", "Organic cotton.")
    (variant,) = again.variants
    assert variant.name == "Jet black"
    assert {s.name: s.ean for s in variant.sizes}["L"] == "7350000000024"


# --------------------------------------------------------------------------- stock
def test_stock_levels_are_set_absolutely_and_safe_to_repeat(shop_port, product):
    _needs(shop_port, ports.STOCK_WRITE)
    warehouses = shop_port.warehouses()
    assert warehouses and all(warehouse_id for warehouse_id, _ in warehouses)
    warehouse_id = warehouses[0][0]
    (variant,) = product.variants
    levels = [(variant.id, "S", 7), (variant.id, "M", 0)]

    shop_port.stock_set(warehouse_id=warehouse_id, levels=levels, description="contract")
    shop_port.stock_set(warehouse_id=warehouse_id, levels=levels, description="contract")  # the same again

    stock = STOCK_READ[shop_port.system](warehouse_id)
    assert (stock[(variant.id, "S")], stock[(variant.id, "M")]) == (7, 0)


# --------------------------------------------------------------------------- order attributes
def test_order_attributes_are_set_and_read_back(shop_port):
    _needs(shop_port, ports.ORDER_ATTRIBUTES)
    ORDER_PUT[shop_port.system](9101)
    attributes = {"erp_invoice_number": "000123", "erp_invoice_status": "Open"}

    shop_port.order_attributes_set("9101", attributes)
    shop_port.order_attributes_set("9101", {"erp_invoice_status": "Closed"})

    assert shop_port.order_attributes_get("9101") == {"erp_invoice_number": "000123", "erp_invoice_status": "Closed"}


def test_the_shop_adapter_states_its_call_floor(shop_port):
    """bench/flows.py measures each flow against what the adapter says its API cannot go under (issue 18)."""
    from sync.ports import CallFloor

    floor = shop_port.call_floor
    assert isinstance(floor, CallFloor)
    assert floor.new_customer == 0 and floor.per_run  # a shop's orders come in listing pages
