"""Visma eAccounting as a ShopPort (sync/ports.py): an order source of orders, credit invoices and customers.

Reading a record is reading.py's (pure); this module decides what to read and in which order:
- Orders (/orders) changed since a moment, in ModifiedUtc order, kept to the integration's statuses
  (Draft, Ongoing, Shipped, Invoiced) and creation date; each with its customer (/customers/{id},
  read once per adapter).
- Paid (capability ORDER_PAID): eAccounting has no paid order status (api-notes § B). An order is paid
  when it is Invoiced and every customer invoice made from it (CustomerInvoiceApi.CreatedFromOrderId, or
  a collective invoice's CollectiveCustomerInvoiceRowsRelationToOrders[].OrderId; credit invoices aside)
  has PaymentStatus 0 (Paid). The invoices are read in pages (/customerinvoices, modifiedSinceUtc), never
  one call per order: an invoice is made from an order after the order was created, so the invoices
  modified since the earliest creation among the orders in hand hold all of theirs (InvoiceIndex).
  With `paid_only`, an order whose invoice was paid (modified) inside the window though the order itself
  was not changed is listed too, first (its stamp is older than the window, so the run's cursor stays put
  until it is done); an order not paid is not listed.
- The currency rate: 1 for an order in the company's currency (/companysettings CurrencyCode), else the
  CurrencyRate of the invoice made from it (the order carries none), else None.
- Refunds: credit invoices (IsCreditInvoice) changed since a moment, each as the refund of the order the
  credited invoice (ReferringInvoiceId) was made from.
- Customers (/customers) changed since a moment (ChangedUtc); company or private person (IsPrivatePerson).
The catalogue (articles) is another mixin's; products, variants and sizes (Centra's catalogue) eAccounting
does not have: those ShopPort methods refuse with ConfigurationError, and the capabilities say so first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from integrations.adapters import BodyFinishing
from integrations.clients import client_for
from integrations.http import ConfigurationError
from integrations.models import Connection
from sync import ports
from sync.flows.base import RecordFailed
from sync.shop import ShopCustomer, ShopOrder, ShopRefund, Unreadable

from .adapter_catalogue import EAccountingCatalogue
from .reading import (
    DEFAULT_FREIGHT_ARTICLES,
    INVOICED,
    PAID,
    STATUSES,
    customer_from_eaccounting,
    order_from_eaccounting,
    refund_from_eaccounting,
    text,
)


def stamp_of(value: Any) -> datetime | None:
    """An eAccounting UTC stamp ("2026-03-02T10:00:00Z", with or without fractions or offset) as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _aware(moment: datetime | date | None) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time.min, tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def status_name(value: Any) -> str | None:
    """The name of an OrderApi.Status (4 → "Invoiced"); None for anything that is not one."""
    return STATUSES.get(value) if isinstance(value, int) and not isinstance(value, bool) else None


def freight_articles() -> frozenset[str]:
    """Article numbers whose rows are an order's freight (setting EACCOUNTING_FREIGHT_ARTICLES, comma-separated)."""
    value = getattr(settings, "EACCOUNTING_FREIGHT_ARTICLES", None)
    names = value.split(",") if isinstance(value, str) else (value or DEFAULT_FREIGHT_ARTICLES)
    return frozenset(str(name).strip().upper() for name in names if str(name).strip())


def _unreadable(node: Any, what: str, message: str, *, id_key: str, stamp_key: str) -> Unreadable:
    raw = node if isinstance(node, dict) else {}
    stamp = raw.get(stamp_key)
    return Unreadable(
        what=what,
        source_id=str(raw.get(id_key) or raw.get("Id") or "")[:100] or "(unknown)",
        message=message,
        cursor=stamp if isinstance(stamp, str) else "",
    )


