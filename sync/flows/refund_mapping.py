"""Refund → ERP credit note draft: pure, with the same tax mapping as the order's invoice.

The credit note goes to the customer the invoice went to, with the VAT zone,
VAT category and sales account the invoice used (derived again from the
original order by the very same functions), the refunded lines and shipping
as refunded, and its total equal to the refund total to the cent.

Quantities: a return line's quantity is what came back, positive, and the
credit note credits it as a positive quantity with a positive amount (the
document type makes it a credit). A negative quantity on a return would turn
its line into a charge, so it fails the record like a negative order line,
unless the integration allows negative quantities.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mappings.models import REST_OF_WORLD, regime_for
from mappings.selectors import MappingSet
from sync.shop import ShopOrder, ShopRefund
from sync.vat import net_from_gross, round_money

from .base import RecordFailed
from .order_mapping import (
    DraftLine,
    TaxDetail,
    customer_type_for,
    item_number_for,
    negative_quantity_check,
    order_rate,
    tax_country,
    tax_zone_for,
)

ZERO = Decimal("0")


@dataclass(frozen=True)
class CreditNoteDraft:
    refund_id: str
    order_number: str
    invoice_number: str
    customer_number: str
    document_date: str
    currency: str
    vat_zone: str
    lines: tuple[DraftLine, ...]
    tax_details: tuple[TaxDetail, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    text: str


def credit_note_draft(
    refund: ShopRefund,
    order: ShopOrder,
    mappings: MappingSet,
    *,
    invoice_number: str,
    customer_number: str,
    item_numbers: dict[str, str] | None = None,
) -> CreditNoteDraft:
    if refund.currency and refund.currency != order.currency:
        raise RecordFailed(
            f"Refund {refund.id} is in {refund.currency} but order {order.number} was in {order.currency}."
        )
    country = tax_country(order, mappings)
    ctype, _ = customer_type_for(order, mappings, country)
    zone = tax_zone_for(mappings, country, ctype, order.number)
    regime = regime_for(country=country, customer_type=ctype, home_country=mappings.home_country)
    rate = order_rate(order, regime, zone)
    if order.currency not in mappings.currencies:
        raise RecordFailed(
            f"Refund {refund.id}: currency {order.currency} is not mapped: add it in Mappings › Currencies."
        )
    currency, places = mappings.currencies[order.currency]
    incl = order.prices_include_vat
    negative_quantity_check(
        refund.lines, mappings, what=f"Return {refund.id} of order {order.number}", currency=order.currency
    )

    def net(amount: Decimal) -> Decimal:
        return net_from_gross(amount, rate, places) if incl else round_money(amount, places)

    lines: list[DraftLine] = []
    charged = ZERO
    for line in refund.lines:
        if not line.line_total:
            continue
        amount = net(line.line_total)
        charged += line.line_total
        quantity = line.quantity or Decimal("1")
        lines.append(
            DraftLine(
                description=f"Return: {line.name} ({line.sku})" if line.sku else f"Return: {line.name}",
                quantity=quantity,
                unit_price=round_money(amount / quantity, places + 2),
                amount=amount,
                vat_category=zone.vat_category,
                account=zone.sales_account,
                inventory_number=item_number_for(line, mappings, item_numbers or {}),
            )
        )
    if refund.shipping_amount:
        shipping = mappings.shipping.get(order.shipping_option) or mappings.shipping.get(REST_OF_WORLD)
        item, description, account = shipping or ("", "Shipping", "")
        amount = net(refund.shipping_amount)
        charged += refund.shipping_amount
        lines.append(
            DraftLine(
                description=f"Refunded {(description or 'shipping').lower()}",
                quantity=Decimal("1"),
                unit_price=amount,
                amount=amount,
                vat_category=zone.vat_category,
                account=account or zone.sales_account,
                inventory_number=item,
            )
        )
    total = round_money(refund.total, places)
    if not lines or total <= 0:
        raise RecordFailed(f"Refund {refund.id} of order {order.number} refunds nothing.")
    gross_charged = charged if incl else charged + round_money(charged * rate / 100, places)
    difference = round_money(gross_charged - total, places)
    if difference:
        amount = net(difference) if incl else round_money(difference * 100 / (100 + rate), places)
        lines.append(
            DraftLine(
                description="Refund adjustment",
                quantity=Decimal("1"),
                unit_price=-amount,
                amount=-amount,
                vat_category=zone.vat_category,
                account=zone.sales_account,
            )
        )
    net_total = sum((line.amount for line in lines), ZERO)
    vat_total = total - net_total
    expected = round_money(net_total * rate / 100, places)
    if abs(vat_total - expected) > Decimal("0.01") * len(lines):
        raise RecordFailed(
            f"Refund {refund.id} does not add up: total {total}, lines net {net_total}, VAT {vat_total} where "
            f"{rate} % gives {expected}."
        )
    return CreditNoteDraft(
        refund_id=refund.id,
        order_number=order.number,
        invoice_number=invoice_number,
        customer_number=customer_number,
        document_date=refund.created_at[:10],
        currency=currency,
        vat_zone=zone.vat_zone,
        lines=tuple(lines),
        tax_details=(TaxDetail(zone.vat_category, net_total, vat_total),),
        net_total=net_total,
        vat_total=vat_total,
        gross_total=total,
        text=f"Refund {refund.id} of order {order.number} (invoice {invoice_number})",
    )
