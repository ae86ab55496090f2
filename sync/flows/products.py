"""Products ERP → shop: the ERP's stock items become shop products, variants and sizes.

fetch: stock items changed since the cursor (lastModifiedDateTime, read with a
       small overlap), page by page. Items whose own fields did not change
       since they were last synced (checksum on their SIZE binding) are left
       out before they become records, so a run costs what changed.
map:   the integration's SKU rule gives each item its product, variant and size
       numbers (`sku_parts`); items of a page are grouped products → variants
       → sizes (`products_group`). An item the rule cannot read, or that gives
       the SKU of another item, fails alone with a message naming both.
bind:  ExternalRef first (PRODUCT by product number, VARIANT by product and
       variant number, SIZE by item number), then the shop (`product_find`).
write: under the integration's catalogue lease (shared with the SKU
       re-binding, flows/catalogue.py), create what is missing, committing
       each binding right after its create; a new variant is created with the sizes of its sibling items
       of the same page in one call. For objects that exist, only the fields
       ticked on the integration are sent, and only when they differ, so
       what the shop enriched stays.
"""

from __future__ import annotations

from collections.abc import Iterator

from config.errors import ApplicationError
from integrations.adapters import erp_for, shop_for
from mappings.selectors import mapping_set_load
from sync import ports
from sync.bindings import binding_by_target, binding_get, binding_save
from sync.models import ExternalRef, Flow, Integration
from sync.record_names import record_name
from sync.shop import ShopProduct, ShopSize, ShopVariant

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .catalogue import CatalogueGuard
from .paging import ProductLookup, cursor_moment, item_listing_plan, refs_for
from .product_filter import filter_of
from .product_mapping import (
    ONE_SIZE,
    ItemContext,
    SkuRuleSpec,
    fields_to_send,
    find_size,
    find_variant,
    is_active,
    page_contexts,
    price_currency,
    shop_size_name,
    size_name,
    ticked_fields,
    variant_key,
)

PAGE_SIZE = 500


def sku_rule_spec(integration: Integration) -> SkuRuleSpec:
    rule = mapping_set_load(integration=integration).sku_rule
    if rule is None:
        raise ApplicationError(
            f"{integration} has no SKU rule: add one in Mappings › SKU rules (which ERP fields make up the "
            "shop's product number, variant and size) before running the products or stock flow."
        )
    return SkuRuleSpec(*rule)


