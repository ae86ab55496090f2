"""Stock ERP → shop: available quantities of the ERP's items become the shop's stock levels.

fetch: items whose availability changed since the cursor (ErpPort.stock_changed, a small overlap), page
       by page with their warehouse details; only one page is held at a time.
map:   quantity = `available` in the integration's ERP warehouses (their sum, or the first listed one), in
       whole units, never below 0; the target is the item's shop size (SIZE binding, else found by SKU).
       An item whose quantity is what was last sent (its STOCK binding) is
       left out before it becomes a record: calls grow with changes, not with
       the catalogue.
write: one `stock_set` per batch of up to 100 variants (absolute levels, safe to
       repeat); each item's STOCK binding then keeps the quantity sent. The
       first item of a batch carries the call in its log; an item that cannot
       be placed fails alone, the rest of its batch is still sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from config.storable import storable_json
from integrations.adapters import erp_for, shop_for
from integrations.http import RemoteError
from sync import ports
from sync.bindings import binding_get, binding_key, binding_save
from sync.erp import ErpItem
from sync.models import ExternalRef, Flow, Integration
from sync.record_names import record_name
from sync.shop import ShopProduct

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import ListingCursor, ProductLookup, chunks, cursor_moment, refs_for
from .product_filter import filter_of
from .product_mapping import SkuRuleSpec, find_size, find_variant, shop_size_name, sku_parts
from .products import sku_rule_spec
from .stock_mapping import erp_warehouses, stock_checksum, stock_quantity  # noqa: F401 - stock_quantity is this module's API too

PAGE_SIZE = 500
BATCH_VARIANTS = 100  # variants per stock_set call


@dataclass
class Target:
    size_id: str
    variant_id: str
    size_name: str


@dataclass
class StockLine:
    """One item's level to send; `batch` is the stock_set call it travels in."""

    item: ErpItem
    quantity: int
    target: Target | None = None  # from the SIZE binding; else found by SKU when the batch is sent
    batch: StockBatch | None = None

    def level(self) -> dict:
        return {
            "item": self.item.number,
            "quantity": self.quantity,
            **(
                {"variant": self.target.variant_id, "size": self.target.size_name, "size_id": self.target.size_id}
                if self.target
                else {}
            ),
        }


@dataclass
class StockBatch:
    lines: list[StockLine] = field(default_factory=list)
    results: dict[str, Outcome | Exception] | None = None

    @property
    def variants(self) -> int:
        return len({line.target.variant_id if line.target else f"?{line.item.number}" for line in self.lines})


def _variant_of(line: StockLine) -> str:
    return line.target.variant_id if line.target else f"?{line.item.number}"


def batched(lines: Iterable[StockLine], *, max_variants: int | None = None) -> Iterator[StockBatch]:
    """stock_set batches of at most `max_variants` (BATCH_VARIANTS) variants, filled across pages: a stream
    in, a stream out."""
    max_variants = max_variants or BATCH_VARIANTS
    current = StockBatch()
    seen: set[str] = set()
    for line in lines:
        variant = _variant_of(line)
        if variant not in seen and len(seen) >= max_variants:
            yield current
            current, seen = StockBatch(), set()
        seen.add(variant)
        current.lines.append(line)
        line.batch = current
    if current.lines:
        yield current


def batches(lines: list[StockLine], *, max_variants: int | None = None) -> list[StockBatch]:
    return list(batched(lines, max_variants=max_variants))


