"""Order → ERP invoice draft: a pure function of the order and the mapping snapshot.

Money rules:
- Every line carries its exact net amount (the ERP's "manual amount"), so the
  ERP never re-derives a line from a rounded unit price.
- VAT is given per VAT category as the document's own tax detail: the order's
  total minus the lines' net. The invoice total therefore equals the order
  total to the cent. That VAT may differ from net × rate by rounding only; a
  larger gap means the order's lines do not add up and the record fails.
- An order-level discount (voucher) that the lines do not show becomes its
  own negative line, so nothing is lost between lines and total.
- A line with a negative quantity (a shop's way of netting a return into an
  order, or a data error) fails the record unless the integration allows
  negative quantities: otherwise −2 × 255.36 would be invoiced without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mappings.countries import EU_MEMBER_STATES, country_name
from mappings.models import REST_OF_WORLD, CustomerType, Regime, regime_for
from mappings.selectors import MappingSet, TaxZone
from sync.shop import ShopAddress, ShopLine, ShopOrder
from sync.vat import net_from_gross, round_money, vat_number_normalize, vat_number_problem

from .base import RecordFailed

ZERO = Decimal("0")


@dataclass(frozen=True)
class CustomerDraft:
    email: str
    name: str
    is_company: bool
    vat_number: str
    customer_type: str
    customer_class: str
    vat_zone: str
    country: str
    address: ShopAddress
    currency: str
    credit_terms: str
    payment_method: str


@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net per unit, informational (the amount is authoritative)
    amount: Decimal  # exact net amount of the line
    vat_category: str
    account: str
    inventory_number: str = ""
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class TaxDetail:
    vat_category: str
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    order_number: str
    document_date: str
    currency: str
    customer: CustomerDraft
    default_customer_number: str  # set: invoice the walk-in customer instead of one per shopper
    payment_method: str
    credit_terms: str
    vat_zone: str
    regime: str
    country: str
    lines: tuple[DraftLine, ...]
    tax_details: tuple[TaxDetail, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    text: str


# --------------------------------------------------------------------------- pieces
def tax_country(order: ShopOrder, mappings: MappingSet) -> str:
    preferred = order.shipping if mappings.tax_country_source == "shipping" else order.billing
    other = order.billing if preferred is order.shipping else order.shipping
    return (preferred.country or other.country or "").upper()


def customer_type_for(order: ShopOrder, mappings: MappingSet, country: str) -> tuple[str, str]:
    """(B2B|B2C, normalised VAT number). B2B = a well-formed EU VAT number, in an EU country other than home."""
    raw = order.billing.vat_number or order.shipping.vat_number
    if not raw:
        return CustomerType.B2C, ""
    registered_in = (order.billing.country or country).upper()
    problem = vat_number_problem(raw, registered_in)
    if problem:
        raise RecordFailed(
            f"Order {order.number}: {problem}. Correct the VAT number in the shop (or remove it to invoice "
            "the order as a private person), then resync."
        )
    number = vat_number_normalize(raw)
    if country in EU_MEMBER_STATES and country != mappings.home_country and registered_in in EU_MEMBER_STATES:
        return CustomerType.B2B, number
    return CustomerType.B2C, number


def tax_zone_for(mappings: MappingSet, country: str, customer_type: str, order_number: str) -> TaxZone:
    zone = mappings.tax_zones.get((country, customer_type))
    outside_eu = country not in EU_MEMBER_STATES and country != mappings.home_country
    if zone is None and outside_eu:
        zone = mappings.tax_zones.get((REST_OF_WORLD, customer_type))
    if zone is None:
        where = f"{country} ({country_name(country)})" if country else "an empty country"
        fallback = " or a rest-of-world (*) row" if outside_eu else ""
        raise RecordFailed(
            f"Order {order_number}: no tax-zone mapping for country {where} / {customer_type}: "
            f"add one{fallback} in Mappings › Tax zones, then resync."
        )
    return zone


def order_rate(order: ShopOrder, regime: str, zone: TaxZone) -> Decimal:
    """The one VAT rate of the order, checked against the regime the mapping implies."""
    rates = {line.tax_percent for line in order.lines if line.line_total or line.quantity}
    if order.shipping_tax_percent is not None and order.shipping_amount:
        rates.add(order.shipping_tax_percent)
    rates = {Decimal(r).normalize() for r in rates} or {ZERO}
    if len(rates) > 1:
        listed = ", ".join(f"{r} %" for r in sorted(rates))
        raise RecordFailed(
            f"Order {order.number} mixes VAT rates ({listed}); a tax zone maps a country to one VAT category, "
            "so this order has to be invoiced by hand."
        )
    rate = rates.pop()
    zero_rated = regime in (Regime.EU_B2B, Regime.EXPORT)
    label = f"{zone.country}/{zone.customer_type}"
    if zero_rated and rate != 0:
        kind = "reverse charge" if regime == Regime.EU_B2B else "an export"
        raise RecordFailed(
            f"Order {order.number} charged {rate} % VAT, but {label} is {kind} at 0 % (tax zone {zone.vat_zone}). "
            "Check the customer's VAT number and country in the shop, or the tax-zone mapping."
        )
    if not zero_rated and rate == 0:
        raise RecordFailed(
            f"Order {order.number} charged no VAT, but {label} is taxed (VAT category {zone.vat_category}). "
            "Check the tax-zone mapping or the order in the shop."
        )
    return rate


def item_number_for(line: ShopLine, mappings: MappingSet, item_numbers: dict[str, str]) -> str:
    """The ERP item of a line: from the products flow's binding, else from a segment SKU rule."""
    if line.size_id and line.size_id in item_numbers:
        return item_numbers[line.size_id]
    rule = mappings.sku_rule
    if rule and all(source.startswith("segment:") for source in rule[:3] if source):
        separator = rule[3]
        return separator.join(p for p in (line.product_number, line.variant_number, line.size_number) if p)
    return ""


