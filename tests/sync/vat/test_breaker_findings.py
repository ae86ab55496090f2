"""Inputs that broke the first version of exact VAT (credit notes that mirror, rate checks, regimes,
territories), kept as regression tests.

Each docstring states the input, what went wrong before the fix and what is expected. Inputs are of the
kinds of the accounting cases (test_accounting_cases.py); mapping rows are builders.py's unless a test
changes one.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from sync.flows.base import RecordFailed
from sync.flows.order_mapping import invoice_draft

from .builders import (
    category_rates,
    credit,
    mapping_set,
    per_account,
    shop_line,
    shop_order,
    shop_refund,
    vat_by_category,
    zones,
)

D = Decimal


def at_order():
    """AT consumer, EUR: T-shirt 99.99 + cap 49.99 + shipping 4.95, all 20 % incl. VAT."""
    return shop_order(
        [
            shop_line("99.99", 20, line_id="1"),
            shop_line("49.99", 20, line_id="2", sku="2002-RED-S", name="Cap"),
        ],
        shipping="4.95",
        total="154.93",
        vat="25.82",
        country="AT",
        zip_code="1010",
        currency="EUR",
    )


# --------------------------------------------------------------------------- credit notes
def test_the_rest_after_a_partial_refund_with_a_fee_is_credited_and_nets_to_zero():
    """HIGH. R1 returns the cap (49.99) but refunds 45.00 (a 4.99 restocking fee): its credit note carries a
    "Refund adjustment" line of -4.16 net. R2 then refunds all that is left (154.93 - 45.00 = 109.93).

    Before the fix R2 fails with "the credit note would total 105.77 EUR, not the refund's 109.93; a Koppla bug":
    figures_left drops the adjustment line (its key `adjustment:OSS-AT` is not an invoice line) from the
    lines but keeps its VAT and gross, so the "rest" no longer adds up. Every order with a fee, a voucher
    share, or any partial whose total differs from its lines can then never be fully credited.
    Expected: R2 is the full credit note (109.93), and invoice − R1 − R2 is zero on every account and VAT
    category."""
    order, mappings = at_order(), mapping_set()
    invoice = invoice_draft(order, mappings)
    first = credit(
        shop_refund(order, [shop_line("49.99", 20, line_id="2", sku="2002-RED-S")], total="45.00"),
        order,
        mappings,
        invoice,
    )
    rest = shop_refund(order, [shop_line("99.99", 20, line_id="1")], shipping="4.95", total="109.93", refund_id="R2")
    last = credit(rest, order, mappings, invoice, [first])
    assert last.full and last.gross_total == D("109.93")
    assert set(per_account(invoice, first, last, signs=(1, -1, -1)).values()) == {D(0)}


def test_case_2_wholesale_partial_returns_then_the_rest_net_to_zero():
    """HIGH. Case 2's wholesale order (SE, excl. VAT, 7 × 19.99, 10 % order discount, total 157.43).
    The buyer returns 3, then 2, then the last 2; each refund is what the shop refunds: the lines less
    the 10 % discount, plus 25 % VAT (67.47, 44.98, then the rest 44.98).

    Before the fix the third refund fails with "would total 34.99 SEK, not the refund's 44.98; a Koppla bug": the
    partials' discount shares are "Refund adjustment" lines that figures_left cannot subtract.
    Expected: the third credit note is the full rest and the three reverse the invoice exactly."""
    order = shop_order(
        [shop_line("139.93", 25, qty=7)],
        total="157.43",
        vat="31.49",
        country="SE",
        vat_number="SE556677889901",
        company="Skärgårdens Kläder AB",
        incl=False,
    )
    mappings = mapping_set()
    invoice = invoice_draft(order, mappings)
    first = credit(shop_refund(order, [shop_line("59.97", 25, qty=3)], total="67.47"), order, mappings, invoice)
    second = credit(
        shop_refund(order, [shop_line("39.98", 25, qty=2)], total="44.98", refund_id="R2"),
        order,
        mappings,
        invoice,
        [first],
    )
    rest = D("157.43") - first.gross_total - second.gross_total
    last = credit(
        shop_refund(order, [shop_line("39.98", 25, qty=2)], total=rest, refund_id="R3"),
        order,
        mappings,
        invoice,
        [first, second],
    )
    assert last.full
    assert set(per_account(invoice, first, second, last, signs=(1, -1, -1, -1)).values()) == {D(0)}


@pytest.mark.parametrize("total", ["200.00", "154.94"])
def test_a_refund_bigger_than_what_is_left_on_the_invoice_is_refused(total):
    """HIGH. Invoice 154.93; a refund of the T-shirt (99.99) with total 200.00 (or 154.94, one cent more than
    the whole invoice). Before the fix a credit note of 200.00 is drafted: the T-shirt plus a "Refund adjustment"
    of 100.01 (VAT 16.67), so more is credited than was ever invoiced (sales and VAT go negative).
    Expected: RecordFailed saying the refund is more than is left uncredited on the invoice (154.93)."""
    order, mappings = at_order(), mapping_set()
    invoice = invoice_draft(order, mappings)
    with pytest.raises(RecordFailed, match="154.93"):
        credit(shop_refund(order, [shop_line("99.99", 20, line_id="1")], total=total), order, mappings, invoice)


def test_refunded_shipping_beyond_the_invoiced_shipping_is_refused():
    """MEDIUM. Invoice shipping 4.95; a refund of shipping 10.00 (total 10.00). Before the fix the credit note
    credits "Refunded shipping" 10.00 (net 8.34, VAT 1.66) against 4.13 + 0.82 invoiced: the shipping
    account and VAT go negative. A refunded line larger than its invoiced line is refused; shipping is not
    checked. Expected: RecordFailed naming the 4.95 of shipping left on the invoice."""
    order, mappings = at_order(), mapping_set()
    invoice = invoice_draft(order, mappings)
    with pytest.raises(RecordFailed, match="4.95"):
        credit(shop_refund(order, [], shipping="10.00", total="10.00"), order, mappings, invoice)


# --------------------------------------------------------------------------- rate checks
def _zone_category(key, category):
    z = zones()
    z[key] = replace(z[key], vat_category=category)
    return mapping_set(tax_zones=z)


@pytest.mark.parametrize(
    "order, mappings",
    [
        (  # DE B2B reverse charge, but the DE/B2B tax-zone row points at OSS-DE (19 %)
            shop_order(
                [shop_line("100", 0)],
                total="100",
                vat="0",
                country="DE",
                vat_number="DE811907980",
                company="Nordlicht Mode GmbH",
                incl=False,
                currency="EUR",
            ),
            _zone_category(("DE", "B2B"), "OSS-DE"),
        ),
        (  # an export to Norway, but the rest-of-world row points at SE25 (25 %)
            shop_order([shop_line("100", 0)], total="100", vat="0", country="NO", zip_code="0150", currency="NOK"),
            _zone_category(("*", "B2C"), "SE25"),
        ),
    ],
    ids=["reverse-charge-row-to-19%", "export-row-to-25%"],
)
def test_a_zero_rated_sale_checks_that_its_vat_category_is_zero_rated(order, mappings):
    """MEDIUM. Zero-rated regimes (reverse charge, export) take the tax zone's VAT category without looking
    at its rate: a row pointing at a taxed category books the sale under OSS-DE (19 %) or SE25 (25 %) with
    VAT 0 (a 0-VAT tax detail on a taxed category; the ERP's VAT report then shows untaxed sales in the 19/25 %
    box). A category the ERP does not have at all (e.g. "NOPE") is accepted too.
    Expected: like taxed sales, RecordFailed naming the category and its rate on the document date (19 % /
    25 %) against the 0 % the regime needs, pointing at Mappings › Tax zones."""
    with pytest.raises(RecordFailed, match="Tax zones"):
        invoice_draft(order, mappings)


def test_a_rate_change_is_checked_on_the_local_date_not_the_utc_date():
    """MEDIUM. Finland's rate went 24 → 25.5 % on 2024-09-01. An order placed at 01:30 Helsinki time
    (00:30 Stockholm) on 1 September reaches Koppla as Centra gives it, in UTC: 2024-08-31T22:30:00+00:00
    (the Centra sandbox's stamp() and the project's fixtures all use +00:00). The shop charged 25.5 %.
    Before the fix: refused, "Finland (FI) charges 24 % on 2024-08-31", and the invoice would be dated 31 August.
    Same for EE at 2025-06-30T21:30Z and SK at 2024-12-31T23:30Z. Expected: the date is the local
    (seller's / destination's) date, 2024-09-01, so 25.5 % is accepted."""
    order = shop_order(
        [shop_line("125.50", "25.5")],
        total="125.50",
        vat="25.50",
        country="FI",
        zip_code="00100",
        currency="EUR",
        created="2024-08-31T22:30:00+00:00",
    )
    draft = invoice_draft(order, mapping_set())
    assert vat_by_category(draft) == {"OSS-FI": D("25.50")}


def test_a_free_line_at_0_percent_does_not_fail_the_order():
    """LOW. Swedish consumer: a T-shirt 100 at 25 % and a free gift line (quantity 1, 0.00) the shop sent
    with 0 %. Before the fix the whole order is refused: "line 2 'Gift (GIFT)' charged 0 % VAT, but Sweden (SE)
    charges 25 %". A rate on a zero amount charges nothing. Expected: invoiced (VAT 20.00 under SE25); the
    free line, if kept, under the zone's category."""
    order = shop_order(
        [shop_line("100", 25), shop_line("0", 0, line_id="2", sku="GIFT", name="Gift")], total="100", vat="20"
    )
    assert vat_by_category(invoice_draft(order, mapping_set())) == {"SE25": D("20")}


