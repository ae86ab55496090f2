"""Stock ERP → shop for shops whose catalogue is flat articles (capability ARTICLE_WRITE).

The stock flow (Flow.STOCK) runs this instead of sync/flows/stock.py when the shop has ARTICLE_WRITE
(FlowRunner.by_shop_capability). A shop that takes a stock balance per article declares ARTICLE_STOCK;
one that cannot take stock at all (e.g. eAccounting with its stock module on, where the article's
StockBalance is read-only: visma-eaccounting-v2 ArticleApi.StockBalance) makes the run stop at once with
a message saying so, and nothing is read.

fetch: items whose availability changed since the cursor (ErpPort.stock_changed), page by page; only
       stock items inside Integration.product_filter; an item whose quantity is what was last sent
       (its STOCK binding's checksum) is left out before it becomes a record.
map:   quantity = `available` in the integration's ERP warehouses, as sync/flows/stock.py counts it
       (sum, or the first listed one; whole units, never below 0).
bind:  the item's article: its ARTICLE binding (products flow), else the shop's article with the item's
       number, bound at once. No article yet: the record fails and is retried after the products flow.
write: `article_stock_set` (absolute, safe to repeat), then the STOCK binding keeps the quantity sent.
"""

from __future__ import annotations

from collections.abc import Iterator

from config.errors import ApplicationError
from integrations.adapters import erp_for, shop_for
from sync import ports
from sync.bindings import binding_get, binding_save, checksum_of
from sync.erp import ErpItem
from sync.models import ExternalRef, Flow, Integration
from sync.record_names import record_name

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import cursor_moment, item_listing_plan, refs_for
from .product_filter import filter_of, item_skipped
from .stock_mapping import erp_warehouses, stock_quantity

PAGE_SIZE = 500


def article_stock_checksum(*, article_id: str, quantity: int) -> str:
    return checksum_of({"article": article_id, "quantity": quantity})


class ArticleStockFlow(FlowRunner):
    flow = Flow.STOCK

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        integration = self.integration
        self.shop = shop_for(integration)
        if ports.ARTICLE_STOCK not in self.shop.capabilities:
            raise ApplicationError(
                f"{integration}: {self.shop.display_name} takes no stock levels from Koppla (its articles' stock "
                "is kept by the shop itself). Switch the Stock flow of this integration off."
            )
        self.warehouses = erp_warehouses(integration)
        self.mode = integration.stock_mode
        if self.mode == Integration.StockMode.SINGLE and not self.warehouses:
            raise ApplicationError(
                f"{integration}: stock mode 'first listed warehouse only' needs the ERP warehouse listed in "
                "'Stock ERP warehouses' on the integration."
            )
        self.filter = filter_of(integration)
        self.erp = erp_for(integration)

    def _quantity(self, item: ErpItem) -> int:
        return stock_quantity(item, warehouses=self.warehouses, mode=self.mode)

    def _item(self, erp_item: ErpItem) -> SourceItem:
        return SourceItem(source_id=erp_item.number, label=record_name("item", erp_item.number), data=erp_item)

    # -- reading --------------------------------------------------------------------
    def changed_since(self, cursor: str) -> Plan:
        listed = self.erp.stock_changed(
            updated_from=cursor_moment(cursor), attributes=self.filter.needs_attributes, warehouses=self.warehouses
        )
        return item_listing_plan(
            listed,
            cursor,
            stamp=lambda item: item.availability_updated_at,
            page_items=self._unsent,
            page_size=PAGE_SIZE,
        )

    def _unsent(self, page: list[ErpItem]) -> Iterator[SourceItem]:
        """The page's stock items the filter takes whose quantity differs from the one last sent."""
        wanted = [i for i in page if i.is_stock and self.filter.matches(i)]
        sent = refs_for(
            integration=self.integration, kind=ExternalRef.Kind.STOCK, source_ids=[i.number for i in wanted]
        )
        for erp_item in wanted:
            ref = sent.get(erp_item.number)
            if ref is not None and ref.checksum == article_stock_checksum(
                article_id=ref.target_id, quantity=self._quantity(erp_item)
            ):
                continue  # this quantity was sent already
            yield self._item(erp_item)

    def fetch(self, source_id: str) -> SourceItem:
        erp_item = self.erp.item_stock_get(
            source_id, attributes=self.filter.needs_attributes, warehouses=self.warehouses
        )
        if erp_item is None:
            raise RecordFailed(f"Item {source_id} no longer exists in {self.erp.display_name}.")
        return self._item(erp_item)

    # -- one item -------------------------------------------------------------------
    def _article_id(self, erp_item: ErpItem) -> str:
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.ARTICLE, source_id=erp_item.number)
        if ref is not None:
            return ref.target_id
        article = self.shop.article_find(erp_item.number)
        if article is None:
            raise RecordFailed(
                f"Item {erp_item.number} has no article in {self.shop.display_name} yet, so its stock cannot be set: "
                "the products flow creates it; this item is retried after that."
            )
        binding_save(
            integration=self.integration, kind=ExternalRef.Kind.ARTICLE, source_id=erp_item.number, target_id=article.id
        )
        return article.id

    def process(self, item: SourceItem) -> Outcome:
        erp_item: ErpItem = item.data
        skipped = item_skipped(erp_item, self.filter, not_stock="it has no shop stock")
        if skipped is not None:
            return skipped
        quantity = self._quantity(erp_item)
        request = {"article": erp_item.number, "quantity": quantity}
        if self.dry_run:
            return Outcome(status="dry_run", request=request)
        article_id = self._article_id(erp_item)
        checksum = article_stock_checksum(article_id=article_id, quantity=quantity)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.STOCK, source_id=erp_item.number)
        if ref is not None and ref.checksum == checksum:
            return Outcome(
                status="skipped",
                target_id=article_id,
                request=request,
                message=f"Quantity {quantity} was already sent.",
            )
        self.shop.article_stock_set(article_id, quantity=quantity)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.STOCK,
            source_id=erp_item.number,
            target_id=article_id,
            data={"quantity": quantity},
            checksum=checksum,
        )
        return Outcome(
            status="ok",
            target_id=article_id,
            request=request,
            message=f"Set the stock balance of article {erp_item.number} to {quantity}.",
        )
