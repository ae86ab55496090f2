"""Centra as a ShopPort (sync/ports.py): GraphQL answers → neutral shop records, neutral writes → mutations.

Reading (pure, no I/O): Centra GraphQL nodes → the records of sync/shop.py.
Centra's money: MonetaryValue {value} (numbers, Decimal after parsing).
Direct-to-consumer orders show prices including VAT (totals.taxIncluded);
wholesale orders show them excluding VAT (totals.taxAdded). Order lines carry
the per-unit price after discount (unitPrice), before it (unitOriginalPrice)
and the line as charged (lineValue = unitPrice × quantity).
The order's currency rate is grandTotal.conversionRate: ASSUMPTION (Centra names the
field without its direction) units of the shop's base currency per 1 unit of the
order's currency, value × conversionRate = the value in the base currency; absent
or null → no rate (currency_rate None); zero, negative or not a number → the order
cannot be read.

Text is taken through config.storable (a NUL character or a lone surrogate
in an address line is dropped: it is never meant, and no ERP or database
should get it). A value of the wrong type (a quantity "abc", a line without
its price) raises RecordFailed naming the record, the field and the value;
the listings yield such a record as `Unreadable`, so it fails alone with a
message the operator can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations.clients import client_for
from integrations.models import Connection
from sync import ports
from sync.flows.base import RecordFailed
from sync.record_reading import UnreadableValue, decimal_from, record_reading, shown, text
from sync.shop import ShopAddress, ShopCustomer, ShopLine, ShopOrder, ShopRefund, Unreadable

from .adapter_catalogue import CentraCatalogue

# Return states in which the money has gone back to the shopper.
REFUNDED_STATUSES = ("COMPLETED",)
WHOLESALE = "WHOLESALE"
DIRECT_TO_CONSUMER = "DIRECT_TO_CONSUMER"
ZERO = Decimal("0")


def reading(what: str) -> AbstractContextManager[None]:
    """Turn any failure to read a shop record into RecordFailed("<what> cannot be read: …", correct it in the shop)."""
    return record_reading(what, source="the shop")


_text = text
_shown = shown
_number = decimal_from


def _amount(node: Any, what: str = "an amount") -> Decimal:
    """The value of a MonetaryValue ({value: …}) or a bare number; 0 when absent."""
    if isinstance(node, dict):
        node = node.get("value")
    if node is None or node == "":
        return ZERO
    return _number(node, what)


def _rate(value: Any) -> Decimal | None:
    """grandTotal.conversionRate as a Decimal (as the shop wrote it); None when absent."""
    if value is None or value == "":
        return None
    rate = _number(value, "grandTotal.conversionRate")
    if rate <= 0:
        raise UnreadableValue(f"grandTotal.conversionRate is {_shown(value)}, not a currency rate")
    return rate


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def address_from_centra(node: dict | None) -> ShopAddress:
    node = node or {}
    return ShopAddress(
        first_name=_text(node.get("firstName")),
        last_name=_text(node.get("lastName")),
        company=_text(node.get("companyName")),
        address1=_text(node.get("address1")),
        address2=_text(node.get("address2")),
        zip_code=_text(node.get("zipCode")),
        city=_text(node.get("city")),
        country=_text(_dig(node, "country", "code")).upper(),
        email=_text(node.get("email")),
        phone=_text(node.get("phoneNumber")),
        vat_number=_text(node.get("vatNumber")),
    )


def _line_what(node: dict, index: int) -> str:
    sku = _text(_dig(node, "productSize", "SKU"))
    return f"line {index}" + (f" ({sku})" if sku else "")


def _charged(node: dict, quantity: Decimal, what: str) -> Decimal:
    """The line as charged (lineValue); a line with a quantity must carry it."""
    value = node.get("lineValue")
    if isinstance(value, dict):
        value = value.get("value")
    if value is None and quantity:
        raise UnreadableValue(f"{what} has no price: lineValue is {_shown(node.get('lineValue'))}")
    return _amount(value, f"{what} lineValue")


def line_from_centra(node: dict, index: int = 1) -> ShopLine:
    what = _line_what(node, index)
    name = _text(node.get("productName"))
    variant_name = _text(node.get("productVariantName"))
    if variant_name and variant_name not in name:
        name = f"{name}, {variant_name}" if name else variant_name
    size = node.get("productSize") or {}
    quantity = _number(node.get("quantity") or 0, f"{what} quantity")
    return ShopLine(
        line_id=_text(node.get("id")),
        sku=_text(size.get("SKU")),
        name=name or _text(size.get("description")) or _text(size.get("SKU")),
        quantity=quantity,
        unit_price=_amount(node.get("unitPrice"), f"{what} unitPrice"),
        unit_original_price=_amount(node.get("unitOriginalPrice") or node.get("unitPrice"), f"{what} unit price"),
        line_total=_charged(node, quantity, what),
        tax_percent=_amount(node.get("taxPercent"), f"{what} taxPercent"),
        discount_percent=_amount(node.get("discountPercent"), f"{what} discountPercent"),
        product_number=_text(_dig(node, "product", "productNumber")),
        variant_number=_text(_dig(node, "productVariant", "variantNumber")),
        size_number=_text(size.get("sizeNumber")),
        size_id=_text(size.get("id")),
    )


def _person(node: dict | None) -> tuple[str, str]:
    """(email, "first last") of a customer or buyer node."""
    node = node or {}
    name = " ".join(p for p in (_text(node.get("firstName")), _text(node.get("lastName"))) if p)
    return _text(node.get("email")), name


def _id_of(node: Any, key: str) -> str:
    return _text(node.get(key)) if isinstance(node, dict) else ""


def order_from_centra(node: dict) -> ShopOrder:
    """The order of an Order node; RecordFailed naming the field when a value cannot be read."""
    with reading(f"Order {_id_of(node, 'number') or '(no number)'}"):
        return _order(node)


def _order(node: dict) -> ShopOrder:
    store_type = _text(_dig(node, "store", "type")) or DIRECT_TO_CONSUMER
    wholesale = store_type == WHOLESALE
    totals = node.get("totals") or {}
    billing = address_from_centra(node.get("billingAddress"))
    shipping = address_from_centra(node.get("shippingAddress") or node.get("billingAddress"))
    email, person = _person(node.get("buyer") if wholesale else node.get("customer"))
    account_name = _text(_dig(node, "account", "name"))
    grand_total = _amount(node.get("grandTotal"), "grandTotal") or _amount(totals.get("grandTotal"), "grandTotal")
    discounts = [
        {
            "name": _text(_dig(d, "discount", "name")),
            "code": _text(_dig(d, "discount", "code")),
            "amount": str(_amount(d.get("value"), "a discount's value")),
        }
        for d in node.get("discountsApplied") or []
    ]
    extra = {"store_type": store_type, "order_id": _text(node.get("id"))}
    if discounts:
        extra["discounts"] = discounts
    if wholesale:
        extra["purchase_order_number"] = _text(node.get("purchaseOrderNumber"))
        extra["account"] = account_name
    if node.get("isOnHold"):
        extra["on_hold"] = True
    return ShopOrder(
        id=_text(node.get("id")) or _text(node.get("number")),
        number=_text(node.get("number")),
        status=_text(node.get("status")),
        created_at=_text(node.get("createdAt")),
        updated_at=_text(node.get("updatedAt")),
        currency=_text(_dig(node, "grandTotal", "currency", "code")),
        prices_include_vat=not wholesale,
        customer_email=email or billing.email or shipping.email,
        billing=billing,
        shipping=shipping,
        lines=tuple(line_from_centra(line, i) for i, line in enumerate(node.get("lines") or [], start=1)),
        shipping_amount=_amount(totals.get("shipping"), "the shipping total"),
        shipping_tax_percent=None,
        shipping_option=_text(_dig(node, "shippingPriceGroup", "shippingOption", "uri")),
        payment_method=_text(_dig(node, "paymentMethod", "uri")),
        payment_terms="",
        grand_total=grand_total,
        tax_total=_amount(totals.get("taxIncluded"), "taxIncluded") + _amount(totals.get("taxAdded"), "taxAdded"),
        is_wholesale=wholesale,
        customer_name=account_name if wholesale and account_name else person or billing.company or billing.person_name,
        extra=extra,
        currency_rate=_rate(_dig(node, "grandTotal", "conversionRate")),
        raw=node,
    )


def refund_from_centra(node: dict) -> ShopRefund:
    """A return: its lines and shipping as amounts to credit (prices as on the order: incl. VAT for DTC).

    RecordFailed naming the field when a value cannot be read."""
    with reading(f"Return {_id_of(node, 'id') or '(no id)'}"):
        return _refund(node)


def _refund(node: dict) -> ShopRefund:
    store_type = _text(_dig(node, "order", "store", "type"))
    if not store_type:
        store_type = WHOLESALE if node.get("__typename") == "WholesaleReturn" else DIRECT_TO_CONSUMER
    lines = []
    for index, line in enumerate(node.get("lines") or [], start=1):
        order_line = line.get("orderLine") or {}
        sku = _text(_dig(line, "productSize", "SKU"))
        what = _line_what(line, index)
        quantity = _number(line.get("quantity") or 0, f"{what} quantity")
        lines.append(
            ShopLine(
                line_id=_text(order_line.get("id")) or _text(line.get("id")),
                sku=sku,
                name=_text(order_line.get("productName")) or sku,
                quantity=quantity,
                unit_price=_amount(line.get("unitPrice"), f"{what} unitPrice"),
                unit_original_price=_amount(line.get("unitPrice"), f"{what} unitPrice"),
                line_total=_charged(line, quantity, what),
                tax_percent=_amount(line.get("taxPercent"), f"{what} taxPercent"),
            )
        )
    shipping = _amount(node.get("shippingCost"), "shippingCost")
    total = _amount(node.get("grandTotal"), "grandTotal")
    if not node.get("grandTotal"):
        total = sum((line.line_total for line in lines), ZERO) + shipping
    return ShopRefund(
        id=_text(node.get("id")),
        refunded=bool(node.get("refunded")) or str(node.get("status") or "").upper() in REFUNDED_STATUSES,
        order_number=_text(_dig(node, "order", "number")),
        created_at=_text(node.get("createdAt")),
        updated_at=_text(node.get("updatedAt")),
        currency=_text(_dig(node, "currency", "code")),
        prices_include_vat=store_type != WHOLESALE,
        lines=tuple(lines),
        shipping_amount=shipping,
        shipping_tax_percent=None,
        total=total,
    )


def customer_from_centra(node: dict) -> ShopCustomer:
    """RecordFailed naming the field when a value cannot be read."""
    with reading(f"Customer {_id_of(node, 'id') or '(no id)'}"):
        return _customer(node)


def _customer(node: dict) -> ShopCustomer:
    address = address_from_centra(node.get("billingAddress"))
    email = _text(node.get("email")) or address.email
    return ShopCustomer(
        id=_text(node.get("id")),
        email=email,
        updated_at=_text(node.get("updatedAt")),
        first_name=_text(node.get("firstName")) or address.first_name,
        last_name=_text(node.get("lastName")) or address.last_name,
        address=address,
        is_company=bool(address.company or address.vat_number),
    )


def _read(node: Any, parse: Callable[[dict], Any], *, what: str, id_key: str = "id") -> Any:
    """The record of `node`, or Unreadable (its id and stamp as sent, and why) when it cannot be read."""
    try:
        return parse(node)
    except RecordFailed as exc:
        raw = node if isinstance(node, dict) else {}
        stamp = raw.get("updatedAt")
        return Unreadable(
            what=what,
            source_id=str(raw.get(id_key) or "")[:100] or "(unknown)",
            message=exc.message,
            cursor=stamp if isinstance(stamp, str) else "",
        )


class CentraShop(CentraCatalogue):
    system = "centra"
    display_name = "Centra"
    capabilities = frozenset({ports.WEBHOOKS, ports.ORDER_ATTRIBUTES, ports.CATALOGUE_WRITE, ports.STOCK_WRITE})
    call_floor = ports.CallFloor(
        order=0,  # orders come in listing pages, with their customers
        new_customer=0,
        credit_note=1,  # the refunded order, read by number (no documented filter takes several numbers)
        per_run=("orders changed, by page", "returns changed, by page"),
    )

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)

    # -- orders ---------------------------------------------------------------------
    def orders_changed(
        self, *, statuses: list[str], created_from: date | None, updated_from: datetime | None
    ) -> Iterable[ShopOrder | Unreadable]:
        nodes = self.client.orders_changed(statuses=statuses, created_from=created_from, updated_from=updated_from)
        return (_read(node, order_from_centra, what="order", id_key="number") for node in nodes)

    def order_get(self, number: str) -> ShopOrder | Unreadable | None:
        node = self.client.order_get(number)
        return None if node is None else _read(node, order_from_centra, what="order", id_key="number")

    # -- refunds (Centra's returns) ----------------------------------------------------
    def refunds_changed(self, *, updated_from: datetime | None) -> Iterable[ShopRefund | Unreadable]:
        return (
            _read(node, refund_from_centra, what="refund")
            for node in self.client.returns_changed(updated_from=updated_from)
        )

    def refund_get(self, refund_id: str) -> ShopRefund | Unreadable | None:
        node = self.client.return_get(refund_id)
        return None if node is None else _read(node, refund_from_centra, what="refund")

    # -- customers ----------------------------------------------------------------------
    def customers_changed(self, *, updated_from: datetime | None) -> Iterable[ShopCustomer | Unreadable]:
        nodes = self.client.customers_changed(updated_from=updated_from)
        return (_read(node, customer_from_centra, what="customer") for node in nodes)

    def customer_get(self, customer_id: str) -> ShopCustomer | Unreadable | None:
        node = self.client.customer_get(customer_id)
        return None if node is None else _read(node, customer_from_centra, what="customer")