def negative_quantity_check(lines, mappings: MappingSet, *, what: str, currency: str) -> None:
    """RecordFailed naming the first line with a negative quantity, unless the integration allows them."""
    if mappings.allow_negative_quantities:
        return
    for index, line in enumerate(lines, start=1):
        if line.quantity < 0:
            name = f"{line.name} ({line.sku})" if line.sku and line.sku not in line.name else line.name
            raise RecordFailed(
                f"{what}, line {index} '{name}': quantity {line.quantity} × {line.unit_price} {currency} is negative. "
                "Negative quantities are refused unless the integration allows them (Sync › Integrations › "
                "Allow negative quantities). Correct it in the shop, or allow them, then resync."
            )


def _net(amount: Decimal, rate: Decimal, prices_include_vat: bool, places: int) -> Decimal:
    return net_from_gross(amount, rate, places) if prices_include_vat else round_money(amount, places)


# --------------------------------------------------------------------------- the mapping
def invoice_draft(
    order: ShopOrder, mappings: MappingSet, *, item_numbers: dict[str, str] | None = None
) -> InvoiceDraft:
    """The ERP invoice for an order, or RecordFailed saying exactly which mapping or value is missing."""
    item_numbers = item_numbers or {}
    country = tax_country(order, mappings)
    if not country:
        raise RecordFailed(f"Order {order.number} has no country on its addresses.")
    ctype, vat_number = customer_type_for(order, mappings, country)
    zone = tax_zone_for(mappings, country, ctype, order.number)
    regime = regime_for(country=country, customer_type=ctype, home_country=mappings.home_country)

    if order.currency not in mappings.currencies:
        raise RecordFailed(
            f"Order {order.number}: currency {order.currency or '(none)'} is not mapped: add it in Mappings › Currencies."
        )
    currency, places = mappings.currencies[order.currency]
    if order.payment_method not in mappings.payment_methods:
        raise RecordFailed(
            f"Order {order.number}: unknown payment method '{order.payment_method or '(none)'}': "
            "add it in Mappings › Payment methods, then resync."
        )
    payment_method = mappings.payment_methods[order.payment_method][0]
    terms = mappings.payment_terms.get(order.payment_terms) if order.payment_terms else None
    terms = terms or mappings.payment_terms.get(ctype)
    if not terms:
        raise RecordFailed(
            f"Order {order.number}: no payment terms for '{order.payment_terms or ctype}': "
            f"add '{order.payment_terms or ctype}' in Mappings › Payment terms."
        )
    rate = order_rate(order, regime, zone)
    incl = order.prices_include_vat
    negative_quantity_check(order.lines, mappings, what=f"Order {order.number}", currency=order.currency)

    lines: list[DraftLine] = []
    charged = ZERO  # what the lines and shipping charge, in the order's own terms (gross or net)
    for line in order.lines:
        if not line.quantity and not line.line_total:
            continue
        net = _net(line.line_total, rate, incl, places)
        charged += line.line_total
        quantity = line.quantity or Decimal("1")
        lines.append(
            DraftLine(
                description=f"{line.name} ({line.sku})" if line.sku else line.name,
                quantity=quantity,
                unit_price=round_money(net / quantity, places + 2),
                amount=net,
                vat_category=zone.vat_category,
                account=zone.sales_account,
                inventory_number=item_number_for(line, mappings, item_numbers),
                discount_percent=line.discount_percent,
            )
        )
    if order.shipping_amount:
        shipping = mappings.shipping.get(order.shipping_option) or mappings.shipping.get(REST_OF_WORLD)
        if shipping is None:
            raise RecordFailed(
                f"Order {order.number}: shipping option '{order.shipping_option or '(none)'}' is not mapped: "
                "add it (or a * row) in Mappings › Shipping."
            )
        item, description, account = shipping
        net = _net(order.shipping_amount, rate, incl, places)
        charged += order.shipping_amount
        lines.append(
            DraftLine(
                description=description or "Shipping",
                quantity=Decimal("1"),
                unit_price=net,
                amount=net,
                vat_category=zone.vat_category,
                account=account or zone.sales_account,
                inventory_number=item,
            )
        )

    gross_total = round_money(order.grand_total, places)
    # What the lines should add up to, in the order's own terms (gross, or net when prices exclude VAT).
    target = gross_total if incl else gross_total - round_money(order.tax_total, places)
    discount = round_money(charged - target, places)
    if discount:
        net = _net(discount, rate, incl, places)
        lines.append(
            DraftLine(
                description="Order discount" if discount > 0 else "Order surcharge",
                quantity=Decimal("1"),
                unit_price=-net,
                amount=-net,
                vat_category=zone.vat_category,
                account=zone.sales_account,
            )
        )
    if not lines:
        raise RecordFailed(f"Order {order.number} has no lines to invoice.")

    net_total = sum((line.amount for line in lines), ZERO)
    vat_total = gross_total - net_total
    expected_vat = round_money(net_total * rate / 100, places)
    tolerance = Decimal("0.01") * len(lines)
    if abs(vat_total - expected_vat) > tolerance:
        raise RecordFailed(
            f"Order {order.number} does not add up: total {gross_total} {order.currency}, lines net {net_total}, "
            f"which leaves {vat_total} VAT where {rate} % gives {expected_vat}. Check the order in the shop."
        )
    customer = CustomerDraft(
        email=(order.customer_email or order.billing.email).strip().lower(),
        name=order.billing.company or order.customer_name or order.billing.person_name or order.customer_email,
        is_company=bool(order.billing.company or vat_number),
        vat_number=vat_number,
        customer_type=ctype,
        customer_class=zone.customer_class,
        vat_zone=zone.vat_zone,
        country=country,
        address=order.billing if order.billing.country else order.shipping,
        currency=currency,
        credit_terms=terms,
        payment_method=payment_method,
    )
    use_default = mappings.default_customer_number if not customer.is_company else ""
    return InvoiceDraft(
        order_number=order.number,
        document_date=order.created_at[:10],
        currency=currency,
        customer=customer,
        default_customer_number=use_default,
        payment_method=payment_method,
        credit_terms=terms,
        vat_zone=zone.vat_zone,
        regime=regime,
        country=country,
        lines=tuple(lines),
        tax_details=(TaxDetail(zone.vat_category, net_total, vat_total),),
        net_total=net_total,
        vat_total=vat_total,
        gross_total=gross_total,
        text=f"Order {order.number}",
    )
