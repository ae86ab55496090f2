"""Property-based: random orders across the EU, its territories and beyond, in seven currencies.

Each generated order is what a shop would send: lines (mixed and reduced rates, awkward prices),
shipping, an order-level voucher the lines do not show, B2B (prices excl. VAT, a VAT number) or
B2C (prices incl. VAT), dated across the 2024-2025 rate changes. The shop's VAT is computed the
way shops do: per rate, rounded once per rate (the shop states only the total), or rounded per
line and stated per rate. Whatever the order, the invoice's total is the order's, its VAT per VAT
category is the shop's, and invoice + credit notes of a full refund are zero on every account and
every VAT category.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.flows.order_mapping import invoice_draft
from sync.vat import split_by_weight, unit

from .builders import (
    CURRENCIES,
    EU,
    HISTORY,
    HOME,
    REDUCED,
    STANDARD,
    credit,
    mapping_set,
    per_account,
    shop_line,
    shop_order,
    shop_refund,
)

D = Decimal
MAPPINGS = mapping_set()
OUTSIDE = ["NO", "CH", "GB", "US"]
DESTINATIONS = [*EU, *OUTSIDE, "MC", "XI"]
VAT_NUMBERS = {
    "AT": "ATU13585627",
    "BE": "BE0123456789",
    "BG": "BG123456789",
    "CY": "CY12345678X",
    "CZ": "CZ12345678",
    "DE": "DE811907980",
    "DK": "DK13585628",
    "EE": "EE123456789",
    "ES": "ESX1234567X",
    "FI": "FI20774740",
    "FR": "FR40303265045",
    "GR": "EL123456789",
    "HR": "HR12345678901",
    "HU": "HU12345678",
    "IE": "IE1234567T",
    "IT": "IT12345678901",
    "LT": "LT123456789",
    "LU": "LU12345678",
    "LV": "LV12345678901",
    "MT": "MT12345678",
    "NL": "NL859048134B01",
    "PL": "PL1234567890",
    "PT": "PT123456789",
    "RO": "RO1234567",
    "SE": "SE556677889901",
    "SI": "SI12345678",
    "SK": "SK1234567890",
    "XI": "XI123456789",
    "MC": "FR40303265045",
}


def standard_rate(country: str, on: date) -> Decimal:
    rate = D(STANDARD[country])
    for start, value in HISTORY.get(country, ()):
        if start <= on.isoformat():
            rate = D(value)
    return rate


def rates_for(destination: str, b2b: bool, on: date) -> list[Decimal]:
    """The rates a correct shop may charge on a line of this sale."""
    if destination in OUTSIDE:
        return [D(0)]
    country = "FR" if destination == "MC" else destination
    if b2b and country != HOME:
        return [D(0)]
    return [standard_rate(country, on), *(D(rate) for (c, rate), _ in REDUCED.items() if c == country)]


def category_of(destination: str, b2b: bool, rate: Decimal) -> str:
    if destination in OUTSIDE:
        return "EXP0"
    country = "FR" if destination == "MC" else destination
    if b2b and country != HOME:
        return "RC0"
    reduced = {D(r): cat for (c, r), cat in REDUCED.items() if c == country}
    if rate in reduced:
        return reduced[rate]
    return "SE25" if country == HOME else f"OSS-{country}"


def rnd(value: Decimal, places: int) -> Decimal:
    return value.quantize(unit(places), rounding=ROUND_HALF_UP)


@dataclass
class Generated:
    order: object
    expected_vat: dict[str, Decimal]  # VAT category → the shop's VAT
    lines: list  # the shop lines, for refunds


@st.composite
def sales(draw):
    destination = draw(st.sampled_from(DESTINATIONS))
    b2b = draw(st.booleans())
    currency = draw(st.sampled_from(["SEK", "EUR", "NOK", "DKK", "GBP", "USD", "JPY"]))
    places = CURRENCIES[currency][1]
    on = date(2024, 6, 1) + timedelta(days=draw(st.integers(0, 910)))
    allowed = rates_for(destination, b2b, on)
    step = unit(places)
    price = st.one_of(
        st.integers(1, 999_999 if places else 199_999).map(lambda n: n * step),
        st.sampled_from([D("0.01"), D("0.99"), D("33.33"), D("99.99"), D("19.99"), D("1999")]).map(
            lambda v: rnd(v, places) or step
        ),
    )
    specs = draw(st.lists(st.tuples(price, st.integers(1, 5), st.sampled_from(allowed)), min_size=1, max_size=6))
    lines = [
        shop_line(unit_price * qty, rate, qty=qty, line_id=str(i), sku=f"SKU-{i}", name=f"Item {i}")
        for i, (unit_price, qty, rate) in enumerate(specs, start=1)
    ]
    shipping = draw(st.sampled_from([D(0), D(0), rnd(D("4.95"), places) or step, rnd(D("59"), places)]))
    goods = sum((line.line_total for line in lines), D(0))
    voucher_percent = draw(st.sampled_from([0, 0, 5, 10, 15, 33]))
    voucher = rnd(goods * voucher_percent / 100, places)
    stated_per_line = draw(st.booleans())

    # The shop's own arithmetic: shipping and voucher split over the rates by value, VAT per rate.
    groups: dict[Decimal, D] = {}
    for line in lines:
        groups[line.tax_percent] = groups.get(line.tax_percent, D(0)) + line.line_total
    rates = list(groups)
    weights = [groups[r] for r in rates]
    shipping_share = split_by_weight(shipping, weights, places) if len(rates) > 1 else [shipping]
    voucher_share = split_by_weight(voucher, weights, places) if len(rates) > 1 else [voucher]
    incl = not b2b
    vat_by_rate: dict[Decimal, Decimal] = {}
    for rate, ship, off in zip(rates, shipping_share, voucher_share, strict=True):
        base = groups[rate] + ship - off
        if stated_per_line:
            amounts = [line.line_total for line in lines if line.tax_percent == rate] + [ship, -off]
        else:
            amounts = [base]
        factor = rate / (100 + rate) if incl else rate / 100
        vat_by_rate[rate] = sum((rnd(a * factor, places) for a in amounts), D(0))
    vat_total = sum(vat_by_rate.values(), D(0))
    total = goods + shipping - voucher + (D(0) if incl else vat_total)

    country, zip_code = destination, "12345"
    if destination == "XI":
        country, zip_code = "GB", "BT1 1AA"
    vat_number = VAT_NUMBERS.get(destination, "") if b2b else ""
    if b2b and destination in OUTSIDE:
        vat_number = ""
    order = shop_order(
        lines,
        total=total,
        vat=vat_total,
        country=country,
        zip_code=zip_code,
        currency=currency,
        shipping=shipping,
        vat_number=vat_number,
        company="Buyer Ltd" if b2b else "",
        incl=incl,
        created=f"{on.isoformat()}T12:00:00+01:00",
    )
    if stated_per_line:
        order = replace(order, vat_by_rate=tuple(vat_by_rate.items()))
    expected: dict[str, Decimal] = {}
    for rate, vat in vat_by_rate.items():
        category = category_of(destination, b2b, rate)
        expected[category] = expected.get(category, D(0)) + vat
    return Generated(order, expected, lines)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales())
def test_invoice_total_and_vat_per_category_are_the_shops(sale):
    order = sale.order
    draft = invoice_draft(order, MAPPINGS)
    places = CURRENCIES[order.currency][1]
    assert draft.gross_total == order.grand_total
    assert {t.vat_category: t.vat for t in draft.tax_details} == sale.expected_vat
    assert sum((line.amount for line in draft.lines), D(0)) + draft.vat_total == draft.gross_total
    assert {t.vat_category: t.taxable for t in draft.tax_details} == {
        c: sum((line.amount for line in draft.lines if line.vat_category == c), D(0)) for c in sale.expected_vat
    }
    assert all(line.amount == rnd(line.amount, places) for line in draft.lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales(), st.data())
def test_invoice_and_its_full_refund_net_to_zero_on_every_account(sale, data):
    order = sale.order
    invoice = invoice_draft(order, MAPPINGS)
    places = CURRENCIES[order.currency][1]
    notes = []
    first = data.draw(st.lists(st.sampled_from(sale.lines), unique_by=lambda line: line.line_id, max_size=3))
    if first and len(first) < len(sale.lines):
        gross = sum((line.line_total for line in first), D(0))
        if not order.prices_include_vat:
            gross = sum((rnd(line.line_total * (100 + line.tax_percent) / 100, places) for line in first), D(0))
        if 0 < gross < invoice.gross_total:  # a voucher may leave less on the invoice than a line's price
            notes.append(credit(shop_refund(order, first, total=gross, refund_id="R1"), order, MAPPINGS, invoice))
    rest = [line for line in sale.lines if all(line.line_id != f.line_id for f in first)] if notes else sale.lines
    left = invoice.gross_total - sum((n.gross_total for n in notes), D(0))
    if left > 0:
        refund = shop_refund(order, rest, total=left, shipping=order.shipping_amount, refund_id="R2")
        last = credit(refund, order, MAPPINGS, invoice, notes)
        assert last.full
        notes.append(last)
        balance = per_account(invoice, *notes, signs=(1, *[-1] * len(notes)))
        assert set(balance.values()) <= {D(0)}, balance
