"""ERP records as the flows see them (see sync/shop.py for the shop side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class ErpItem:
    number: str
    description: str = ""
    body: str = ""
    price: Decimal | None = None
    ean: str = ""
    status: str = "Active"
    updated_at: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    warehouses: dict[str, Decimal] = field(default_factory=dict)  # warehouse id → available quantity