def test_a_negative_rate_is_a_record_failure_not_a_crash():
    """LOW (unlikely input). A line whose taxPercent is -100 with the rate check set to warn raises
    decimal.DivisionByZero from document_vat.exact_vat instead of RecordFailed. Expected: RecordFailed
    naming the line and its rate, whatever the rate-check setting."""
    order = shop_order([shop_line("124", -100)], total="124", vat="0", country="AT", currency="EUR")
    with pytest.raises(RecordFailed):
        invoice_draft(order, mapping_set(vat_rate_check="warn"))


# --------------------------------------------------------------------------- regimes and territories
def test_goods_delivered_to_great_britain_are_an_export_even_with_an_xi_vat_number():
    """MEDIUM. A buyer with VAT number XI123456789 whose goods go to London (GB, SW1A 1AA). Before the fix:
    regime eu_b2b, country XI, reverse charge under RC0 ("a buyer with an XI VAT number: Northern Ireland
    rules for goods"), i.e. an intra-EU supply to be reported in the EC sales list. The place of supply of
    goods is where they go (the module's own first rule); the XI prefix only marks a Northern Ireland trader,
    and goods delivered to Great Britain leave the EU VAT area. Expected: an export (regime export, EXP0);
    the XI number should only decide when the GB postcode is missing."""
    order = shop_order(
        [shop_line("100", 0)],
        total="100",
        vat="0",
        country="GB",
        zip_code="SW1A 1AA",
        currency="GBP",
        vat_number="XI123456789",
        company="Belfast Linen Ltd",
        incl=False,
    )
    draft = invoice_draft(order, mapping_set())
    assert (draft.regime, vat_by_category(draft)) == ("export", {"EXP0": D("0")})