class InvoiceIndex:
    """What the customer invoices say about the orders they were made from, read a listing at a time.

    `covered_from` is the modification time from which every invoice is held (None: all of them)."""

    def __init__(self, read: Callable[[datetime | None], Iterable[dict]]):
        self.read = read
        self.loaded = False
        self.covered_from: datetime | None = None
        self.by_order: dict[str, dict[str, dict]] = {}  # order id → invoice id → invoice summary
        self.by_id: dict[str, dict] = {}  # invoice id → summary (credit invoices too)

    def cover(self, since: datetime | None) -> None:
        """Hold every invoice modified at or after `since` (None: every invoice)."""
        if self.loaded and (self.covered_from is None or (since is not None and since >= self.covered_from)):
            return
        for invoice in self.read(since):
            self.add(invoice)
        self.loaded, self.covered_from = True, since

    def add(self, invoice: dict) -> None:
        if not isinstance(invoice, dict) or not invoice.get("Id"):
            return
        summary = {
            "id": text(invoice.get("Id")),
            "number": text(invoice.get("InvoiceNumber")),
            "credit": bool(invoice.get("IsCreditInvoice")),
            "payment_status": invoice.get("PaymentStatus"),
            "currency_rate": invoice.get("CurrencyRate"),
            "modified": stamp_of(invoice.get("ModifiedUtc")),
            "created": stamp_of(invoice.get("CreatedUtc")),
            "order_ids": self.orders_of(invoice),
        }
        self.by_id[summary["id"]] = summary
        if not summary["credit"]:
            for order_id in summary["order_ids"]:
                self.by_order.setdefault(order_id, {})[summary["id"]] = summary

    @staticmethod
    def orders_of(invoice: dict) -> list[str]:
        """The ids of the orders an invoice was made from (one, or several for a collective invoice)."""
        ids = [text(invoice.get("CreatedFromOrderId"))]
        for relation in invoice.get("CollectiveCustomerInvoiceRowsRelationToOrders") or []:
            if isinstance(relation, dict):
                ids.append(text(relation.get("OrderId")))
        return list(dict.fromkeys(i for i in ids if i))

    def invoices_of(self, order_id: str) -> list[dict]:
        return list(self.by_order.get(order_id, {}).values())

    def paid(self, order_id: str) -> bool:
        invoices = self.invoices_of(order_id)
        return bool(invoices) and all(i["payment_status"] == PAID for i in invoices)

    def changed_orders(self, *, since: datetime, created_before: datetime) -> list[tuple[datetime, str]]:
        """(invoice stamp, order id) of orders whose invoice changed at or after `since` though it was made
        before `created_before`, oldest change first."""
        found: dict[str, datetime] = {}
        for order_id, invoices in self.by_order.items():
            for invoice in invoices.values():
                modified, created = invoice["modified"], invoice["created"]
                if modified and modified >= since and (created is None or created < created_before):
                    found[order_id] = min(found.get(order_id, modified), modified)
        return sorted((moment, order_id) for order_id, moment in found.items())


class NoProductCatalogue:
    """Centra's product → variant → size catalogue, which eAccounting does not have (capabilities say so)."""

    def _no_catalogue(self, *args, **kwargs):
        raise ConfigurationError(
            "Visma eAccounting has no products, variants or sizes: its catalogue is articles (capability "
            "article_write), so this call is not made to it.",
            system="eaccounting",
        )

    product_find = products_list = product_create = product_update = _no_catalogue
    variant_create = variant_update = size_create = size_update = price_set = _no_catalogue
    stock_set = warehouses = order_attributes_set = order_attributes_get = _no_catalogue


