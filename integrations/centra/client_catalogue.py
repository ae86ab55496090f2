"""Centra catalogue calls: warehouses, pricelists, products, variants, sizes, prices and stock."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from integrations.http import ValidationFailed

from . import queries as q
from .transport import SYSTEM

STOCK_CHUNK = 100  # product variants per setStock call
EDITABLE_FIELDS = frozenset({"name", "description", "status"})


def _amount(value: Decimal | int | str) -> float:
    """A money input for GraphQL's Float (exact for amounts with two decimals)."""
    return float(Decimal(str(value)))


class CentraCatalogueCalls:
    """The catalogue part of CentraClient (it runs on CentraTransport's execute, mutate and pages)."""

    def warehouse_list(self) -> list[dict]:
        return list(self.execute(q.WAREHOUSES).get("warehouses") or [])

    def pricelists(self) -> list[dict]:
        if self._pricelists is None:
            self._pricelists = list(self.execute(q.PRICELISTS).get("pricelists") or [])
        return self._pricelists

    def product_find(self, product_number: str) -> dict | None:
        nodes = self.execute(q.PRODUCT_FIND, {"productNumber": product_number}).get("products") or []
        return next((n for n in nodes if n.get("productNumber") == product_number), None)

    def products_list(self) -> Iterator[dict]:
        return self.pages(q.PRODUCTS_LIST, "products")

    def product_create(self, *, product_number: str, name: str, status: str = "ACTIVE", description: str = "") -> dict:
        result = self.mutate(
            q.PRODUCT_CREATE,
            {"input": {"productNumber": product_number, "name": name, "status": status, "description": description}},
            "createProduct",
            safe=False,
        )
        return result["product"]

    def product_update(self, product_id: str, *, fields: dict) -> dict:
        result = self.mutate(
            q.PRODUCT_UPDATE,
            {"id": str(product_id), "input": _editable(fields, "product")},
            "updateProduct",
            safe=True,
        )
        return result["product"]

    def variant_create(self, *, product_id: str, variant_number: str, name: str, sizes: list[dict]) -> dict:
        """A variant with its sizes, in one call. sizes: [{"name", "size_number", "ean"}]."""
        product_sizes = [
            {
                "size": {"name": size["name"]},
                "sizeNumber": size.get("size_number") or None,
                "EAN": size.get("ean") or None,
            }
            for size in sizes
        ]
        result = self.mutate(
            q.VARIANT_CREATE,
            {
                "input": {
                    "product": {"id": str(product_id)},
                    "variantNumber": variant_number,
                    "name": name,
                    "status": "ACTIVE",
                    "productSizes": product_sizes,
                }
            },
            "createProductVariant",
            safe=False,
        )
        return result["productVariant"]

    def variant_update(self, variant_id: str, *, fields: dict) -> dict:
        result = self.mutate(
            q.VARIANT_UPDATE,
            {"id": str(variant_id), "input": _editable(fields, "variant")},
            "updateProductVariant",
            safe=True,
        )
        return result["productVariant"]

    def size_create(self, *, variant_id: str, name: str, size_number: str, ean: str = "") -> dict:
        result = self.mutate(
            q.SIZE_CREATE,
            {
                "input": {
                    "productVariant": {"id": str(variant_id)},
                    "size": {"name": name},
                    "sizeNumber": size_number or None,
                    "EAN": ean or None,
                }
            },
            "createProductSize",
            safe=False,
        )
        return result["productSize"]

    def size_update(self, size_id: str, *, fields: dict) -> dict:
        """fields among ean (or EAN) and size_number (or sizeNumber)."""
        names = {"ean": "EAN", "EAN": "EAN", "size_number": "sizeNumber", "sizeNumber": "sizeNumber"}
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise ValueError(f"size_update cannot change {', '.join(unknown)}; only EAN and size number.")
        result = self.mutate(
            q.SIZE_UPDATE,
            {"id": str(size_id), "input": {names[k]: v for k, v in fields.items()}},
            "updateProductSize",
            safe=True,
        )
        return result["productSize"]

    def price_set(self, *, variant_id: str, amount: Decimal, currency: str) -> None:
        """Set the variant's price on the retail store's pricelist in that currency."""
        pricelist = self._pricelist_for(currency)
        self.mutate(
            q.PRICES_SET,
            {
                "input": {
                    "pricelist": {"id": str(pricelist["id"])},
                    "individualVariantPrices": [
                        {
                            "productVariant": {"id": str(variant_id)},
                            "price": {"value": _amount(amount), "currencyIsoCode": currency},
                        }
                    ],
                }
            },
            "setPrices",
            safe=True,  # an absolute price
        )

    def _pricelist_for(self, currency: str) -> dict:
        candidates = [p for p in self.pricelists() if (p.get("currency") or {}).get("code") == currency]
        retail = [p for p in candidates if (p.get("store") or {}).get("type") == "DIRECT_TO_CONSUMER"]
        chosen = sorted(retail or candidates, key=lambda p: (len(str(p["id"])), str(p["id"])))
        if not chosen:
            have = ", ".join(sorted({(p.get("currency") or {}).get("code", "?") for p in self.pricelists()})) or "none"
            raise ValidationFailed(
                f"Centra has no pricelist in {currency} (pricelists exist in: {have}): add one in Centra, "
                "or untick 'update product price' on the integration to stop sending prices.",
                system=SYSTEM,
            )
        return chosen[0]

    def stock_set(self, *, warehouse_id: str, levels: list[tuple[str, str, int]], description: str = "") -> list[str]:
        """Set absolute physical stock: levels = (variant id, size name, quantity). Returns stock change ids."""
        by_variant: dict[str, list[dict]] = {}
        for variant_id, size_name, quantity in levels:
            by_variant.setdefault(str(variant_id), []).append({"size": {"name": size_name}, "quantity": int(quantity)})
        variants = list(by_variant.items())
        change_ids: list[str] = []
        for start in range(0, len(variants), STOCK_CHUNK):
            chunk = variants[start : start + STOCK_CHUNK]
            result = self.mutate(
                q.STOCK_SET,
                {
                    "input": {
                        "warehouse": {"id": str(warehouse_id)},
                        "description": description or "Stock from the ERP",
                        "stockQuantityType": "PHYSICAL",
                        "productVariants": [
                            {"productVariant": {"id": variant_id}, "sizeStockLevels": sizes}
                            for variant_id, sizes in chunk
                        ],
                    }
                },
                "setStock",
                safe=True,  # absolute levels: repeating sets the same numbers
            )
            change_ids += [str(c["id"]) for c in result.get("stockChanges") or []]
        return change_ids


def _editable(fields: dict, what: str) -> dict:
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"{what} update cannot change {', '.join(unknown)}; only name, description and status.")
    return dict(fields)
