"""FortnoxErp's items, stock and documents-out part (mixed into integrations/fortnox/adapter.py).

Articles → ErpItem: the article's EAN, sales price, `Active`, and its stock: DisposableQuantity
(in stock less reserved) under the warehouse id "default" (the article's own stock; stock points
of the warehouse module are read with FortnoxClient.stock_balance). Whether an article is stocked is
`StockGoods` (or `Type` "STOCK"/"SERVICE") of the full article: the list leaves those out in the spec,
so an article listed without them is read in full. Invoices and credit invoices → ErpDocument
(payloads.document_from_fortnox); a list is narrowed to credit invoices or debit ones with `credit`.

Change stamps: Fortnox gives articles and invoices no change time (spec fortnox-v3 has none), only
the `lastmodified` filter, in Swedish local time (Europe/Stockholm, client.FORTNOX_TIME_ZONE). So a
record without a stamp of its own carries the moment its listing began, in that same local time
("YYYY-MM-DDTHH:MM:SS", naive). It changed at or before that moment, so a cursor at it loses
nothing: the next run asks for `lastmodified` from it (less the flows' overlap, which also covers a
difference between our clock and Fortnox's). A record read alone carries the moment it was read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from integrations.http import NotFound
from sync.erp import CREDIT_NOTE, ErpDocument, ErpItem

from .client import FORTNOX_TIME_ZONE
from .payloads import document_from_fortnox, flag

DEFAULT_WAREHOUSE = "default"
STAMPS = ("LastModified", "@LastModified", "LastUpdated", "@LastUpdated")


def fortnox_now() -> str:
    """Now in Fortnox's local time, naive, to the second ("2026-11-20T10:15:00"): a listing's stamp."""
    return timezone.now().astimezone(FORTNOX_TIME_ZONE).replace(tzinfo=None).isoformat(timespec="seconds")


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def stamp(node: dict) -> str:
    return next((str(node[key]) for key in STAMPS if node.get(key)), "")


def is_stocked(node: dict) -> bool | None:
    """True/False from StockGoods or Type; None when the record does not say (a list item)."""
    if "StockGoods" in node:
        return flag(node.get("StockGoods"))
    if node.get("Type"):
        return str(node["Type"]).upper() == "STOCK"
    return None


def erp_item_from_fortnox(node: dict, *, listed_at: str = "") -> ErpItem:
    """An article as an ErpItem; `listed_at` stamps it when the article has no stamp of its own."""
    available = _decimal(node.get("DisposableQuantity"))
    if available is None:
        available = _decimal(node.get("QuantityInStock")) or Decimal(0)
    stocked = is_stocked(node)
    updated = stamp(node) or listed_at
    return ErpItem(
        number=str(node.get("ArticleNumber") or ""),
        description=str(node.get("Description") or ""),
        body=str(node.get("Note") or ""),
        price=_decimal(node.get("SalesPrice")),
        ean=str(node.get("EAN") or "").strip(),
        status="Active" if node.get("Active", True) is not False else "Inactive",
        updated_at=updated,
        warehouses={DEFAULT_WAREHOUSE: available} if stocked is not False else {},
        is_stock=stocked is not False,
        availability_updated_at=updated,
    )


class FortnoxItems:
    client = None  # the FortnoxClient, set by FortnoxErp

    def _full(self, node: dict) -> dict:
        return node if is_stocked(node) is not None else self.client.article_get(str(node.get("ArticleNumber")))

    # -- items and stock ----------------------------------------------------------------
    def items_changed(self, *, updated_from: datetime | None, attributes: bool = True) -> Iterator[ErpItem]:
        listed_at = fortnox_now()
        for node in self.client.article_list(modified_since=updated_from):
            yield erp_item_from_fortnox(self._full(node), listed_at=listed_at)

    def item_get(self, number: str) -> ErpItem | None:
        try:
            return erp_item_from_fortnox(self.client.article_get(number), listed_at=fortnox_now())
        except NotFound:
            return None

    def stock_changed(self, *, updated_from: datetime | None, attributes: bool = False) -> Iterator[ErpItem]:
        return self.items_changed(updated_from=updated_from)

    def item_stock_get(self, number: str, *, attributes: bool = False) -> ErpItem | None:
        return self.item_get(number)

    # -- documents out -------------------------------------------------------------------
    def documents_changed(self, kind: str, *, updated_from: datetime | None) -> Iterator[ErpDocument]:
        credit = kind == CREDIT_NOTE
        listed_at = fortnox_now()
        for node in self.client.invoice_list(modified_since=updated_from, credit=credit):
            if "Credit" in node and flag(node["Credit"]) != credit:
                continue
            document = document_from_fortnox(kind, node)
            yield document if document.updated_at else replace(document, updated_at=listed_at)

    def document_get(self, kind: str, number: str) -> ErpDocument | None:
        try:
            document = document_from_fortnox(kind, self.client.invoice_get(number))
            return document if document.updated_at else replace(document, updated_at=fortnox_now())
        except NotFound:
            return None