@pytest.mark.parametrize(
    "country, zip_code, name",
    [
        ("FI", "AX-22100", "Åland"),
        ("DE", "D-78266", "Büsingen"),
        ("ES", "E-35001", "Canary"),
        ("GR", "GR-630 86", "Athos"),
    ],
)
def test_postcodes_written_with_a_country_prefix_find_their_territory(country, zip_code, name):
    """LOW-MEDIUM. Postcodes written with the country letters in front ("AX-22100" is how Åland's own post
    writes them; "D-78266 Büsingen", "E-35001", "GR-630 86" are common in shop data) do not match the
    territory rows, because only spaces/dashes are removed. Before the fix: taxed as Finland/Germany/Spain/Greece, and
    the shop's 0 % is refused ("Finland (FI) charges 25.5 %"). Expected: a leading country code (the
    country's own letters, AX for Åland) is dropped before matching, so these are exports like "22100"."""
    order = shop_order([shop_line("80", 0)], total="80", vat="0", country=country, zip_code=zip_code, currency="EUR")
    draft = invoice_draft(order, mapping_set())
    assert draft.regime == "export" and name in draft.note


@pytest.mark.parametrize("number", ["DE８１１９０７９８０", "DE٨١١٩٠٧٩٨٠"], ids=["fullwidth", "arabic-indic"])
def test_a_vat_number_with_non_ascii_digits_is_malformed(number):
    """LOW. vat_number_problem matches patterns with \\d, which in Python matches any Unicode digit, so
    "DE８１１９０７９８０" (full-width) passes as a German VAT number and the sale is zero-rated as reverse
    charge with a number VIES and the ERP will not recognise. Expected: RecordFailed "does not have the
    format of a Germany VAT number" (ASCII digits only), or the digits normalised to ASCII first."""
    order = shop_order(
        [shop_line("100", 0)],
        total="100",
        vat="0",
        country="DE",
        vat_number=number,
        company="X",
        incl=False,
        currency="EUR",
    )
    with pytest.raises(RecordFailed, match="format"):
        invoice_draft(order, mapping_set())


def test_a_uk_seller_charges_uk_vat_on_goods_to_northern_ireland():
    """LOW (seller home not SE). Home country GB, domestic zone GB/B2C → GB20 (20 %). A consumer in Belfast
    (GB, BT1 1AA) charged 20 %. Before the fix: refused: "a sale to Northern Ireland (XI) … is an export at 0 %": the
    BT territory row turns it into XI, and with a non-EU home every other place is an export. Northern
    Ireland is in the UK VAT territory: a UK seller's sale there is domestic at the UK rate.
    Expected: regime domestic, VAT 20 under GB20."""
    z = zones()
    z[("GB", "B2C")] = replace(z[("SE", "B2C")], country="GB", vat_zone="GB", vat_category="GB20")
    rates = {**category_rates(), "GB20": (("2000-01-01", D("20")),)}
    mappings = mapping_set(home_country="GB", tax_zones=z, category_rates=rates)
    order = shop_order([shop_line("120", 20)], total="120", vat="20", country="GB", zip_code="BT1 1AA", currency="GBP")
    draft = invoice_draft(order, mappings)
    assert draft.regime == "domestic" and vat_by_category(draft) == {"GB20": D("20")}
