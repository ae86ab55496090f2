"""ERP items → shop products, variants and sizes (pure).

The integration's SKU rule says where the product number, variant number and
size come from: the item number, the description, an attribute, or a segment
of the item number split by the separator. The separator also joins the parts
into the SKU key Koppla matches items on (e.g. 1001-BLK-M); the shop's own SKU
is its product, variant and size numbers as the shop builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sync.erp import ErpItem

from .base import RecordFailed

UPDATABLE_FIELDS = ("name", "description", "price", "ean")


@dataclass(frozen=True)
class SkuRuleSpec:
    product: str
    variant: str = ""
    size: str = ""
    separator: str = ""


@dataclass(frozen=True)
class SkuParts:
    product: str
    variant: str
    size: str
    key: str  # the parts joined with the separator


def _source_value(item: ErpItem, source: str, separator: str) -> tuple[str, str]:
    """(value, how the source is described to a user)."""
    if source == "inventoryNumber":
        return item.number, "the item number"
    if source == "description":
        return item.description, "the description"
    if source.startswith("attribute:"):
        attribute = source.split(":", 1)[1]
        return item.attributes.get(attribute, ""), f"attribute {attribute}"
    if source.startswith("segment:"):
        index = int(source.split(":", 1)[1])
        parts = item.number.split(separator) if separator else [item.number]
        return (
            parts[index - 1] if len(parts) >= index else ""
        ), f"part {index} of the item number split by '{separator}'"
    raise RecordFailed(f"Unknown SKU rule source '{source}'.")


def sku_parts(item: ErpItem, rule: SkuRuleSpec) -> SkuParts:
    """The shop numbers of an item, or RecordFailed naming the item and the missing field."""
    values = {}
    for role, source in (("product number", rule.product), ("variant", rule.variant), ("size", rule.size)):
        if not source:
            values[role] = ""
            continue
        value, described = _source_value(item, source, rule.separator)
        value = (value or "").strip()
        if not value:
            raise RecordFailed(
                f"Item {item.number}: the SKU rule takes the {role} from {described}, which is empty for this item. "
                "Fill it in the ERP or change the rule in Mappings › SKU rules."
            )
        values[role] = value
    parts = [values["product number"], values["variant"], values["size"]]
    return SkuParts(*parts, key=rule.separator.join(p for p in parts if p))


@dataclass
class SizeSpec:
    item_number: str
    size: str
    ean: str


@dataclass
class VariantSpec:
    variant: str
    name: str
    sizes: list[SizeSpec] = field(default_factory=list)


@dataclass
class ProductSpec:
    product_number: str
    name: str
    description: str
    price: Decimal | None
    variants: dict[str, VariantSpec] = field(default_factory=dict)


def products_group(items: list[ErpItem], rule: SkuRuleSpec) -> tuple[dict[str, ProductSpec], dict[str, str]]:
    """Group items into products → variants → sizes. Returns (products, failures by item number)."""
    products: dict[str, ProductSpec] = {}
    failures: dict[str, str] = {}
    keys: dict[str, str] = {}
    for item in items:
        try:
            parts = sku_parts(item, rule)
        except RecordFailed as exc:
            failures[item.number] = exc.message
            continue
        if parts.key in keys and keys[parts.key] != item.number:
            failures[item.number] = (
                f"Item {item.number} gives the same SKU {parts.key} as item {keys[parts.key]}: "
                "the SKU rule must tell them apart."
            )
            continue
        keys[parts.key] = item.number
        product = products.setdefault(
            parts.product,
            ProductSpec(parts.product, name=item.description or parts.product, description=item.body, price=item.price),
        )
        variant = product.variants.setdefault(
            parts.variant, VariantSpec(parts.variant, name=parts.variant or product.name)
        )
        variant.sizes.append(SizeSpec(item.number, parts.size, item.ean))
    return products, failures


def fields_to_send(current: dict | None, desired: dict, ticked: set[str]) -> dict:
    """What to write: everything for a new object; for an existing one only ticked fields that changed."""
    if current is None:
        return {k: v for k, v in desired.items() if v not in (None, "")}
    return {k: v for k, v in desired.items() if k in ticked and v not in (None, "") and current.get(k) != v}
