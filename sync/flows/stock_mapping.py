"""Stock ERP → shop, the pure part: which warehouses count and how many whole units an item has for the shop."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from sync.bindings import checksum_of
from sync.erp import ErpItem
from sync.models import Integration


def erp_warehouses(integration: Integration) -> list[str]:
    return [w.strip() for w in integration.stock_erp_warehouses.split(",") if w.strip()]


def stock_quantity(item: ErpItem, *, warehouses: list[str], mode: str) -> int:
    """Whole units available for the shop: the listed warehouses summed (all when none are listed),
    or only the first listed one in single mode; negative availability counts as 0."""
    if mode == Integration.StockMode.SINGLE:
        chosen = warehouses[:1]
    else:
        chosen = warehouses or list(item.warehouses)
    total = sum((item.warehouses.get(w, Decimal(0)) for w in chosen), Decimal(0))
    return max(0, int(total.to_integral_value(rounding=ROUND_FLOOR)))


def stock_checksum(*, shop_warehouse: str, size_id: str, quantity: int) -> str:
    return checksum_of({"warehouse": shop_warehouse, "size": size_id, "quantity": quantity})