class EAccountingShop(EAccountingCatalogue, NoProductCatalogue, BodyFinishing):
    system = "eaccounting"
    display_name = "Visma eAccounting"
    capabilities = frozenset({ports.ORDER_PAID, ports.ARTICLE_WRITE, ports.ARTICLE_STOCK, ports.CUSTOMER_WRITE})
    call_floor = ports.CallFloor(
        order=0,  # orders come in listing pages ($pagesize), with their customers
        new_customer=0,
        credit_note=1,  # the credited order, read by id
        per_run=("GET /v2/orders changed, by page", "GET /v2/customerinvoices by page (paid status, credit invoices)"),
        note="600 calls a minute per endpoint: the order listing and the invoice listing have their own budgets.",
    )

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)
        self.freight = freight_articles()
        self._customers: dict[str, dict | None] = {}
        self._base_currency: str | None = None
        self._invoices: InvoiceIndex | None = None

    # -- what orders need ------------------------------------------------------------
    def _customer(self, customer_id: str) -> dict | None:
        if customer_id not in self._customers:
            self._customers[customer_id] = self.client.customer_get(customer_id) if customer_id else None
        return self._customers[customer_id]

    @property
    def base_currency(self) -> str:
        if self._base_currency is None:
            self._base_currency = text(self.client.company_settings().get("CurrencyCode")).upper()
        return self._base_currency

    def _index(self) -> InvoiceIndex:
        """The adapter's invoice index (an adapter lives for one run: what it read stays valid for it)."""
        if self._invoices is None:
            self._invoices = InvoiceIndex(lambda since: self.client.invoice_list(modified_since=since))
        return self._invoices

    def _rate(self, currency: str, invoices: list[dict]) -> Decimal | None:
        if currency and currency == self.base_currency:
            return Decimal(1)
        rates = {str(i["currency_rate"]) for i in invoices if i["currency_rate"] not in (None, "")}
        if len(rates) != 1:
            return None
        try:
            rate = Decimal(rates.pop())
        except (InvalidOperation, ValueError):
            return None
        return rate if rate.is_finite() and rate > 0 else None

    def _order(self, node: Any, index: InvoiceIndex) -> ShopOrder | Unreadable:
        """The order of `node` with its customer, paid state and rate; Unreadable when it cannot be read."""
        try:
            if not isinstance(node, dict):
                raise RecordFailed(f"An order from eAccounting is {str(node)[:60]!r}, not a record.")
            order_id, customer_id = text(node.get("Id")), text(node.get("CustomerId"))
            customer = self._customer(customer_id)
            if customer is None:
                raise RecordFailed(
                    f"Order {text(node.get('Number')) or order_id} cannot be read: its customer {customer_id or '(none)'} "
                    "is not in eAccounting. Check the order in eAccounting, then resync."
                )
            invoiced = status_name(node.get("Status")) == INVOICED
            if invoiced and order_id not in index.by_order:
                # its invoices were all made, so modified, after the order was created
                index.cover(stamp_of(node.get("CreatedUtc")) or stamp_of(node.get("OrderDate")))
            invoices = index.invoices_of(order_id)
            return order_from_eaccounting(
                node,
                customer=customer,
                paid=index.paid(order_id) if invoiced else False,
                currency_rate=self._rate(text(node.get("CurrencyCode")).upper(), invoices),
                freight=self.freight,
            )
        except RecordFailed as exc:
            return _unreadable(node, "order", exc.message, id_key="Number", stamp_key="ModifiedUtc")

    @staticmethod
    def _wanted(node: Any, statuses: set[str], created_from: date | None) -> bool:
        """Whether a listed order is in the statuses and from the creation date asked (unreadable ones are)."""
        if not isinstance(node, dict):
            return True
        status = status_name(node.get("Status"))
        if status is None:
            return True  # yielded as Unreadable: it says why
        if statuses and status not in statuses:
            return False
        created = text(node.get("CreatedUtc")) or text(node.get("OrderDate"))
        return not (created_from and created and created[:10] < created_from.isoformat())

    # -- orders ---------------------------------------------------------------------
    def orders_changed(
        self,
        *,
        statuses: list[str],
        created_from: date | None,
        updated_from: datetime | None,
        paid_only: bool = False,
    ) -> Iterable[ShopOrder | Unreadable]:
        """Orders modified at or after `updated_from` (created on or after `created_from`), oldest change first.

        Without `updated_from` orders modified since `created_from` are read (one created after it was
        modified after it too). `paid_only`: only orders paid by the invoices made from them (module docstring)."""
        since = _aware(updated_from) or _aware(created_from)
        wanted = set(statuses or ())

        def listing() -> Iterator[ShopOrder | Unreadable]:
            index = self._index()
            index.cover(since)
            seen: set[str] = set()
            if paid_only and updated_from is not None:
                for node in self._paid_since(index, since):
                    seen.add(text(node.get("Id")))
                    if self._wanted(node, wanted, created_from):
                        yield from self._kept(self._order(node, index), paid_only)
            for node in self.client.order_list(modified_since=since):
                order_id = text(node.get("Id")) if isinstance(node, dict) else ""
                if order_id in seen or not self._wanted(node, wanted, created_from):
                    continue
                seen.add(order_id)
                yield from self._kept(self._order(node, index), paid_only)

        return listing()

    def _paid_since(self, index: InvoiceIndex, since: datetime) -> list[dict]:
        """Orders not changed since `since` whose invoice was (made before and) changed since then, e.g. paid:
        one read each, oldest order stamp first (their stamps are before the window: the cursor stays put)."""
        found = []
        for _moment, order_id in index.changed_orders(since=since, created_before=since):
            node = self.client.order_get(order_id)
            modified = stamp_of(node.get("ModifiedUtc")) if isinstance(node, dict) else None
            if isinstance(node, dict) and modified is not None and modified < since:
                found.append((modified, order_id, node))  # else gone, or listed with the orders changed since
        return [node for _modified, _id, node in sorted(found, key=lambda item: item[:2])]

    @staticmethod
    def _kept(order: ShopOrder | Unreadable, paid_only: bool) -> list[ShopOrder | Unreadable]:
        return [] if paid_only and isinstance(order, ShopOrder) and order.paid is not True else [order]

    def order_get(self, number: str) -> ShopOrder | Unreadable | None:
        """The order with this Number (an order's Id is taken too)."""
        key = str(number).strip()
        node = self.client.order_find(key) if key.isdigit() else self.client.order_get(key)
        if node is None:
            return None
        return self._order(node, self._index())

    # -- refunds (credit invoices) ------------------------------------------------------
    def _order_number_of(self, credit: dict, index: InvoiceIndex) -> str:
        """The Number of the order whose invoice `credit` credits; RecordFailed saying why when there is none."""
        what = f"Credit invoice {text(credit.get('InvoiceNumber')) or text(credit.get('Id'))}"
        credited_id = text(credit.get("ReferringInvoiceId"))
        if not credited_id:
            raise RecordFailed(f"{what} names no credited invoice (ReferringInvoiceId): credit it in the ERP by hand.")
        credited = index.by_id.get(credited_id)
        if credited is None:
            invoice = self.client.invoice_get(credited_id)
            if invoice is None:
                raise RecordFailed(f"{what} credits invoice {credited_id}, which is not in eAccounting.")
            index.add(invoice)
            credited = index.by_id[credited_id]
        if len(credited["order_ids"]) != 1:
            made = "several orders" if credited["order_ids"] else "no order"
            raise RecordFailed(
                f"{what} credits invoice {credited['number'] or credited_id}, which was made from {made}: Koppla "
                "credits what it invoiced for one order, so credit this one in the ERP by hand."
            )
        order = self.client.order_get(credited["order_ids"][0])
        if order is None or order.get("Number") is None:
            raise RecordFailed(
                f"{what}: the order of invoice {credited['number'] or credited_id} is not in eAccounting."
            )
        return text(order.get("Number"))

    def _refund(self, node: Any, index: InvoiceIndex) -> ShopRefund | Unreadable:
        try:
            if not isinstance(node, dict):
                raise RecordFailed(f"A credit invoice from eAccounting is {str(node)[:60]!r}, not a record.")
            return refund_from_eaccounting(node, order_number=self._order_number_of(node, index), freight=self.freight)
        except RecordFailed as exc:
            return _unreadable(node, "refund", exc.message, id_key="Id", stamp_key="ModifiedUtc")

    def refunds_changed(self, *, updated_from: datetime | None) -> Iterable[ShopRefund | Unreadable]:
        """Credit invoices modified at or after `updated_from`, oldest change first."""

        def listing() -> Iterator[ShopRefund | Unreadable]:
            index = self._index()
            for node in self.client.invoice_list(modified_since=_aware(updated_from)):
                index.add(node)
                if isinstance(node, dict) and node.get("IsCreditInvoice"):
                    yield self._refund(node, index)

        return listing()

    def refund_get(self, refund_id: str) -> ShopRefund | Unreadable | None:
        node = self.client.invoice_get(refund_id)
        if node is None or not node.get("IsCreditInvoice"):
            return None
        return self._refund(node, self._index())

    # -- customers ----------------------------------------------------------------------
    def _shop_customer(self, node: Any) -> ShopCustomer | Unreadable:
        try:
            if not isinstance(node, dict):
                raise RecordFailed(f"A customer from eAccounting is {str(node)[:60]!r}, not a record.")
            return customer_from_eaccounting(node)
        except RecordFailed as exc:
            return _unreadable(node, "customer", exc.message, id_key="Id", stamp_key="ChangedUtc")

    def customers_changed(self, *, updated_from: datetime | None) -> Iterable[ShopCustomer | Unreadable]:
        """Customers changed at or after `updated_from` (ChangedUtc), oldest change first."""
        return (self._shop_customer(n) for n in self.client.customer_list(changed_since=_aware(updated_from)))

    def customer_get(self, customer_id: str) -> ShopCustomer | Unreadable | None:
        node = self.client.customer_get(customer_id)
        return None if node is None else self._shop_customer(node)