# --------------------------------------------------------------------------- the flow
class ProductsFlow(FlowRunner):
    flow = Flow.PRODUCTS
    by_shop_capability = {ports.ARTICLE_WRITE: "sync.flows.articles.ArticlesFlow"}  # flat catalogues

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rule = sku_rule_spec(self.integration)
        self.catalogue = CatalogueGuard(integration=self.integration, rule=self.rule)
        self.ticked = ticked_fields(self.integration)
        self.filter = filter_of(self.integration)  # Integration.product_filter (product_filter.py)
        self.erp = erp_for(self.integration)
        self.shop = shop_for(self.integration)
        self._products = ProductLookup(self.shop.product_find)
        self._sent: list[dict] = []

    # -- reading --------------------------------------------------------------------
    def _source_item(self, context: ItemContext) -> SourceItem:
        sku = context.parts.key if context.parts is not None and context.parts.key != context.item.number else ""
        label = record_name("item", context.item.number, detail=f"SKU {sku}" if sku else "")
        return SourceItem(source_id=context.item.number, label=label, data=context)

    def changed_since(self, cursor: str) -> Plan:
        listed = self.erp.items_changed(updated_from=cursor_moment(cursor), attributes=True)
        # The ERP lists by item number, not by change: the cursor moves once the listing is read.
        return item_listing_plan(
            listed, cursor, stamp=lambda item: item.updated_at, page_items=self._unsynced, page_size=PAGE_SIZE
        )

    def _unsynced(self, page: list) -> Iterator[SourceItem]:
        """The page's stock items the filter takes whose product data changed since they were synced."""
        erp_items = [erp_item for erp_item in page if erp_item.is_stock and self.filter.matches(erp_item)]
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

    def fetch(self, source_id: str) -> SourceItem:
        erp_item = self.erp.item_get(source_id)
        if erp_item is None:
            raise RecordFailed(f"Item {source_id} no longer exists in {self.erp.display_name}.")
        if not erp_item.is_stock:
            return SourceItem(source_id=source_id, label=record_name("item", source_id), data=None)
        failing = self.filter.first_failing(erp_item)
        if failing is not None:
            reason = f"Item {source_id} does not match the integration's product filter ({failing})."
            return SourceItem(source_id=source_id, label=record_name("item", source_id), data=reason)
        [context] = page_contexts([erp_item], self.rule)
        return self._source_item(context)

    # -- one item -------------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        context: ItemContext | str | None = item.data
        if isinstance(context, str):  # outside the product filter
            return Outcome(status="skipped", message=context)
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
            target_id=size.id,
            data=self._size_data(context, product, variant, size),
            checksum=context.checksum,
        )
        done = [entry["action"] for entry in self._sent]
        return Outcome(
            status="ok",
            target_id=size.id,
            request=self.payload,
            response={"product": product.id, "variant": variant.id, "size": size.id, "SKU": size.sku or None},
            message=f"SKU {size.sku or context.parts.key}: " + (", ".join(done) if done else "up to date") + ".",
        )

    def _record(self, action: str, **details) -> None:
        self._sent.append({"action": action, **details})

    @staticmethod
    def _size_data(context: ItemContext, product: ShopProduct, variant: ShopVariant, size: ShopSize) -> dict:
        return {
            "product": context.parts.product,
            "variant": context.parts.variant,
            "size": context.parts.size,
            "key": context.parts.key,
            "sku": size.sku,
            "product_id": product.id,
            "variant_id": variant.id,
            "size_name": shop_size_name(size, context.parts),
        }

    # -- lookups ----------------------------------------------------------------------
    def _product(self, product_number: str) -> ShopProduct | None:
        """The shop's product with this number (read once per run, kept up to date by our writes)."""
        return self._products.get(product_number)

    def _gone(self, what: str, ref: ExternalRef, hint: str) -> RecordFailed:
        return RecordFailed(
            f"{what} was created in the shop as id {ref.target_id}, but the shop has no such {hint} any more "
            "(deleted or renumbered there). Restore it in the shop, or delete the binding under Sync › External "
            "references so that Koppla creates it again."
        )

    # -- product ----------------------------------------------------------------------
    def _product_ensure(self, context: ItemContext) -> ShopProduct:
        number = context.parts.product
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number)
        node = self._product(number)
        if node is None and ref is not None:
            raise self._gone(f"Product {number}", ref, f"product number {number}")
        if node is not None and ref is not None and node.id != ref.target_id:
            raise RecordFailed(
                f"Product {number} is bound to shop product {ref.target_id}, but the shop's product with number "
                f"{number} is {node.id}. Fix the product number in the shop, or delete the binding under Sync › "
                "External references."
            )
        spec = context.product
        desired = {"name": spec.name, "description": spec.description}
        if node is None:
            self._record("create product", productNumber=number, **desired)
            node = self.shop.product_create(
                product_number=number, name=spec.name, description=spec.description, active=is_active(context.item)
            )
            binding_save(
                integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number, target_id=node.id
            )
            self._products.remember(number, node)
            return node
        if ref is None:
            binding_save(
                integration=self.integration, kind=ExternalRef.Kind.PRODUCT, source_id=number, target_id=node.id
            )
        changes = fields_to_send({"name": node.name, "description": node.description}, desired, self.ticked)
        if changes:
            self._record("update product", id=node.id, **changes)
            self.shop.product_update(node.id, fields=changes)
            node.name, node.description = changes.get("name", node.name), changes.get("description", node.description)
        return node

    # -- variant ----------------------------------------------------------------------
    def _variant_ensure(self, context: ItemContext, product: ShopProduct) -> ShopVariant:
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
                product=product.id,
                variantNumber=parts.variant,
                name=desired_name,
                sizes=[size.name for _, size in siblings],
            )
            node = self.shop.variant_create(
                product_id=product.id,
                variant_number=parts.variant,
                name=desired_name,
                sizes=[size for _, size in siblings],
            )
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.VARIANT,
                source_id=key,
                target_id=node.id,
                data={"created": True},
            )
            product.variants.append(node)
            self._bind_new_sizes(context, product, node, siblings)
            return node
        if ref is None:
            binding_save(integration=self.integration, kind=ExternalRef.Kind.VARIANT, source_id=key, target_id=node.id)
        changes = fields_to_send({"name": node.name}, {"name": desired_name}, self.ticked)
        if changes:
            self._record("update variant", id=node.id, **changes)
            self.shop.variant_update(node.id, fields=changes)
            node.name = changes["name"]
        return node

    def _new_sizes(self, context: ItemContext) -> list[tuple[str, ShopSize]]:
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
            sizes.append(
                (size.item_number, ShopSize(id="", name=size.size or ONE_SIZE, number=size.size, ean=size.ean))
            )
        return sizes

    def _bind_new_sizes(
        self, context: ItemContext, product: ShopProduct, variant: ShopVariant, sizes: list[tuple[str, ShopSize]]
    ) -> None:
        """Bind the sibling items' sizes created with the variant (their own records confirm them)."""
        for item_number, size in sizes:
            if item_number == context.item.number:
                continue
            node = next((n for n in variant.sizes if n.name == size.name), None)
            if node is None:
                continue
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=item_number,
                target_id=node.id,
                data={
                    "product": context.parts.product,
                    "variant": context.parts.variant,
                    "size": size.number,
                    "product_id": product.id,
                    "variant_id": variant.id,
                    "size_name": size.name,
                    "sku": node.sku,
                },
                checksum="",  # the sibling's own record still runs and completes the binding
            )

    # -- size -------------------------------------------------------------------------
    def _size_ensure(self, context: ItemContext, product: ShopProduct, variant: ShopVariant) -> ShopSize:
        parts = context.parts
        number = context.item.number
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.SIZE, source_id=number)
        node = find_size(variant, parts)
        if node is None and ref is not None and ref.checksum:
            raise self._gone(f"Size {size_name(parts)} of SKU {parts.key} (item {number})", ref, "size")
        if node is None:
            self._record("create size", variant=variant.id, name=size_name(parts), EAN=context.item.ean)
            node = self.shop.size_create(
                variant_id=variant.id, name=size_name(parts), size_number=parts.size, ean=context.item.ean
            )
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=number,
                target_id=node.id,
                data=self._size_data(context, product, variant, node),
            )
            variant.sizes.append(node)
            return node
        other = binding_by_target(integration=self.integration, kind=ExternalRef.Kind.SIZE, target_id=node.id)
        if other is not None and other.source_id != number:
            raise RecordFailed(
                f"Item {number} gives SKU {parts.key}, which is already the shop size of item {other.source_id}: "
                "the SKU rule must tell them apart (Mappings › SKU rules), or one of the items is a duplicate."
            )
        changes = fields_to_send({"ean": node.ean}, {"ean": context.item.ean}, self.ticked)
        if changes:
            self._record("update size", id=node.id, EAN=changes["ean"])
            self.shop.size_update(node.id, ean=changes["ean"])
            node.ean = changes["ean"]
        return node

    # -- price ------------------------------------------------------------------------
    def _price_ensure(self, context: ItemContext, variant: ShopVariant) -> None:
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
        self._record("set price", variant=variant.id, amount=str(price), currency=currency)
        self.shop.price_set(variant_id=variant.id, amount=price, currency=currency)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.VARIANT,
            source_id=key,
            target_id=variant.id,
            data={**data, "price": str(price), "currency": currency},
        )