# --------------------------------------------------------------------------- the flow
class StockFlow(FlowRunner):
    flow = Flow.STOCK
    by_shop_capability = {ports.ARTICLE_WRITE: "sync.flows.article_stock.ArticleStockFlow"}  # flat catalogues

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        integration = self.integration
        self.warehouses = erp_warehouses(integration)
        self.mode = integration.stock_mode
        if self.mode == Integration.StockMode.SINGLE and not self.warehouses:
            raise ApplicationError(
                f"{integration}: stock mode 'first listed warehouse only' needs the ERP warehouse listed in "
                "'Stock ERP warehouses' on the integration."
            )
        self.shop_warehouse = integration.stock_shop_warehouse.strip()
        if not self.shop_warehouse:
            raise ApplicationError(f"{integration}: set the shop warehouse stock is sent to ('Stock shop warehouse').")
        self.rule: SkuRuleSpec = sku_rule_spec(integration)
        self.filter = filter_of(integration)  # items outside Integration.product_filter have no shop stock
        self.erp = erp_for(integration)
        self.shop = shop_for(integration)
        self._products = ProductLookup(self.shop.product_find)

    def _needs_attributes(self) -> bool:
        rule = (self.rule.product, self.rule.variant, self.rule.size)
        return self.filter.needs_attributes or any(s.startswith("attribute:") for s in rule)

    # -- reading --------------------------------------------------------------------
    def changed_since(self, cursor: str) -> Plan:
        listed = self.erp.stock_changed(
            updated_from=cursor_moment(cursor), attributes=self._needs_attributes(), warehouses=self.warehouses
        )
        # The ERP lists by item number, not by change: the cursor moves once the listing is read.
        listing = ListingCursor(cursor, in_stamp_order=False)
        plan = Plan(items=())

        def unsent_lines() -> Iterator[StockLine]:
            for page in chunks(listed, PAGE_SIZE):
                lines = []
                for erp_item in page:
                    listing.seen(erp_item.number, erp_item.availability_updated_at)
                    if erp_item.is_stock and self.filter.matches(erp_item):
                        lines.append(self._line(erp_item))
                yield from self._unsent(lines)

        def items() -> Iterator[SourceItem]:
            for batch in batched(unsent_lines()):
                for line in batch.lines:
                    yield SourceItem(source_id=line.item.number, label=record_name("item", line.item.number), data=line)
            plan.read_to = listing.read_to()

        plan.items = items()
        return plan

    def _line(self, item: ErpItem) -> StockLine:
        return StockLine(item=item, quantity=stock_quantity(item, warehouses=self.warehouses, mode=self.mode))

    def _unsent(self, lines: list[StockLine]) -> list[StockLine]:
        """The lines whose quantity differs from what was last sent.

        Three queries a page: the size and last-sent checksum of every item (plain columns), then the
        shop variant and size name of the few that changed.
        """
        numbers = [line.item.number for line in lines]
        bound = ExternalRef.objects.filter(integration=self.integration, source_id__in=numbers)
        sizes = dict(bound.filter(kind=ExternalRef.Kind.SIZE).values_list("source_id", "target_id"))
        sent = dict(bound.filter(kind=ExternalRef.Kind.STOCK).values_list("source_id", "checksum"))
        out = [
            line
            for line in lines
            if line.item.number not in sizes
            or sent.get(line.item.number) != self._checksum_for(sizes[line.item.number], line.quantity)
        ]
        targets = refs_for(
            integration=self.integration,
            kind=ExternalRef.Kind.SIZE,
            source_ids=[line.item.number for line in out if line.item.number in sizes],
        )
        for line in out:
            ref = targets.get(line.item.number)
            if ref is not None:
                line.target = self._target_of(ref)
        return out

    @staticmethod
    def _target_of(ref: ExternalRef) -> Target | None:
        data = ref.data or {}
        if not data.get("variant_id") or not data.get("size_name"):
            return None
        return Target(size_id=ref.target_id, variant_id=str(data["variant_id"]), size_name=str(data["size_name"]))

    def _checksum_for(self, size_id: str, quantity: int) -> str:
        return stock_checksum(shop_warehouse=self.shop_warehouse, size_id=size_id, quantity=quantity)

    def _checksum(self, line: StockLine) -> str:
        return self._checksum_for(line.target.size_id, line.quantity)

    def fetch(self, source_id: str) -> SourceItem:
        erp_item = self.erp.item_stock_get(source_id, attributes=self._needs_attributes(), warehouses=self.warehouses)
        if erp_item is None:
            raise RecordFailed(f"Item {source_id} no longer exists in {self.erp.display_name}.")
        if not erp_item.is_stock or not self.filter.matches(erp_item):
            return SourceItem(source_id=source_id, label=record_name("item", source_id), data=None)
        line = self._line(erp_item)
        size = binding_get(integration=self.integration, kind=ExternalRef.Kind.SIZE, source_id=source_id)
        if size is not None:
            line.target = self._target_of(size)
        return SourceItem(source_id=source_id, label=record_name("item", source_id), data=line)

    # -- one item -------------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        line: StockLine | None = item.data
        if line is None:
            return Outcome(
                status="skipped",
                message=f"{item.source_id} is not a stock item or not in the product filter: it has no shop stock.",
            )
        if line.batch is None:
            batches([line])
        batch = line.batch
        if batch.results is None:
            self._send(batch)
        result = batch.results.get(line.item.number)
        if isinstance(result, Exception):
            raise result
        return result

    # -- a batch --------------------------------------------------------------------
    def _send(self, batch: StockBatch) -> None:
        results: dict[str, Outcome | Exception] = {}
        batch.results = results
        try:
            to_send = self._prepare(batch, results)
            if not to_send:
                return
            levels = [(line.target.variant_id, line.target.size_name, line.quantity) for line in to_send]
            if self.dry_run:
                for line in to_send:
                    results[line.item.number] = Outcome(status="dry_run", request=self._request(line, len(levels)))
                return
            self.payload = {"warehouse": self.shop_warehouse, "levels": [line.level() for line in to_send]}
            changes = self.shop.stock_set(
                warehouse_id=self.shop_warehouse, levels=levels, description=f"Koppla stock sync, run {self.run.pk}"
            )
            self._bind_sent(to_send)
            for line in to_send:
                results[line.item.number] = self._outcome(line, changes, len(levels))
        except (RemoteError, RecordFailed) as exc:  # the lines of a batch share the fate of its call
            self._share(batch, exc)
        except Exception as exc:  # a bug: this record logs it, the others of the batch fail with it too
            self._share(batch, exc)
            raise

    @staticmethod
    def _share(batch: StockBatch, exc: Exception) -> None:
        for line in batch.lines:
            batch.results.setdefault(line.item.number, exc)

    def _prepare(self, batch: StockBatch, results: dict) -> list[StockLine]:
        """Place each line and drop those already sent; a line that cannot be placed fails alone."""
        sent = dict(
            ExternalRef.objects.filter(
                integration=self.integration,
                kind=ExternalRef.Kind.STOCK,
                source_id__in=[line.item.number for line in batch.lines],
            ).values_list("source_id", "checksum")
        )
        to_send = []
        for line in batch.lines:
            try:
                if line.target is None:
                    line.target = self._target_by_sku(line.item)
            except (RecordFailed, RemoteError) as exc:
                results[line.item.number] = exc
                continue
            if sent.get(line.item.number) == self._checksum(line):
                results[line.item.number] = Outcome(
                    status="skipped",
                    target_id=line.target.size_id,
                    request=line.level(),
                    message=f"Quantity {line.quantity} was already sent.",
                )
                continue
            to_send.append(line)
        return to_send

    def _bind_sent(self, lines: list[StockLine]) -> None:
        """Keep what a batch sent on its lines' STOCK bindings, in one transaction. (stock_set sets absolute
        levels: should this not be written, the next run sends the same levels again, nothing worse.)"""
        now = timezone.now()
        with transaction.atomic():
            existing = {
                ref.source_id: ref
                for ref in ExternalRef.objects.filter(
                    integration=self.integration,
                    kind=ExternalRef.Kind.STOCK,
                    source_id__in=[line.item.number for line in lines],
                ).only("id", "source_id")
            }
            new, changed = [], []
            for line in lines:
                values = {
                    "target_id": binding_key(line.target.size_id),
                    "checksum": self._checksum(line),
                    "data": storable_json(
                        {
                            "quantity": line.quantity,
                            "warehouse": self.shop_warehouse,
                            "variant_id": line.target.variant_id,
                            "size_name": line.target.size_name,
                        }
                    ),
                    "synced_at": now,
                }
                ref = existing.get(line.item.number)
                if ref is None:
                    new.append(
                        ExternalRef(
                            integration=self.integration,
                            kind=ExternalRef.Kind.STOCK,
                            source_id=line.item.number,
                            **values,
                        )
                    )
                else:
                    for name, value in values.items():
                        setattr(ref, name, value)
                    ref.updated_at = now
                    changed.append(ref)
            ExternalRef.objects.bulk_create(new)
            ExternalRef.objects.bulk_update(changed, ["target_id", "checksum", "data", "synced_at", "updated_at"])

    def _outcome(self, line: StockLine, changes, batch_size: int) -> Outcome:
        return Outcome(
            status="ok",
            target_id=line.target.size_id,
            request=self._request(line, batch_size),
            response={"stock_changes": list(changes or [])},
            message=f"Set {line.quantity} in shop warehouse {self.shop_warehouse} (one call for {batch_size} levels).",
        )

    def _request(self, line: StockLine, batch_size: int) -> dict:
        return {"warehouse": self.shop_warehouse, **line.level(), "batch_levels": batch_size}

    # -- placing an item the products flow has not bound --------------------------------
    def _product(self, product_number: str) -> ShopProduct | None:
        """The shop's product with this number (read once per run, kept up to date by our writes)."""
        return self._products.get(product_number)

    def _target_by_sku(self, item: ErpItem) -> Target:
        parts = sku_parts(item, self.rule)
        product = self._product(parts.product)
        variant = find_variant(product, parts.variant)
        size = find_size(variant, parts)
        if size is None:
            raise RecordFailed(
                f"Item {item.number} (SKU {parts.key}) is not in the shop yet, so its stock cannot be set: the "
                "products flow creates it; this item is retried after that."
            )
        target = Target(size_id=size.id, variant_id=variant.id, size_name=shop_size_name(size, parts))
        if not self.dry_run:
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=item.number,
                target_id=target.size_id,
                data={
                    "product": parts.product,
                    "variant": parts.variant,
                    "size": parts.size,
                    "key": parts.key,
                    "sku": size.sku,
                    "product_id": product.id,
                    "variant_id": target.variant_id,
                    "size_name": target.size_name,
                },
            )
        return target
