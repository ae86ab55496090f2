"""Centra GraphQL nodes → the shop dataclasses of sync/shop.py. Pure: no I/O.

Centra's money: MonetaryValue {value} (numbers, Decimal after parsing).
Direct-to-consumer orders show prices including VAT (totals.taxIncluded);
wholesale orders show them excluding VAT (totals.taxAdded). Order lines carry
the per-unit price after discount (unitPrice), before it (unitOriginalPrice)
and the line as charged (lineValue = unitPrice × quantity).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync.shop import ShopAddress, ShopCustomer, ShopLine, ShopOrder, ShopRefund
from sync.vat import money

WHOLESALE = "WHOLESALE"
DIRECT_TO_CONSUMER = "DIRECT_TO_CONSUMER"
ZERO = Decimal("0")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _amount(node: Any) -> Decimal:
    """The value of a MonetaryValue ({value: …}) or a bare number; 0 when absent."""
    if isinstance(node, dict):
        node = node.get("value")
    if node is None or node == "":
        return ZERO
    return money(node)


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


def line_from_centra(node: dict) -> ShopLine:
    name = _text(node.get("productName"))
    variant_name = _text(node.get("productVariantName"))
    if variant_name and variant_name not in name:
        name = f"{name}, {variant_name}" if name else variant_name
    size = node.get("productSize") or {}
    return ShopLine(
        line_id=_text(node.get("id")),
        sku=_text(size.get("SKU")),
        name=name or _text(size.get("description")) or _text(size.get("SKU")),
        quantity=Decimal(str(node.get("quantity") or 0)),
        unit_price=_amount(node.get("unitPrice")),
        unit_original_price=_amount(node.get("unitOriginalPrice") or node.get("unitPrice")),
        line_total=_amount(node.get("lineValue")),
        tax_percent=_amount(node.get("taxPercent")),
        discount_percent=_amount(node.get("discountPercent")),
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


def order_from_centra(node: dict) -> ShopOrder:
    store_type = _text(_dig(node, "store", "type")) or DIRECT_TO_CONSUMER
    wholesale = store_type == WHOLESALE
    totals = node.get("totals") or {}
    billing = address_from_centra(node.get("billingAddress"))
    shipping = address_from_centra(node.get("shippingAddress") or node.get("billingAddress"))
    email, person = _person(node.get("buyer") if wholesale else node.get("customer"))
    account_name = _text(_dig(node, "account", "name"))
    grand_total = _amount(node.get("grandTotal")) or _amount(totals.get("grandTotal"))
    discounts = [
        {
            "name": _text(_dig(d, "discount", "name")),
            "code": _text(_dig(d, "discount", "code")),
            "amount": str(_amount(d.get("value"))),
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
        lines=tuple(line_from_centra(line) for line in node.get("lines") or []),
        shipping_amount=_amount(totals.get("shipping")),
        shipping_tax_percent=None,
        shipping_option=_text(_dig(node, "shippingPriceGroup", "shippingOption", "uri")),
        payment_method=_text(_dig(node, "paymentMethod", "uri")),
        payment_terms="",
        grand_total=grand_total,
        tax_total=_amount(totals.get("taxIncluded")) + _amount(totals.get("taxAdded")),
        is_wholesale=wholesale,
        customer_name=account_name if wholesale and account_name else person or billing.company or billing.person_name,
        extra=extra,
    )


def refund_from_centra(node: dict) -> ShopRefund:
    """A return: its lines and shipping as amounts to credit (prices as on the order: incl. VAT for DTC)."""
    store_type = _text(_dig(node, "order", "store", "type"))
    if not store_type:
        store_type = WHOLESALE if node.get("__typename") == "WholesaleReturn" else DIRECT_TO_CONSUMER
    lines = []
    for line in node.get("lines") or []:
        order_line = line.get("orderLine") or {}
        sku = _text(_dig(line, "productSize", "SKU"))
        lines.append(
            ShopLine(
                line_id=_text(order_line.get("id")) or _text(line.get("id")),
                sku=sku,
                name=_text(order_line.get("productName")) or sku,
                quantity=Decimal(str(line.get("quantity") or 0)),
                unit_price=_amount(line.get("unitPrice")),
                unit_original_price=_amount(line.get("unitPrice")),
                line_total=_amount(line.get("lineValue")),
                tax_percent=_amount(line.get("taxPercent")),
            )
        )
    shipping = _amount(node.get("shippingCost"))
    total = _amount(node.get("grandTotal"))
    if not node.get("grandTotal"):
        total = sum((line.line_total for line in lines), ZERO) + shipping
    return ShopRefund(
        id=_text(node.get("id")),
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
