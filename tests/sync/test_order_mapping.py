"""The pure order → invoice mapping: tax regimes, mappings, and totals to the cent."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.selectors import MappingSet, TaxZone
from sync.flows.base import RecordFailed
from sync.flows.order_mapping import invoice_draft
from sync.shop import ShopAddress, ShopLine, ShopOrder

D = Decimal
ZONES = {
    ("SE", "B2C"): TaxZone("SE", "B2C", "DOMESTIC", "SE", "SE25", "3001"),
    ("SE", "B2B"): TaxZone("SE", "B2B", "DOMESTIC", "SE", "SE25", "3001"),
    ("FR", "B2C"): TaxZone("FR", "B2C", "EUB2C", "OSS", "OSS-FR", "3106"),
    ("DE", "B2B"): TaxZone("DE", "B2B", "EUB2B", "EURC", "RC0", "3108"),
    ("DE", "B2C"): TaxZone("DE", "B2C", "EUB2C", "OSS", "OSS-DE", "3106"),
    ("*", "B2C"): TaxZone("*", "B2C", "EXPORT", "EXPORT", "EXP0", "3105"),
    ("*", "B2B"): TaxZone("*", "B2B", "EXPORT", "EXPORT", "EXP0", "3105"),
}
MAPPINGS = MappingSet(
    home_country="SE",
    tax_country_source="shipping",
    default_customer_number="",
    tax_zones=ZONES,
    payment_methods={"klarna-checkout": ("KLARNA", "1581"), "invoice": ("INVOICE", "1930")},
    payment_terms={"B2C": "0", "B2B": "30"},
    shipping={"standard": ("FREIGHT", "Shipping", ""), "*": ("FREIGHT", "Shipping", "")},
    currencies={"SEK": ("SEK", 2), "EUR": ("EUR", 2), "NOK": ("NOK", 2)},
    sku_rule=("segment:1", "segment:2", "segment:3", "-"),
    category_rates={
        category: (("2000-01-01", D(rate)),)
        for category, rate in {"SE25": 25, "OSS-FR": 20, "OSS-DE": 19, "RC0": 0, "EXP0": 0}.items()
    },
)


def line(total, tax, qty=1, name="Shirt", discount=D("0")):
    total = D(total)
    return ShopLine(
        line_id="1",
        sku="1001BLKM",
        name=name,
        quantity=D(qty),
        unit_price=total / D(qty),
        unit_original_price=total / D(qty),
        line_total=total,
        tax_percent=D(tax),
        discount_percent=discount,
        product_number="1001",
        variant_number="BLK",
        size_number="M",
        size_id="55",
    )


def order(
    country="SE",
    lines=(),
    shipping="0",
    total=None,
    tax_total=None,
    currency="SEK",
    vat="",
    company="",
    incl=True,
    method="klarna-checkout",
):
    lines = tuple(lines)
    total = D(total) if total is not None else sum((ln.line_total for ln in lines), D("0")) + D(shipping)
    if tax_total is None:  # what the shop charged: the order total's VAT at the (one) rate of its lines
        rate = lines[0].tax_percent if lines else D("0")
        tax_total = (total * rate / (100 + rate)).quantize(D("0.01")) if incl else D("0")
    address = ShopAddress(
        first_name="Ada", last_name="Lind", company=company, country=country, email="ada@example.com", vat_number=vat
    )
    return ShopOrder(
        id="h1",
        number="1234",
        status="SHIPPED",
        created_at="2026-11-20T10:00:00+01:00",
        updated_at="2026-11-20T09:00:00Z",
        currency=currency,
        prices_include_vat=incl,
        customer_email="Ada@Example.com",
        billing=address,
        shipping=address,
        lines=lines,
        shipping_amount=D(shipping),
        shipping_option="standard",
        payment_method=method,
        grand_total=total,
        tax_total=D(tax_total),
    )


def test_domestic_b2c_prices_include_vat():
    draft = invoice_draft(order("SE", [line("499.00", 25, qty=2), line("199.90", 25)], shipping="49.00"), MAPPINGS)
    assert draft.regime == "domestic" and draft.vat_zone == "SE" and draft.customer.customer_class == "DOMESTIC"
    assert [ln.amount for ln in draft.lines] == [D("399.20"), D("159.92"), D("39.20")]
    assert draft.lines[0].inventory_number == "1001-BLK-M"
    assert draft.lines[2].inventory_number == "FREIGHT"
    assert draft.gross_total == D("747.90")
    assert draft.net_total + draft.vat_total == draft.gross_total
    assert draft.vat_total == D("149.58")
    assert draft.customer.email == "ada@example.com" and not draft.customer.is_company
    assert (draft.payment_method, draft.credit_terms) == ("KLARNA", "0")


def test_eu_b2c_uses_the_destination_country_oss_category():
    draft = invoice_draft(order("FR", [line("120.00", 20)], currency="EUR"), MAPPINGS)
    assert draft.regime == "eu_b2c" and draft.lines[0].vat_category == "OSS-FR" and draft.lines[0].account == "3106"
    assert (draft.net_total, draft.vat_total) == (D("100.00"), D("20.00"))


def test_eu_b2b_with_a_valid_vat_number_is_reverse_charge_at_zero():
    o = order("DE", [line("100.00", 0)], currency="EUR", vat="DE123456789", company="Beispiel GmbH", method="invoice")
    draft = invoice_draft(o, MAPPINGS)
    assert draft.regime == "eu_b2b" and draft.vat_zone == "EURC" and draft.customer.customer_class == "EUB2B"
    assert draft.vat_total == D("0.00") and draft.customer.is_company and draft.customer.vat_number == "DE123456789"
    assert draft.credit_terms == "30"


def test_export_outside_the_eu_falls_back_to_rest_of_world():
    draft = invoice_draft(order("NO", [line("300.00", 0)], currency="NOK"), MAPPINGS)
    assert draft.regime == "export" and draft.vat_zone == "EXPORT" and draft.vat_total == D("0")


def test_invalid_vat_number_fails_with_a_specific_message():
    with pytest.raises(RecordFailed, match="format of a Germany VAT number"):
        invoice_draft(order("DE", [line("100", 0)], currency="EUR", vat="DE12"), MAPPINGS)


def test_unmapped_eu_country_does_not_fall_back_to_export():
    with pytest.raises(RecordFailed) as exc:
        invoice_draft(order("IT", [line("122", 22)], currency="EUR"), MAPPINGS)
    assert "no tax-zone mapping for country Italy (IT) / B2C" in exc.value.message
    assert "Mappings › Tax zones" in exc.value.message


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"method": "swish"}, "unknown payment method 'swish'"),
        ({"currency": "PLN"}, "currency PLN is not mapped"),
    ],
)
def test_missing_mappings_name_the_table_to_fix(change, fragment):
    with pytest.raises(RecordFailed, match=fragment):
        invoice_draft(order("SE", [line("100", 25)], **change), MAPPINGS)


def test_vat_charged_on_a_reverse_charge_order_is_refused():
    o = order("DE", [line("119.00", 19)], currency="EUR", vat="DE123456789", company="GmbH")
    with pytest.raises(RecordFailed, match="intra-EU reverse charge at 0 %"):
        invoice_draft(o, MAPPINGS)


def test_an_order_level_voucher_becomes_a_discount_line():
    draft = invoice_draft(order("SE", [line("500.00", 25)], shipping="50.00", total="450.00"), MAPPINGS)
    discount = draft.lines[-1]
    assert discount.description == "Order discount" and discount.amount == D("-80.00")
    assert draft.gross_total == D("450.00") and draft.net_total == D("360.00")


def test_wholesale_prices_exclude_vat():
    o = order(
        "SE",
        [line("1000.00", 25), line("250.00", 25)],
        total="1562.50",
        tax_total="312.50",
        incl=False,
        company="Butik AB",
        vat="SE556677889901",
        method="invoice",
    )
    draft = invoice_draft(o, MAPPINGS)
    assert draft.net_total == D("1250.00") and draft.vat_total == D("312.50")
    assert draft.customer.customer_type == "B2C"  # a domestic company is not reverse charge


def test_totals_that_do_not_add_up_are_refused():
    o = order("SE", [line("100.00", 25)], total="150.00")  # a "surcharge" of 50 would be fine, but VAT says no
    o = replace(o, lines=(line("100.00", 25),), grand_total=D("100.00"), tax_total=D("20.00"), shipping_amount=D("0"))
    draft = invoice_draft(o, MAPPINGS)
    assert draft.gross_total == D("100.00")
    bad = replace(o, prices_include_vat=False, tax_total=D("90.00"), grand_total=D("190.00"))
    with pytest.raises(
        RecordFailed,
        match=r"does not add up: the shop charged 90.00\u00a0SEK VAT, but its lines at the rates they state \(25 %\) give 25.00\u00a0SEK\.",
    ):
        invoice_draft(bad, MAPPINGS)
    off_by_a_cent = replace(o, tax_total=D("20.01"))  # one amount: at most half a cent of rounding
    with pytest.raises(RecordFailed, match="does not add up"):
        invoice_draft(off_by_a_cent, MAPPINGS)


amounts = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
rates = st.sampled_from([D("25"), D("20"), D("19"), D("25.5"), D("21"), D("17"), D("27")])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(amounts, st.integers(1, 5)), min_size=1, max_size=8), amounts, rates, st.booleans())
def test_invoice_total_always_equals_the_order_total(line_specs, shipping, rate, voucher):
    lines = [line(str(a), rate, qty=q) for a, q in line_specs]
    total = sum((a for a, _ in line_specs), D("0")) + shipping
    if voucher:
        total = (total * D("0.9")).quantize(D("0.01"))
    zones = {**ZONES, ("SE", "B2C"): TaxZone("SE", "B2C", "DOMESTIC", "SE", "X", "3001")}
    rates = {**MAPPINGS.category_rates, "X": (("2000-01-01", rate),)}
    draft = invoice_draft(
        order("SE", lines, shipping=str(shipping), total=str(total)),
        replace(MAPPINGS, tax_zones=zones, category_rates=rates),
    )
    assert draft.net_total + draft.vat_total == draft.gross_total == total
    assert sum(ln.amount for ln in draft.lines) == draft.net_total
    assert all(ln.amount == ln.amount.quantize(D("0.01")) for ln in draft.lines)


def test_a_negative_quantity_is_refused_naming_the_line_and_the_value():
    """Chaos case 8: −2 × 255.36 was invoiced without a word."""
    o = order("SE", [line("499.00", 25, qty=2), line("-510.72", 25, qty=-2, name="Merino T-shirt")])

    with pytest.raises(RecordFailed) as refused:
        invoice_draft(o, MAPPINGS)

    message = refused.value.message
    assert "Order 1234, line 2 'Merino T-shirt (1001BLKM)': quantity -2 × 255.36\u00a0SEK is negative" in message
    assert "Allow negative quantities" in message


def test_a_negative_quantity_is_invoiced_as_it_is_when_the_integration_allows_it():
    o = order("SE", [line("499.00", 25, qty=2), line("-510.72", 25, qty=-2)])

    draft = invoice_draft(o, replace(MAPPINGS, allow_negative_quantities=True))

    assert [(ln.quantity, ln.amount) for ln in draft.lines] == [(D("2"), D("399.20")), (D("-2"), D("-408.58"))]
    assert draft.gross_total == D("-11.72")


def test_the_shops_currency_rate_goes_on_a_foreign_currency_invoice_only():
    eur = replace(order("DE", [line("124.95", "19")], currency="EUR"), currency_rate=D("11.4823"))
    assert invoice_draft(eur, MAPPINGS).currency_rate == D("11.4823")  # SEK per 1 EUR
    assert invoice_draft(replace(eur, currency_rate=None), MAPPINGS).currency_rate is None  # Fortnox's own rate
    sek = replace(order("SE", [line("100", "25")]), currency_rate=D("1"))
    assert invoice_draft(sek, MAPPINGS).currency_rate is None  # a home-currency invoice has no rate


def test_a_currency_rate_of_zero_fails_the_order_with_the_rate():
    eur = replace(order("DE", [line("124.95", "19")], currency="EUR"), currency_rate=D("0"))
    with pytest.raises(RecordFailed, match=r"Order 1234: the shop's currency rate for EUR is 0, not a rate"):
        invoice_draft(eur, MAPPINGS)
