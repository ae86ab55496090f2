"""Order → ERP invoice draft: a pure function of the order and the mapping snapshot.

- Where and how the sale is taxed (territories, reverse charge, exports) and the rate check of
  every line come from vat_rules; each line gets the VAT category of the rate it was charged
  (reduced rates through Mappings › VAT rates).
- Lines, shipping and an order discount the lines do not show become ERP lines; the invoice's
  VAT per VAT category is the shop's and its total the shop's, to the currency's smallest unit,
  with any rounding remainder on a "Rounding" line (document_vat).
- A shop's rounding of what the customer pays (ShopOrder.rounding_amount, eAccounting's öre rounding) is a
  line of its own outside VAT (vat_category "", rate 0) on the integration's rounding account
  (`rounding_line`): öresavrundning is no taxable supply, so the VAT per category stays the shop's and the
  document's total is what the customer paid. An ERP adapter books a line outside VAT its own way (Visma.net
  under its VAT-exempt category, Fortnox as a 0 % row).
- The shop's currency rate goes on the invoice only when it is in a currency other than the company's home
  currency (document_rate): the ERP then books the home-currency amounts as the shop converted them.
- A line with a negative quantity (a shop's way of netting a return into an order, or a data
  error) fails the record unless the integration allows negative quantities: otherwise
  −2 × 255.36 would be invoiced without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mappings.models import REST_OF_WORLD
from mappings.selectors import MappingSet
from sync.drafts import CustomerDraft, DraftLine, InvoiceDraft
from sync.money import money_text
from sync.record_names import record_name
from sync.shop import ShopLine, ShopOrder
from sync.vat import round_money

from .base import RecordFailed
from .document_vat import Part, document_figures, spread
from .product_mapping import HOME_CURRENCIES
from .vat_rules import LineTax, Sale, category_rate, line_tax, local_date, sale_of

ZERO = Decimal("0")


# --------------------------------------------------------------------------- pieces
def currency_places(mappings: MappingSet, code: str, *, what: str) -> tuple[str, int]:
    """(ERP currency, decimals) of a shop currency; RecordFailed naming the row to add."""
    if code not in mappings.currencies:
        raise RecordFailed(f"{what}: currency {code or '(none)'} is not mapped: add it in Mappings › Currencies.")
    return mappings.currencies[code]


def exact_in(amount: Decimal, currency: str, places: int, *, what: str) -> Decimal:
    """`amount` in the currency's decimals (2499.00 JPY → 2499) when it has no more than those; RecordFailed
    otherwise."""
    if round_money(amount, places) != amount:
        raise RecordFailed(
            f"{what} is {money_text(amount, currency, places)}, which has more decimals than {currency} has ({places}). Check the "
            "order in the shop, or the decimals in Mappings › Currencies, then resync."
        )
    return round_money(amount, places)


def line_name(line: ShopLine) -> str:
    return f"{line.name} ({line.sku})" if line.sku and line.sku not in line.name else line.name


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
                f"{what}, line {index} '{name}': quantity {line.quantity} × {money_text(line.unit_price, currency)} is negative. "
                "Negative quantities are refused unless the integration allows them (Sync › Integrations › "
                "Allow negative quantities). Correct it in the shop, or allow them, then resync."
            )


def document_rate(order: ShopOrder, mappings: MappingSet, currency: str, *, what: str) -> Decimal | None:
    """The shop's rate for a document in ERP currency `currency`: home-currency units per 1 unit of it.

    None for a home-currency document (HOME_CURRENCIES of the company's country), when that home currency
    is unknown, or when the shop stated no rate. ASSUMPTION: the shop's base currency is the company's home
    currency (a shop stating its rates in another base would be booked at the wrong rate). RecordFailed for
    a rate of zero or below."""
    home = HOME_CURRENCIES.get(mappings.home_country, "")
    if order.currency_rate is None or not home or currency == home:
        return None
    if order.currency_rate <= 0:
        raise RecordFailed(
            f"{what}: the shop's currency rate for {order.currency} is {order.currency_rate}, not a rate. "
            "Check the order in the shop, then resync."
        )
    return order.currency_rate


# --------------------------------------------------------------------------- the mapping
@dataclass
class _Parts:
    """The charged amounts of a document being built, and the rate check's warnings."""

    items: list[Part]
    warnings: list[str]

    def checked(self, sale: Sale, mappings: MappingSet, rate: Decimal, *, on: str, what: str):
        tax = line_tax(sale, mappings, rate, on=on, what=what)
        if tax.warning and tax.warning not in self.warnings:
            self.warnings.append(tax.warning)
        return tax


def shipping_row(mappings: MappingSet, option: str, *, what: str) -> tuple[str, str, str]:
    """(ERP item, description, account) of a shop shipping option; RecordFailed naming the row to add."""
    row = mappings.shipping.get(option) or mappings.shipping.get(REST_OF_WORLD)
    if row is None:
        raise RecordFailed(
            f"{what}: shipping option '{option or '(none)'}' is not mapped: add it (or a * row) in Mappings › Shipping."
        )
    item, description, account = row
    return item, description or "Shipping", account


def order_parts(
    order: ShopOrder, sale: Sale, mappings: MappingSet, *, places: int, item_numbers: dict[str, str]
) -> _Parts:
    """The order's lines, shipping and unshown discount as charged, each with its checked VAT category.

    Shipping without a rate of its own follows the goods: at their rate, split over their rates in
    proportion to their value when they mix rates (an ancillary supply follows the principal one).
    An order discount (voucher) the lines do not show is split the same way."""
    what, on = f"Order {order.number}", local_date(order.created_at, sale.country)
    parts = _Parts([], [])
    keys: set[str] = set()
    for index, line in enumerate(order.lines, start=1):
        if not line.quantity and not line.line_total:
            continue
        key = f"line:{line.line_id}" if line.line_id and f"line:{line.line_id}" not in keys else f"line:#{index}"
        keys.add(key)
        line_what = f"{what}, line {index} '{line_name(line)}'"
        if line.line_total:
            tax = parts.checked(sale, mappings, line.tax_percent, on=on, what=line_what)
        else:  # a free line charges no VAT at any rate: booked under the tax zone's category
            tax = LineTax(sale.zone.vat_category, sale.zone.sales_account)
        parts.items.append(
            Part(
                key=key,
                description=line_name(line),
                quantity=line.quantity or Decimal("1"),
                amount=round_money(line.line_total, places),
                rate=Decimal(line.tax_percent),
                vat_category=tax.vat_category,
                account=tax.account,
                inventory_number=item_number_for(line, mappings, item_numbers),
                discount_percent=line.discount_percent,
            )
        )
    goods = list(parts.items)
    shipping_amount = round_money(order.shipping_amount, places)
    if shipping_amount:
        item, description, account = shipping_row(mappings, order.shipping_option, what=what)
        basis = goods
        if order.shipping_tax_percent is not None or not goods:
            rate = order.shipping_tax_percent
            if rate is None:  # shipping alone, without a rate of its own: the tax zone's rate
                rate = category_rate(mappings, sale.zone.vat_category, on) or ZERO
            rate = Decimal(rate)
            tax = parts.checked(sale, mappings, rate, on=on, what=f"{what}, shipping")
            basis = [Part("shipping", description, Decimal("1"), shipping_amount, rate, tax.vat_category, tax.account)]
        for part in spread(
            shipping_amount,
            basis,
            places,
            key="shipping",
            description=description,
            account=account,  # the shipping row's account, else each rate's own (the VAT-rate row's or the zone's)
        ):
            parts.items.append(_with_item(part, item))
    charged = sum((p.amount for p in parts.items), ZERO)
    total = round_money(order.grand_total - order.rounding_amount, places)  # the rounding is no charge
    target = total if order.prices_include_vat else total - round_money(order.tax_total, places)
    discount = round_money(charged - target, places)
    if discount:
        label = "Order discount" if discount > 0 else "Order surcharge"
        basis = goods or parts.items
        if not basis:
            raise RecordFailed(f"{what} has no lines to invoice.")
        parts.items.extend(spread(-discount, basis, places, key="discount", description=label))
    return parts


def _with_item(part: Part, item: str) -> Part:
    return Part(
        part.key, part.description, part.quantity, part.amount, part.rate, part.vat_category, part.account, item
    )


ROUNDING_KEY = "rounding:total"  # the key of a document's line for the shop's rounding of its total


def rounding_line(amount: Decimal, mappings: MappingSet, *, what: str, currency: str, places: int) -> DraftLine:
    """The line of a shop's rounding of its total (`amount`, signed: 0.40 up, -0.30 down): outside VAT
    (vat_category "", rate 0: öresavrundning is no taxable supply), on the integration's rounding account.
    RecordFailed when the integration has no rounding account."""
    if not mappings.rounding_account:
        raise RecordFailed(
            f"{what}: the shop rounded its total by {money_text(amount, currency, places)} (öre rounding), which is "
            "booked on the integration's rounding account, but none is set. Fill in the rounding account in "
            "Sync › Integrations (e.g. 3740), then resync."
        )
    return DraftLine(
        description="Öre rounding",
        quantity=Decimal("1"),
        unit_price=amount,
        amount=amount,
        vat_category="",
        account=mappings.rounding_account,
        key=ROUNDING_KEY,
        gross=amount,
        rate=ZERO,
    )


def invoice_draft(
    order: ShopOrder, mappings: MappingSet, *, item_numbers: dict[str, str] | None = None
) -> InvoiceDraft:
    """The ERP invoice for an order, or RecordFailed saying exactly which mapping or value is missing or wrong.

    Totals: `gross_total` = the order's total (what the customer paid, its rounding included); `tax_details` = the
    order's VAT per VAT category; both exact in the currency's decimals (document_vat). The shop's rounding of
    the total, if any, is the last line, outside VAT (`rounding_line`)."""
    what = record_name("order", order.number)
    sale = sale_of(order.billing, order.shipping, mappings, what=what)
    currency, places = currency_places(mappings, order.currency, what=what)
    if order.payment_method not in mappings.payment_methods:
        raise RecordFailed(
            f"{what}: unknown payment method '{order.payment_method or '(none)'}': "
            "add it in Mappings › Payment methods, then resync."
        )
    payment_method = mappings.payment_methods[order.payment_method][0]
    terms = mappings.payment_terms.get(order.payment_terms) if order.payment_terms else None
    ctype = "B2B" if sale.vat_number else sale.customer_type
    terms = terms or mappings.payment_terms.get(ctype) or mappings.payment_terms.get(sale.customer_type)
    if not terms:
        raise RecordFailed(
            f"{what}: no payment terms for '{order.payment_terms or ctype}': "
            f"add '{order.payment_terms or ctype}' in Mappings › Payment terms."
        )
    negative_quantity_check(order.lines, mappings, what=what, currency=order.currency)
    gross_total = exact_in(order.grand_total, order.currency, places, what=f"{what}: the total")
    vat_total = exact_in(order.tax_total, order.currency, places, what=f"{what}: the VAT")
    rounding = exact_in(order.rounding_amount, order.currency, places, what=f"{what}: the rounding of its total")
    parts = order_parts(order, sale, mappings, places=places, item_numbers=item_numbers or {})
    if not parts.items:
        raise RecordFailed(f"{what} has no lines to invoice.")
    lines, details = document_figures(
        parts.items,
        vat_total=vat_total,
        incl=order.prices_include_vat,
        places=places,
        rounding_account=mappings.rounding_account,
        what=what,
        currency=order.currency,
        stated=dict(order.vat_by_rate),
    )
    if rounding:
        lines += (rounding_line(rounding, mappings, what=what, currency=order.currency, places=places),)
    net_total = sum((line.amount for line in lines), ZERO)
    if net_total + vat_total != gross_total:  # a guard on document_vat's arithmetic, not on the shop's data
        raise RecordFailed(
            f"{what}: net {money_text(net_total, order.currency, places)} + VAT "
            f"{money_text(vat_total, order.currency, places)} is not the total "
            f"{money_text(gross_total, order.currency, places)}; a Koppla bug."
        )
    zone = sale.zone
    customer = CustomerDraft(
        email=(order.customer_email or order.billing.email).strip().lower(),
        name=order.billing.company or order.customer_name or order.billing.person_name or order.customer_email,
        is_company=bool(order.billing.company or sale.vat_number),
        vat_number=sale.vat_number,
        customer_type=sale.customer_type,
        customer_class=zone.customer_class,
        vat_zone=zone.vat_zone,
        country=sale.country,
        address=order.billing if order.billing.country else order.shipping,
        currency=currency,
        credit_terms=terms,
        payment_method=payment_method,
    )
    return InvoiceDraft(
        order_number=order.number,
        document_date=local_date(order.created_at, mappings.home_country),
        currency=currency,
        customer=customer,
        default_customer_number=mappings.default_customer_number if not customer.is_company else "",
        payment_method=payment_method,
        credit_terms=terms,
        vat_zone=zone.vat_zone,
        regime=sale.regime,
        country=sale.country,
        lines=lines,
        tax_details=details,
        net_total=net_total,
        vat_total=vat_total,
        gross_total=gross_total,
        text=f"Order {order.number}",
        warnings=tuple(parts.warnings),
        note=sale.note,
        rounding_account=mappings.rounding_account,
        currency_rate=document_rate(order, mappings, currency, what=what),
        branch=mappings.erp_branch,
        order_type=mappings.erp_order_type,
        warehouse=mappings.erp_warehouse,
    )
