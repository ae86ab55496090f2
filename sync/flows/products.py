"""Products ERP → shop: Visma.net stock items become Centra products, variants and sizes.

fetch: stock items changed since the cursor (lastModifiedDateTime, read with a
       small overlap), page by page. Items whose own fields did not change
       since they were last synced (checksum on their SIZE binding) are left
       out before they become records, so a run costs what changed.
map:   the integration's SKU rule gives each item its product, variant and size
       numbers (`sku_parts`); items of a page are grouped products → variants
       → sizes (`products_group`). An item the rule cannot read, or that gives
       the SKU of another item, fails alone with a message naming both.
bind:  ExternalRef first (PRODUCT by product number, VARIANT by product and
       variant number, SIZE by item number), then Centra (`product_find`).
write: under the integration's catalogue lease (shared with the SKU
       re-binding, flows/catalogue.py), create what is missing, committing
       each binding right after its create; a new variant is created with the sizes of its sibling items
       of the same page in one call. For objects that exist, only the fields
       ticked on the integration are sent, and only when they differ, so
       what the shop enriched stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from config.errors import ApplicationError
from integrations.clients import client_for
from integrations.http import NotFound
from mappings.selectors import mapping_set_load
from sync.bindings import binding_by_target, binding_get, binding_save, checksum_of
from sync.erp import ErpItem
from sync.models import ExternalRef, Flow, Integration

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .catalogue import CatalogueGuard
from .paging import ListingCursor, ProductLookup, chunks, cursor_moment, refs_for
from .product_mapping import (
    ProductSpec,
    SkuParts,
    SkuRuleSpec,
    VariantSpec,
    fields_to_send,
    products_group,
    sku_parts,
)

PAGE_SIZE = 500
# What a size without a size source is called in the shop (Centra sizes always have a name).
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


# --------------------------------------------------------------------------- ERP items (pure)
def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def item_ean(node: dict) -> str:
    """The item's EAN/GTIN: its barcode cross-reference ('' when it has none)."""
    for reference in node.get("crossReferences") or []:
        if str(reference.get("alternateType") or "") in ("Barcode", "Global") and reference.get("alternateID"):
            return str(reference["alternateID"]).strip()
    return ""


def erp_item_from_visma(node: dict) -> ErpItem:
    """A Visma.net InventoryDto as the flows see it (quantities are the warehouses' `available`)."""
    warehouses: dict[str, Decimal] = {}
    for detail in node.get("warehouseDetails") or []:
        warehouse = detail.get("warehouse")
        if isinstance(warehouse, dict):
            warehouse = warehouse.get("id")
        if warehouse:
            warehouses[str(warehouse)] = _decimal(detail.get("available")) or Decimal(0)
    return ErpItem(
        number=str(node.get("inventoryNumber") or ""),
        description=str(node.get("description") or ""),
        body=str(node.get("body") or ""),
        price=_decimal(node.get("defaultPrice")),
        ean=item_ean(node),
        status=str(node.get("status") or "Active"),
        updated_at=str(node.get("lastModifiedDateTime") or ""),
        attributes={str(a.get("id")): str(a.get("value") or "") for a in node.get("attributes") or [] if a.get("id")},
        warehouses=warehouses,
    )


def is_stock_item(node: dict) -> bool:
    """Only stock items are products; non-stock items (shipping, fees, services) stay in the ERP."""
    if node.get("stockItem") is False:
        return False
    return str(node.get("type") or "FinishedGoodItem") not in ("NonStockItem", "ServiceItem", "LaborItem")


def shop_status(item: ErpItem) -> str:
    return "ACTIVE" if item.status == "Active" else "INACTIVE"


def size_name(parts: SkuParts) -> str:
    return parts.size or ONE_SIZE


def shop_size_name(node: dict, parts: SkuParts) -> str:
    """The name a shop size really has (what setStock addresses it by)."""
    return str((node.get("size") or {}).get("name") or size_name(parts))


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


def ticked_fields(integration: Integration) -> set[str]:
    return {name for name, flag in TICK_FLAGS.items() if getattr(integration, flag)}


def sku_rule_spec(integration: Integration) -> SkuRuleSpec:
    rule = mapping_set_load(integration=integration).sku_rule
    if rule is None:
        raise ApplicationError(
            f"{integration} has no SKU rule: add one in Mappings › SKU rules (which ERP fields make up the "
            "shop's product number, variant and size) before running the products or stock flow."
        )
    return SkuRuleSpec(*rule)


