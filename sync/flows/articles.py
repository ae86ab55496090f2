"""Products ERP → shop for shops whose catalogue is flat articles (capability ARTICLE_WRITE).

The products flow (Flow.PRODUCTS) runs this instead of sync/flows/products.py when the shop has
ARTICLE_WRITE (FlowRunner.by_shop_capability): one article per ERP stock item, its number the item
number (the SKU), so no SKU rule is needed.

fetch: stock items changed since the cursor (ErpPort.items_changed with attributes), page by page.
       Items outside Integration.product_filter (sync/flows/product_filter.py) and items whose
       article fields did not change since they were sent (checksum on their ARTICLE binding) are
       left out before they become records.
map:   item → neutral article fields (`article_fields`: name, description, price = the ERP's
       default price net of VAT in the ERP's base currency, active, unit, ean, vat_rate = today's rate
       of the item's VAT category, read once per run from ErpPort.vat_categories).
bind:  ARTICLE binding (item number → article id), else the shop's article with that number
       (`article_find`), bound at once. Crash after a create: the next attempt finds it by number.
write: a missing article is created with every field and bound right after; an item that is not
       Active and not bound yet is not created (nor looked up). An existing article gets only the fields ticked on the integration
       (update_product_name / _description / _price / _ean) and only where they differ; active and unit
       are set when it is created and left to the shop afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from integrations.adapters import erp_for, shop_for
from sync.bindings import binding_get, binding_save, checksum_of
from sync.erp import ErpItem
from sync.models import ExternalRef, Flow
from sync.record_names import record_name
from sync.shop import ShopArticle

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .paging import cursor_moment, item_listing_plan, refs_for
from .product_filter import filter_of, item_skipped
from .product_mapping import fields_to_send, is_active, price_currency, ticked_fields

PAGE_SIZE = 500
# Fields an existing article gets when ticked (Integration flags, product_mapping.TICK_FLAGS).
UPDATABLE = ("name", "description", "price", "ean")


# --------------------------------------------------------------------------- mapping (pure)
def rate_today(rates: tuple[tuple[str, Decimal], ...], today: str) -> Decimal | None:
    """The rate (percent) in force on `today` (YYYY-MM-DD) of a VatCategory's history, or None."""
    rate = None
    for start, value in rates:
        if start[:10] <= today:
            rate = value
    return rate


def article_fields(item: ErpItem, *, currency: str, vat_rates: dict[str, Decimal] | None = None) -> dict:
    """The neutral article fields (sync.shop.ARTICLE_FIELDS) of an ERP item. `price` is the item's
    default price (net of VAT, Decimal) in `currency`, the ERP's base currency; None when it has none.
    `vat_rate` is the rate in force today of the item's VAT category (`vat_rates`: category → percent)."""
    return {
        "name": item.description or item.number,
        "description": item.body,
        "price": item.price,
        "currency": currency if item.price is not None else "",
        "active": is_active(item),
        "unit": item.unit,
        "ean": item.ean,
        "vat_rate": (vat_rates or {}).get(item.vat_category),
    }


def article_checksum(fields: dict, ticked: set[str]) -> str:
    """Hash of what an article gets and of which fields may be updated: unchanged, nothing to do.
    (Ticking a field later changes it, so every article is looked at again once.)"""
    return checksum_of({"fields": fields, "ticked": sorted(ticked)})


def article_changes(current: ShopArticle, desired: dict, ticked: set[str]) -> dict:
    """The ticked fields of `desired` that differ from the shop's article (prices compared as amounts)."""
    changes = fields_to_send(current.fields(), {k: v for k, v in desired.items() if k in UPDATABLE}, ticked)
    if "price" in changes and desired.get("currency"):
        changes["currency"] = desired["currency"]
    return changes


