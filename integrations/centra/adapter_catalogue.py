"""CentraShop's catalogue, stock and order-attribute part (mixed into integrations/centra/adapter.py).

Centra products → ShopProduct / ShopVariant / ShopSize; neutral writes → the client's mutations
(products ACTIVE or INACTIVE, prices on the retail pricelist of the currency, absolute PHYSICAL stock,
order attributes as dynamic attributes).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sync.shop import ShopProduct, ShopSize, ShopVariant


def shop_size_from_centra(node: dict) -> ShopSize:
    return ShopSize(
        id=str(node["id"]),
        name=str((node.get("size") or {}).get("name") or ""),
        number=str(node.get("sizeNumber") or ""),
        sku=str(node.get("SKU") or ""),
        ean=str(node.get("EAN") or ""),
    )


def shop_variant_from_centra(node: dict) -> ShopVariant:
    return ShopVariant(
        id=str(node["id"]),
        number=str(node.get("variantNumber") or ""),
        name=str(node.get("name") or ""),
        sizes=[shop_size_from_centra(size) for size in node.get("productSizes") or []],
    )


def shop_product_from_centra(node: dict) -> ShopProduct:
    return ShopProduct(
        id=str(node["id"]),
        number=str(node.get("productNumber") or ""),
        name=str(node.get("name") or ""),
        description=str(node.get("description") or ""),
        variants=[shop_variant_from_centra(variant) for variant in node.get("variants") or []],
    )


class CentraCatalogue:
    client = None  # the CentraClient, set by CentraShop

    # -- products, variants, sizes, prices ------------------------------------------------
    def product_find(self, product_number: str) -> ShopProduct | None:
        node = self.client.product_find(product_number)
        return None if node is None else shop_product_from_centra(node)

    def products_list(self) -> Iterator[ShopProduct]:
        return (shop_product_from_centra(node) for node in self.client.products_list())

    def product_create(self, *, product_number: str, name: str, description: str, active: bool) -> ShopProduct:
        node = self.client.product_create(
            product_number=product_number,
            name=name,
            status="ACTIVE" if active else "INACTIVE",
            description=description,
        )
        return shop_product_from_centra(node)

    def product_update(self, product_id: str, *, fields: dict[str, str]) -> None:
        self.client.product_update(str(product_id), fields=fields)

    def variant_create(self, *, product_id: str, variant_number: str, name: str, sizes: list[ShopSize]) -> ShopVariant:
        node = self.client.variant_create(
            product_id=str(product_id),
            variant_number=variant_number,
            name=name,
            sizes=[{"name": s.name, "size_number": s.number, "ean": s.ean} for s in sizes],
        )
        return shop_variant_from_centra(node)

    def variant_update(self, variant_id: str, *, fields: dict[str, str]) -> None:
        self.client.variant_update(str(variant_id), fields=fields)

    def size_create(self, *, variant_id: str, name: str, size_number: str, ean: str) -> ShopSize:
        node = self.client.size_create(variant_id=str(variant_id), name=name, size_number=size_number, ean=ean)
        return shop_size_from_centra(node)

    def size_update(self, size_id: str, *, ean: str) -> None:
        self.client.size_update(str(size_id), fields={"EAN": ean})

    def price_set(self, *, variant_id: str, amount: Decimal, currency: str) -> None:
        self.client.price_set(variant_id=str(variant_id), amount=amount, currency=currency)

    # -- stock ------------------------------------------------------------------------------
    def stock_set(self, *, warehouse_id: str, levels: list[tuple[str, str, int]], description: str = "") -> list[str]:
        return self.client.stock_set(warehouse_id=warehouse_id, levels=levels, description=description)

    def warehouses(self) -> list[tuple[str, str]]:
        return [(str(w.get("id")), str(w.get("name") or "")) for w in self.client.warehouse_list()]

    # -- order attributes ---------------------------------------------------------------------
    def order_attributes_set(self, order_number: str, attributes: dict[str, str]) -> None:
        self.client.order_attributes_set(order_number, attributes)

    def order_attributes_get(self, order_number: str) -> dict[str, str]:
        return self.client.order_attributes_get(order_number)