def price_currency(integration: Integration) -> str:
    """The ERP's base currency ('' when Koppla does not know it for the company's country)."""
    return HOME_CURRENCIES.get(integration.home_country, "")


def node_number(node: dict | None, key: str) -> str:
    return str((node or {}).get(key) or "")


def find_variant(product: dict | None, variant_number: str) -> dict | None:
    for variant in (product or {}).get("variants") or []:
        if node_number(variant, "variantNumber") == variant_number:
            return variant
    return None


def find_size(variant: dict | None, parts: SkuParts) -> dict | None:
    name = size_name(parts)
    for size in (variant or {}).get("productSizes") or []:
        if parts.size and node_number(size, "sizeNumber") == parts.size:
            return size
        if str((size.get("size") or {}).get("name") or "") == name:
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


# --------------------------------------------------------------------------- the flow
class ProductsFlow(FlowRunner):
    flow = Flow.PRODUCTS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rule = sku_rule_spec(self.integration)
        self.catalogue = CatalogueGuard(integration=self.integration, rule=self.rule)
        self.ticked = ticked_fields(self.integration)
        self.erp = client_for(self.integration.erp)
        self.shop = client_for(self.integration.shop)
        self._products = ProductLookup(self.shop.product_find)
        self._sent: list[dict] = []

    # -- reading --------------------------------------------------------------------
    def _source_item(self, context: ItemContext) -> SourceItem:
        label = context.item.number
        if context.parts is not None and context.parts.key != context.item.number:
            label = f"{context.item.number} (SKU {context.parts.key})"
        return SourceItem(source_id=context.item.number, label=label, data=context)

    def changed_since(self, cursor: str) -> Plan:
        nodes = self.erp.inventory_list(
            modified_since=cursor_moment(cursor), expand_warehouse_detail=False, expand_attribute=True
        )

        # Visma.net lists by item number, not by change: the cursor moves once the listing is read.
        listing = ListingCursor(cursor, in_stamp_order=False)
        plan = Plan(items=())

        def items():
            for page in chunks(nodes, PAGE_SIZE):
                for node in page:
                    listing.seen(str(node.get("inventoryNumber") or ""), str(node.get("lastModifiedDateTime") or ""))
                erp_items = [erp_item_from_visma(node) for node in page if is_stock_item(node)]
                contexts = page_contexts(erp_items, self.rule)
                synced = dict(
                    ExternalRef.objects.filter(
                        integration=self.integration,
                        kind=ExternalRef.Kind.SIZE,
                        source_id__in=[c.item.number for c in contexts],
                    ).values_list("source_id", "checksum")
                )
                for context in contexts:
                    if context.checksum and synced.get(context.item.number) == context.checksum:
                        continue  # nothing of this item changed since it was synced
                    yield self._source_item(context)
            plan.read_to = listing.read_to()

        plan.items = items()
        return plan

    def fetch(self, source_id: str) -> SourceItem:
        try:
            node = self.erp.inventory_get(source_id)
        except NotFound:
            raise RecordFailed(f"Item {source_id} no longer exists in Visma.net.") from None
        if not is_stock_item(node):
            return SourceItem(source_id=source_id, label=source_id, data=None)
        [context] = page_contexts([erp_item_from_visma(node)], self.rule)
        return self._source_item(context)

    # -- one item -------------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        context: ItemContext | None = item.data
        if context is None:
            return Outcome(status="skipped", message=f"{item.source_id} is not a stock item: it is not a product.")
        if context.failure:
            raise RecordFailed(context.failure)
        request = context.payload()
        if self.dry_run:
            return Outcome(status="dry_run", request=request)
        self._sent = []
        self.payload = {"mapped": request, "sent": self._sent}
        with self.catalogue.hold():  # not while the SKU re-binding rewrites the catalogue (flows/catalogue.py)
            return self._write(context, request)

    def _write(self, context: ItemContext, request: dict) -> Outcome:
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.SIZE, source_id=context.item.number)
        if ref is None and context.item.status != "Active":
            return Outcome(
                status="skipped",
                request=request,
                message=f"Item {context.item.number} is {context.item.status} in the ERP: it is not created in the shop.",
            )

        product = self._product_ensure(context)
        variant = self._variant_ensure(context, product)
        size = self._size_ensure(context, product, variant)
        self._price_ensure(context, variant)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.SIZE,
            source_id=context.item.number,
            target_id=size["id"],
            data=self._size_data(context, product, variant, size),
            checksum=context.checksum,
        )
        done = [entry["action"] for entry in self._sent]
        return Outcome(
            status="ok",
            target_id=str(size["id"]),
            request=self.payload,
            response={"product": product["id"], "variant": variant["id"], "size": size["id"], "SKU": size.get("SKU")},
            message=(
                f"SKU {size.get('SKU') or context.parts.key}: " + (", ".join(done) if done else "up to date") + "."
            ),
        )

    def _record(self, action: str, **details) -> None:
        self._sent.append({"action": action, **details})

    @staticmethod
    def _size_data(context: ItemContext, product: dict, variant: dict, size: dict) -> dict:
        return {
            "product": context.parts.product,
            "variant": context.parts.variant,
            "size": context.parts.size,
            "key": context.parts.key,
            "sku": str(size.get("SKU") or ""),
            "product_id": str(product["id"]),
            "variant_id": str(variant["id"]),
            "size_name": shop_size_name(size, context.parts),
        }

    # -- lookups ----------------------------------------------------------------------
    def _product(self, product_number: str) -> dict | None:
        """The shop's product with this number (read once per run, kept up to date by our writes)."""
        return self._products.get(product_number)

    def _gone(self, what: str, ref: ExternalRef, hint: str) -> RecordFailed:
        return RecordFailed(
            f"{what} was created in the shop as id {ref.target_id}, but the shop has no such {hint} any more "
            "(deleted or renumbered there). Restore it in the shop, or delete the binding under Sync › External "
            "references so that Koppla creates it again."
        )

    # -- product ----------------------------------------------------------------------
    def _product_ensure(self, context: ItemContext) -> dict:
        number = context.parts.product
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number)
        node = self._product(number)
        if node is None and ref is not None:
            raise self._gone(f"Product {number}", ref, f"product number {number}")
        if node is not None and ref is not None and str(node["id"]) != ref.target_id:
            raise RecordFailed(
                f"Product {number} is bound to shop product {ref.target_id}, but the shop's product with number "
                f"{number} is {node['id']}. Fix the product number in the shop, or delete the binding under Sync › "
                "External references."
            )
        spec = context.product
        desired = {"name": spec.name, "description": spec.description}
        if node is None:
            self._record("create product", productNumber=number, **desired)
            node = self.shop.product_create(
                product_number=number, name=spec.name, status=shop_status(context.item), description=spec.description
            )
            binding_save(
                integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number, target_id=node["id"]
            )
            node.setdefault("variants", [])
            self._products.remember(number, node)
            return node
        if ref is None:
            binding_save(
                integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number, target_id=node["id"]
            )
        current = {"name": node.get("name") or "", "description": node.get("description") or ""}
        changes = fields_to_send(current, desired, self.ticked)
        if changes:
            self._record("update product", id=node["id"], **changes)
            self.shop.product_update(str(node["id"]), fields=changes)
            node.update(changes)
        return node

    # -- variant ----------------------------------------------------------------------
    def _variant_ensure(self, context: ItemContext, product: dict) -> dict:
        parts = context.parts
        key = variant_key(parts)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.VARIANT, source_id=key)
        node = find_variant(product, parts.variant)
        if node is None and ref is not None:
            raise self._gone(f"Variant {parts.variant or '(single)'} of product {parts.product}", ref, "variant")
        desired_name = context.variant.name
        if node is None:
            siblings = self._new_sizes(context)
            self._record(
                "create variant",
                product=product["id"],
                variantNumber=parts.variant,
                name=desired_name,
                sizes=[s["name"] for s in siblings],
            )
            node = self.shop.variant_create(
                product_id=str(product["id"]),
                variant_number=parts.variant,
                name=desired_name,
                sizes=[{k: v for k, v in s.items() if k != "item"} for s in siblings],
            )
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.VARIANT,
                source_id=key,
                target_id=node["id"],
                data={"created": True},
            )
            product.setdefault("variants", []).append(node)
            self._bind_new_sizes(context, product, node, siblings)
            return node
        if ref is None:
            binding_save(
                integration=self.integration, kind=ExternalRef.Kind.VARIANT, source_id=key, target_id=node["id"]
            )
        changes = fields_to_send({"name": node.get("name") or ""}, {"name": desired_name}, self.ticked)
        if changes:
            self._record("update variant", id=node["id"], **changes)
            self.shop.variant_update(str(node["id"]), fields=changes)
            node.update(changes)
        return node

    def _new_sizes(self, context: ItemContext) -> list[dict]:
        """Sizes a new variant is created with: this item's and its siblings' of the same page not yet bound."""
        siblings = [s for s in context.variant.sizes if s.item_number not in context.failed_items]
        bound = refs_for(
            integration=self.integration,
            kind=ExternalRef.Kind.SIZE,
            source_ids=[s.item_number for s in siblings if s.item_number != context.item.number],
        )
        sizes = []
        for size in siblings:
            if size.item_number != context.item.number and size.item_number in bound:
                continue
            name = size.size or ONE_SIZE
            sizes.append({"item": size.item_number, "name": name, "size_number": size.size, "ean": size.ean})
        return sizes

    def _bind_new_sizes(self, context: ItemContext, product: dict, variant: dict, sizes: list[dict]) -> None:
        """Bind the sibling items' sizes created with the variant (their own records confirm them)."""
        for size in sizes:
            if size["item"] == context.item.number:
                continue
            node = next(
                (
                    n
                    for n in variant.get("productSizes") or []
                    if str((n.get("size") or {}).get("name")) == size["name"]
                ),
                None,
            )
            if node is None:
                continue
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=size["item"],
                target_id=node["id"],
                data={
                    "product": context.parts.product,
                    "variant": context.parts.variant,
                    "size": size["size_number"],
                    "product_id": str(product["id"]),
                    "variant_id": str(variant["id"]),
                    "size_name": size["name"],
                    "sku": str(node.get("SKU") or ""),
                },
                checksum="",  # the sibling's own record still runs and completes the binding
            )

    # -- size -------------------------------------------------------------------------
    def _size_ensure(self, context: ItemContext, product: dict, variant: dict) -> dict:
        parts = context.parts
        number = context.item.number
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.SIZE, source_id=number)
        node = find_size(variant, parts)
        if node is None and ref is not None and ref.checksum:
            raise self._gone(f"Size {size_name(parts)} of SKU {parts.key} (item {number})", ref, "size")
        if node is None:
            self._record("create size", variant=variant["id"], name=size_name(parts), EAN=context.item.ean)
            node = self.shop.size_create(
                variant_id=str(variant["id"]), name=size_name(parts), size_number=parts.size, ean=context.item.ean
            )
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=number,
                target_id=node["id"],
                data=self._size_data(context, product, variant, node),
            )
            variant.setdefault("productSizes", []).append(node)
            return node
        other = binding_by_target(integration=self.integration, kind=ExternalRef.Kind.SIZE, target_id=str(node["id"]))
        if other is not None and other.source_id != number:
            raise RecordFailed(
                f"Item {number} gives SKU {parts.key}, which is already the shop size of item {other.source_id}: "
                "the SKU rule must tell them apart (Mappings › SKU rules), or one of the items is a duplicate."
            )
        changes = fields_to_send({"ean": node.get("EAN") or ""}, {"ean": context.item.ean}, self.ticked)
        if changes:
            self._record("update size", id=node["id"], EAN=changes["ean"])
            self.shop.size_update(str(node["id"]), fields={"EAN": changes["ean"]})
            node["EAN"] = changes["ean"]
        return node

    # -- price ------------------------------------------------------------------------
    def _price_ensure(self, context: ItemContext, variant: dict) -> None:
        """Prices live on the variant; the price last sent is kept on the variant's binding.

        Sent for a variant Koppla created, then again only when it changed and
        prices are ticked; a variant the shop already had gets one only when ticked.
        """
        price = context.item.price
        if price is None:
            return
        key = variant_key(context.parts)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.VARIANT, source_id=key)
        data = dict(ref.data or {}) if ref else {}
        if "price" in data:
            if "price" not in self.ticked or data["price"] == str(price):
                return
        elif not data.get("created") and "price" not in self.ticked:
            return
        currency = price_currency(self.integration)
        if not currency:
            if "price" not in self.ticked:
                return  # the shop prices this variant itself
            raise RecordFailed(
                f"Koppla does not know the currency of ERP prices for a company in {self.integration.home_country}: "
                "untick 'Update product price' on the integration and price the products in the shop."
            )
        self._record("set price", variant=variant["id"], amount=str(price), currency=currency)
        self.shop.price_set(variant_id=str(variant["id"]), amount=price, currency=currency)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.VARIANT,
            source_id=key,
            target_id=str(variant["id"]),
            data={**data, "price": str(price), "currency": currency},
        )