# --------------------------------------------------------------------------- the flow
class ArticlesFlow(FlowRunner):
    flow = Flow.PRODUCTS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.filter = filter_of(self.integration)
        self.ticked = ticked_fields(self.integration)
        self.currency = price_currency(self.integration)
        self.erp = erp_for(self.integration)
        self.shop = shop_for(self.integration)
        self._rates: dict[str, Decimal] | None = None

    # -- reading --------------------------------------------------------------------
    def _vat_rates(self) -> dict[str, Decimal]:
        """The ERP's VAT categories and their rates today (read once per run, when an item names one)."""
        if self._rates is None:
            today = timezone.localdate().isoformat()
            self._rates = {c.id: rate_today(c.rates, today) for c in self.erp.vat_categories()}
        return self._rates

    def _fields(self, item: ErpItem) -> dict:
        rates = self._vat_rates() if item.vat_category else None
        return article_fields(item, currency=self.currency, vat_rates=rates)

    def _item(self, erp_item: ErpItem) -> SourceItem:
        return SourceItem(source_id=erp_item.number, label=record_name("item", erp_item.number), data=erp_item)

    def changed_since(self, cursor: str) -> Plan:
        listed = self.erp.items_changed(updated_from=cursor_moment(cursor), attributes=True)
        # The ERP lists by item number, not by change: the cursor moves once the listing is read.
        return item_listing_plan(
            listed, cursor, stamp=lambda item: item.updated_at, page_items=self._unsent, page_size=PAGE_SIZE
        )

    def _unsent(self, page: list[ErpItem]) -> Iterator[SourceItem]:
        """The page's stock items the filter takes whose article fields changed since they were sent."""
        wanted = [i for i in page if i.is_stock and self.filter.matches(i)]
        synced = refs_for(
            integration=self.integration, kind=ExternalRef.Kind.ARTICLE, source_ids=[i.number for i in wanted]
        )
        for erp_item in wanted:
            ref = synced.get(erp_item.number)
            if ref is not None and ref.checksum == article_checksum(self._fields(erp_item), self.ticked):
                continue  # nothing the article gets changed since it was sent
            yield self._item(erp_item)

    def fetch(self, source_id: str) -> SourceItem:
        erp_item = self.erp.item_get(source_id)
        if erp_item is None:
            raise RecordFailed(f"Item {source_id} no longer exists in {self.erp.display_name}.")
        return self._item(erp_item)

    # -- one item -------------------------------------------------------------------
    def process(self, item: SourceItem) -> Outcome:
        erp_item: ErpItem = item.data
        skipped = item_skipped(erp_item, self.filter, not_stock="it is not an article")
        if skipped is not None:
            return skipped
        fields = self._fields(erp_item)
        request = self.shop.article_request(number=erp_item.number, fields=fields)
        if self.dry_run:
            return Outcome(status="dry_run", request=request)
        self.payload = request
        checksum = article_checksum(fields, self.ticked)
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.ARTICLE, source_id=erp_item.number)
        if ref is None and not fields["active"]:
            return Outcome(
                status="skipped",
                request=request,
                message=f"Item {erp_item.number} is {erp_item.status} in {self.erp.display_name}: "
                "no article is created for it.",
            )
        article = self.shop.article_find(erp_item.number)
        if article is None and ref is not None:
            raise RecordFailed(
                f"Item {erp_item.number} was sent to {self.shop.display_name} as article {ref.target_id}, but the "
                f"shop has no article {erp_item.number} any more (deleted or renumbered there). Restore it in the "
                "shop, or delete the binding under Sync › External references so that Koppla creates it again."
            )
        if article is not None and ref is not None and article.id != ref.target_id:
            raise RecordFailed(
                f"Item {erp_item.number} is bound to article {ref.target_id}, but the shop's article with number "
                f"{erp_item.number} is {article.id}. Fix the article number in the shop, or delete the binding under "
                "Sync › External references."
            )
        if article is None:
            return self._create(erp_item, fields, request, checksum)
        return self._update(erp_item, article, fields, request, checksum, found=ref is None)

    def _create(self, erp_item: ErpItem, fields: dict, request: dict, checksum: str) -> Outcome:
        article = self.shop.article_create(number=erp_item.number, fields=fields)
        # Committed right after the create, before anything else can fail.
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.ARTICLE,
            source_id=erp_item.number,
            target_id=article.id,
            checksum=checksum,
        )
        return Outcome(
            status="ok",
            target_id=article.id,
            request=request,
            response={"article": article.id},
            message=f"Created article {erp_item.number}.",
        )

    def _update(
        self, erp_item: ErpItem, article: ShopArticle, fields: dict, request: dict, checksum: str, *, found: bool
    ) -> Outcome:
        if found:  # made earlier (by hand, or by a run that stopped before binding it): bound now
            binding_save(
                integration=self.integration,
                kind=ExternalRef.Kind.ARTICLE,
                source_id=erp_item.number,
                target_id=article.id,
            )
        changes = article_changes(article, fields, self.ticked)
        if changes:
            self.shop.article_update(article.id, fields=changes)
        binding_save(
            integration=self.integration,
            kind=ExternalRef.Kind.ARTICLE,
            source_id=erp_item.number,
            target_id=article.id,
            checksum=checksum,
        )
        how = "found by its number and bound; " if found else ""
        done = f"updated {', '.join(sorted(k for k in changes if k != 'currency'))}" if changes else "up to date"
        return Outcome(
            status="ok" if changes or found else "skipped",
            target_id=article.id,
            request={"mapped": request, "sent": changes} if changes else request,
            response={"article": article.id},
            message=f"Article {erp_item.number}: {how}{done}.",
        )
