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

from sync.bindings import checksum_of
from sync.erp import ErpItem
from sync.shop import ShopProduct, ShopSize, ShopVariant

from .base import RecordFailed

UPDATABLE_FIELDS = ("name", "description", "price", "ean")
# What a size without a size source is called in the shop (shop sizes always have a name).
ONE_SIZE = "One size"

# Integration flag of each field that may overwrite an existing shop value.
TICK_FLAGS = {
    "name": "update_product_name",
    "description": "update_product_description",
    "price": "update_product_price",
    "ean": "update_product_ean",
}

# The currency item prices are in: the ERP company's base currency, the one of its country.
EURO_COUNTRIES = frozenset("AT BE BG CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK".split())
HOME_CURRENCIES = {
    "SE": "SEK",
    "NO": "NOK",
    "DK": "DKK",
    "IS": "ISK",
    "PL": "PLN",
    "CZ": "CZK",
    "HU": "HUF",
    "RO": "RON",
    "GB": "GBP",
    "CH": "CHF",
    **dict.fromkeys(EURO_COUNTRIES, "EUR"),
}


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


# --------------------------------------------------------------------------- items → shop structure
def is_active(item: ErpItem) -> bool:
    return item.status == "Active"


def shop_status(item: ErpItem) -> str:
    """The product's status as the record's request shows it."""
    return "ACTIVE" if is_active(item) else "INACTIVE"


def size_name(parts: SkuParts) -> str:
    return parts.size or ONE_SIZE


def shop_size_name(size: ShopSize, parts: SkuParts) -> str:
    """The name a shop size really has (what stock is set by)."""
    return size.name or size_name(parts)


def variant_key(parts: SkuParts) -> str:
    """Source id of a VARIANT binding: product and variant number."""
    return f"{parts.product}|{parts.variant}"


def item_checksum(item: ErpItem, parts: SkuParts) -> str:
    """Hash of everything of an item the shop gets: unchanged hash, nothing to do."""
    return checksum_of(
        {
            "parts": [parts.product, parts.variant, parts.size],
            "description": item.description,
            "body": item.body,
            "price": str(item.price) if item.price is not None else None,
            "ean": item.ean,
            "status": item.status,
        }
    )


def ticked_fields(integration) -> set[str]:
    return {name for name, flag in TICK_FLAGS.items() if getattr(integration, flag)}


def price_currency(integration) -> str:
    """The ERP's base currency ('' when Koppla does not know it for the company's country)."""
    return HOME_CURRENCIES.get(integration.home_country, "")


def find_variant(product: ShopProduct | None, variant_number: str) -> ShopVariant | None:
    for variant in product.variants if product else ():
        if variant.number == variant_number:
            return variant
    return None


def find_size(variant: ShopVariant | None, parts: SkuParts) -> ShopSize | None:
    name = size_name(parts)
    for size in variant.sizes if variant else ():
        if parts.size and size.number == parts.size:
            return size
        if size.name == name:
            return size
    return None


@dataclass
class ItemContext:
    """One item with its place in the page's product structure (siblings share `variant`)."""

    item: ErpItem
    parts: SkuParts | None = None
    product: ProductSpec | None = None
    variant: VariantSpec | None = None
    failure: str = ""
    checksum: str = ""
    failed_items: set[str] = field(default_factory=set)  # items of the page that failed (not sent as siblings)

    def payload(self) -> dict:
        """What the item maps to, as the record's request."""
        if self.parts is None:
            return {"item": self.item.number}
        return {
            "item": self.item.number,
            "sku": self.parts.key,
            "product": {
                "productNumber": self.parts.product,
                "name": self.product.name,
                "description": self.product.description,
                "status": shop_status(self.item),
            },
            "variant": {"variantNumber": self.parts.variant, "name": self.variant.name},
            "size": {"name": size_name(self.parts), "sizeNumber": self.parts.size, "EAN": self.item.ean},
            "price": str(self.item.price) if self.item.price is not None else None,
        }


def page_contexts(items: list[ErpItem], rule: SkuRuleSpec) -> list[ItemContext]:
    """Map a page of items and order them products → variants → sizes (failures last)."""
    products, failures = products_group(items, rule)
    by_number = {item.number: item for item in items}
    failed = set(failures)
    contexts = []
    for product in products.values():
        for variant in product.variants.values():
            for size in variant.sizes:
                item = by_number[size.item_number]
                parts = sku_parts(item, rule)
                contexts.append(
                    ItemContext(
                        item=item,
                        parts=parts,
                        product=product,
                        variant=variant,
                        checksum=item_checksum(item, parts),
                        failed_items=failed,
                    )
                )
    contexts.extend(ItemContext(item=by_number[number], failure=message) for number, message in failures.items())
    return contexts
