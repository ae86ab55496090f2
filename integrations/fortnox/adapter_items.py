"""FortnoxErp's items, stock and documents-out part (mixed into integrations/fortnox/adapter.py).

Articles → ErpItem: the article's EAN, sales price, `Active`, and its stock: DisposableQuantity
(in stock less reserved) under the warehouse id "default" (the article's own stock; stock points
of the warehouse module are read with FortnoxClient.stock_balance). Whether an article is stocked is
`StockGoods` (or `Type` "STOCK"/"SERVICE") of the full article: the list leaves those out in the spec,
so an article listed without them is read in full. Invoices and credit invoices → ErpDocument
(payloads.document_from_fortnox); a list is narrowed to credit invoices or debit ones with `credit`.

Stock points: when the integration lists stock point codes of the warehouse module (Fortnox Lager)
in its ERP warehouses ("Stock ERP warehouses"), stock_changed and item_stock_get read each listed
article's `availableStock` per stock point from the stock balance instead of the article's own
stock: one balance call per batch of BALANCE_BATCH articles of a listing page, never one per article.
ErpItem.warehouses then holds every stock point the article has a balance at, the listed ones at 0
where it has none (the stock flow sums them or takes the first, per stock_mode). Which articles
changed is still the articles' `lastmodified` (ASSUMPTION: a balance change touches the article,
whose QuantityInStock follows its stock points; the sandbox does so); the stock flow then sends only
levels that differ from what it sent. An article with a balance row is stocked; one without any is
read in full to learn StockGoods. The listed codes are checked against the company's stock points
first; a company without the warehouse module answers Fortnox's licence error (2001101), raised as a
ConfigurationError naming the setting to clear.

Change stamps: Fortnox gives articles and invoices no change time (spec fortnox-v3 has none), only
the `lastmodified` filter, in Swedish local time (Europe/Stockholm, client.FORTNOX_TIME_ZONE). So a
record without a stamp of its own carries the moment its listing began, in that same local time
("YYYY-MM-DDTHH:MM:SS", naive). It changed at or before that moment, so a cursor at it loses
nothing: the next run asks for `lastmodified` from it (less the flows' overlap, which also covers a
difference between our clock and Fortnox's). A record read alone carries the moment it was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import islice

from django.utils import timezone

from integrations.http import ConfigurationError, NotFound, RemoteError
from sync.erp import CREDIT_NOTE, ErpDocument, ErpItem

from .client import FORTNOX_TIME_ZONE
from .errors import LICENCE_FOR_SCOPE
from .payloads import document_from_fortnox, flag

DEFAULT_WAREHOUSE = "default"
STAMPS = ("LastModified", "@LastModified", "LastUpdated", "@LastUpdated")
BALANCE_BATCH = 100  # articles per stock balance call (their numbers travel in the query string)
STOCK_POINTS_SETTING = "Stock ERP warehouses"


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

    def stock_changed(
        self, *, updated_from: datetime | None, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> Iterator[ErpItem]:
        """Articles changed since `updated_from` with their stock: per stock point when `warehouses` lists
        stock point codes (see the module docstring), else the article's own (warehouse "default")."""
        if not warehouses:
            return self.items_changed(updated_from=updated_from)
        return self._stock_point_items(self.client.article_list(modified_since=updated_from), list(warehouses))

    def item_stock_get(
        self, number: str, *, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> ErpItem | None:
        if not warehouses:
            return self.item_get(number)
        try:
            node = self.client.article_get(number)
        except NotFound:
            return None
        return next(self._stock_point_items([node], list(warehouses)), None)

    # -- stock points (warehouse module) ------------------------------------------------
    def _stock_point_items(self, nodes: Iterable[dict], points: list[str]) -> Iterator[ErpItem]:
        listed_at = fortnox_now()
        self._stock_points_check(points)
        nodes = iter(nodes)
        while page := list(islice(nodes, BALANCE_BATCH)):
            numbers = [str(node.get("ArticleNumber") or "") for node in page]
            balances = self._balances(numbers, points)
            for node, number in zip(page, numbers, strict=True):
                held = balances.get(number)
                if held is None and is_stocked(node) is None:
                    node = self._full(node)
                item = erp_item_from_fortnox(node, listed_at=listed_at)
                stocked = held is not None or item.is_stock
                levels = {point: Decimal(0) for point in points} | (held or {})
                yield replace(item, is_stock=stocked, warehouses=levels if stocked else {})

    def _balances(self, numbers: list[str], points: list[str]) -> dict[str, dict[str, Decimal]]:
        """{article number: {stock point code: available}} for the articles that have any balance row."""
        out: dict[str, dict[str, Decimal]] = {}
        for row in self._warehouse_call(points, self.client.stock_balance, numbers):
            available = _decimal(row.get("availableStock"))
            out.setdefault(str(row.get("itemId") or ""), {})[str(row.get("stockPointCode") or "")] = (
                available if available is not None else Decimal(0)
            )
        return out

    def _stock_points_check(self, points: list[str]) -> None:
        """ConfigurationError when a listed code is not one of the company's active stock points."""
        known = {str(p.get("code") or "") for p in self._warehouse_call(points, self.client.stock_points)}
        unknown = [point for point in points if point not in known]
        if unknown:
            raise ConfigurationError(
                f"Fortnox has no active stock point {', '.join(unknown)} (its stock points: "
                f"{', '.join(sorted(known)) or 'none'}): correct the codes in '{STOCK_POINTS_SETTING}' on the "
                "integration, or clear it to send the articles' own stock.",
                system="fortnox",
            )

    @staticmethod
    def _warehouse_call(points: list[str], call, *args):
        try:
            return call(*args)
        except RemoteError as exc:
            if getattr(exc, "code", None) != LICENCE_FOR_SCOPE:
                raise
            raise ConfigurationError(
                f"The Fortnox company has no warehouse module (Fortnox Lager), so the stock of stock points "
                f"{', '.join(points)} cannot be read: clear '{STOCK_POINTS_SETTING}' on the integration to send "
                f"the articles' own stock, or activate Fortnox Lager for the company (Fortnox code "
                f"{exc.code}: {exc.message}).",
                system="fortnox",
                status=exc.status,
                method=exc.method,
                url=exc.url,
                body=exc.body,
            ) from exc

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
