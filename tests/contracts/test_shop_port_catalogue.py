"""ShopPort contract: product writes, stock levels and order attributes.

Runs against every shop adapter through its sandbox (the `shop_port` fixture). What the shop must
hold first (an order) and what the port has no read for (stock levels) go through the system's
entries in ORDER_PUT and STOCK_READ; everything else goes through the port.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync import ports
from sync.shop import ShopProduct, ShopSize


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
