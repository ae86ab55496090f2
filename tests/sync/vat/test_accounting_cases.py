"""The accounting cases (orders whose invoice, VAT or credit note came out wrong), each as a test.

Inputs are copied from the cases file of issue 12; mapping rows are those of tests/sync/vat/builders.py
(`country,customer_type,customer_class,vat_zone,vat_category,sales_account` as in the demo tax zones).
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from sync.flows.base import RecordFailed
from sync.flows.order_mapping import invoice_draft

from .builders import credit, mapping_set, per_account, shop_line, shop_order, shop_refund, vat_by_category

D = Decimal


def test_case_1_invoice_vat_is_the_orders_vat_not_the_sum_of_rounded_line_nets():
    """AT consumer, 99.99 incl. 20 % + shipping 4.95: total 104.94 and VAT 17.49, as the shop charged."""
    order = shop_order(
        [shop_line("99.99", 20)],
        shipping="4.95",
        total="104.94",
        vat="17.49",
        country="AT",
        zip_code="1010",
        currency="EUR",
    )
    draft = invoice_draft(order, mapping_set())
    assert draft.gross_total == D("104.94")
    assert vat_by_category(draft) == {"OSS-AT": D("17.49")}
    assert draft.tax_details[0].taxable == D("87.45")
    assert sum(line.amount for line in draft.lines) == D("87.45")
    rounding = [line for line in draft.lines if line.description == "Rounding"]
    assert [(r.amount, r.account, r.vat_category) for r in rounding] == [(D("-0.01"), "3740", "OSS-AT")]


def test_case_1_many_lines_never_drift():
    """Forty lines of 99.99: per-line rounding would drift by 0.20; the invoice still carries the shop's VAT."""
    lines = [shop_line("99.99", 20, line_id=str(i)) for i in range(40)]
    total = D("99.99") * 40
    vat = (total * 20 / 120).quantize(D("0.01"))
    draft = invoice_draft(shop_order(lines, total=total, vat=vat, country="AT", currency="EUR"), mapping_set())
    assert vat_by_category(draft) == {"OSS-AT": vat} and draft.gross_total == total


def test_case_2_full_refund_credit_note_mirrors_the_invoice():
    """SE wholesale, 7 × 19.99 at 25 % with a 10 % order discount 13.99: credit note = invoice, per account and VAT."""
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
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (D("125.94"), D("31.49"), D("157.43"))
    refund = shop_refund(order, [shop_line("139.93", 25, qty=7)], total="157.43")
    note = credit(refund, order, mappings, invoice)
    assert (note.net_total, note.vat_total) == (D("125.94"), D("31.49"))
    assert set(per_account(invoice, note, signs=(1, -1)).values()) == {D(0)}


def test_case_2_partial_refunds_reverse_their_lines_and_the_last_one_the_rest():
    order = shop_order(
        [
            shop_line("99.99", 20, line_id="1"),
            shop_line("49.99", 20, line_id="2", sku="2002-RED-S", name="Cap"),
            shop_line("19.99", 20, line_id="3", qty=2, sku="3003-WHT-L", name="Socks"),
        ],
        shipping="4.95",
        total="174.92",
        vat="29.15",
        country="AT",
        currency="EUR",
    )
    mappings = mapping_set()
    invoice = invoice_draft(order, mappings)
    first = credit(
        shop_refund(order, [shop_line("49.99", 20, line_id="2", sku="2002-RED-S")], total="49.99"),
        order,
        mappings,
        invoice,
    )
    cap = next(line for line in invoice.lines if line.key == "line:2")
    assert first.net_total == cap.amount and first.vat_total == D("49.99") - cap.amount
    second = credit(
        shop_refund(
            order, [shop_line("9.995", 20, line_id="3", qty=1, sku="3003-WHT-L")], total="10.00", refund_id="R2"
        ),
        order,
        mappings,
        invoice,
        [first],
    )
    assert second.gross_total == D("10.00")
    last = credit(
        shop_refund(
            order,
            [shop_line("99.99", 20, line_id="1")],
            total=D("174.92") - D("49.99") - D("10.00"),
            shipping="4.95",
            refund_id="R3",
        ),
        order,
        mappings,
        invoice,
        [first, second],
    )
    assert last.full
    assert set(per_account(invoice, first, second, last, signs=(1, -1, -1, -1)).values()) == {D(0)}


def test_case_3_a_rate_the_destination_does_not_charge_is_refused_naming_country_expected_and_charged():
    order = shop_order(
        [shop_line("99.99", 25)], shipping="4.95", total="104.94", vat="20.99", country="DE", currency="EUR"
    )
    with pytest.raises(RecordFailed) as failed:
        invoice_draft(order, mapping_set())
    message = str(failed.value)
    assert "Germany (DE)" in message and "charged 25 %" in message and "19 %" in message and "2026-11-20" in message
    assert "Mappings › VAT rates" in message


def test_case_3_warn_only_books_the_shops_vat_and_says_so():
    order = shop_order(
        [shop_line("99.99", 25)], shipping="4.95", total="104.94", vat="20.99", country="DE", currency="EUR"
    )
    draft = invoice_draft(order, mapping_set(vat_rate_check="warn"))
    assert vat_by_category(draft) == {"OSS-DE": D("20.99")} and draft.gross_total == D("104.94")
    assert draft.warnings and "charged 25 %" in draft.warnings[0] and "19 %" in draft.warnings[0]


@pytest.mark.parametrize(
    "created, rate, ok",
    [
        ("2024-08-31T12:00:00+03:00", 24, True),
        ("2024-09-01T12:00:00+03:00", "25.5", True),
        ("2024-08-31T12:00:00+03:00", "25.5", False),
        ("2024-09-02T12:00:00+03:00", 24, False),
    ],
)
def test_case_3_the_rate_is_the_one_in_force_on_the_document_date(created, rate, ok):
    gross = D("125.50")
    vat = (gross * D(str(rate)) / (100 + D(str(rate)))).quantize(D("0.01"))
    order = shop_order([shop_line(gross, rate)], total=gross, vat=vat, country="FI", currency="EUR", created=created)
    if ok:
        assert vat_by_category(invoice_draft(order, mapping_set())) == {"OSS-FI": vat}
    else:
        with pytest.raises(RecordFailed, match=r"Finland \(FI\)"):
            invoice_draft(order, mapping_set())


def test_case_4_a_vat_number_of_the_sellers_own_country_is_domestic_vat_not_reverse_charge():
    wrong = shop_order(
        [shop_line("100", 0)],
        total="100",
        vat="0",
        country="DE",
        billing_country="SE",
        vat_number="SE556677889901",
        company="Skärgårdens Kläder AB",
        incl=False,
    )
    with pytest.raises(RecordFailed) as failed:
        invoice_draft(wrong, mapping_set())
    assert "Sweden (SE)" in str(failed.value) and "25 %" in str(failed.value) and "charged 0 %" in str(failed.value)
    right = replace(wrong, lines=(shop_line("100", 25),), grand_total=D("125"), tax_total=D("25"))
    draft = invoice_draft(right, mapping_set())
    assert draft.regime == "domestic" and vat_by_category(draft) == {"SE25": D("25")}
    assert "another member state" in draft.note


def test_case_4_a_vat_number_of_another_member_state_is_reverse_charge():
    order = shop_order(
        [shop_line("100", 0)],
        total="100",
        vat="0",
        country="DE",
        vat_number="DE811907980",
        company="Nordlicht Mode GmbH",
        incl=False,
    )
    draft = invoice_draft(order, mapping_set())
    assert draft.regime == "eu_b2b" and vat_by_category(draft) == {"RC0": D("0")}


def test_case_5_monaco_is_taxed_as_france():
    order = shop_order([shop_line("120", 20)], total="120", vat="20", country="MC", zip_code="98000", currency="EUR")
    draft = invoice_draft(order, mapping_set())
    assert draft.regime == "eu_b2c" and draft.country == "FR" and vat_by_category(draft) == {"OSS-FR": D("20")}
    assert "Monaco" in draft.note


def test_case_5_northern_ireland_goods_follow_eu_rules():
    b2b = shop_order(
        [shop_line("100", 0)],
        total="100",
        vat="0",
        country="GB",
        zip_code="BT1 1AA",
        currency="GBP",
        vat_number="XI123456789",
        company="Belfast Linen Ltd",
        incl=False,
    )
    draft = invoice_draft(b2b, mapping_set())
    assert (draft.regime, draft.country, vat_by_category(draft)) == ("eu_b2b", "XI", {"RC0": D("0")})
    b2c = shop_order([shop_line("60", 20)], total="60", vat="10", country="GB", zip_code="BT1 1AA", currency="GBP")
    draft = invoice_draft(b2c, mapping_set())
    assert (draft.regime, draft.country, vat_by_category(draft)) == ("eu_b2c", "XI", {"OSS-XI": D("10")})
    london = replace(
        b2c, shipping=replace(b2c.shipping, zip_code="SW1A 1AA"), tax_total=D("0"), lines=(shop_line("60", 0),)
    )
    assert invoice_draft(london, mapping_set()).regime == "export"


@pytest.mark.parametrize(
    "country, zip_code, name",
    [
        ("ES", "35001", "Canary"),
        ("ES", "38001", "Canary"),
        ("ES", "51001", "Ceuta"),
        ("FI", "22100", "Åland"),
        ("GR", "630 86", "Athos"),
        ("DE", "78266", "Büsingen"),
        ("IT", "23041", "Livigno"),
        ("FR", "97400", "Réunion"),
    ],
)
def test_case_5_territories_outside_the_vat_area_are_exports(country, zip_code, name):
    order = shop_order([shop_line("80", 0)], total="80", vat="0", country=country, zip_code=zip_code, currency="EUR")
    draft = invoice_draft(order, mapping_set())
    assert draft.regime == "export" and vat_by_category(draft) == {"EXP0": D("0")} and name in draft.note
    charged = replace(order, lines=(shop_line("80", 21),), tax_total=D("13.88"))
    with pytest.raises(RecordFailed, match="an export at 0 %"):
        invoice_draft(charged, mapping_set())


def test_case_5_the_shops_el_is_greece():
    order = shop_order([shop_line("124", 24)], total="124", vat="24", country="EL", zip_code="10552", currency="EUR")
    assert vat_by_category(invoice_draft(order, mapping_set())) == {"OSS-GR": D("24")}


@pytest.mark.parametrize("vat", ["417", "416"])
def test_case_6_jpy_is_invoiced_in_whole_yen(vat):
    order = shop_order([shop_line("1999", 20)], shipping="500", total="2499", vat=vat, country="AT", currency="JPY")
    draft = invoice_draft(order, mapping_set())
    assert draft.gross_total == D("2499") and vat_by_category(draft) == {"OSS-AT": D(vat)}
    assert all(line.amount == line.amount.to_integral_value() for line in draft.lines)


def test_case_6_an_amount_finer_than_the_currency_is_refused():
    order = shop_order([shop_line("1999.5", 20)], total="1999.5", vat="333", country="AT", currency="JPY")
    with pytest.raises(RecordFailed, match=r"more decimals than JPY has \(0\)"):
        invoice_draft(order, mapping_set())


def test_case_7_mixed_rates_each_line_under_its_own_vat_category():
    order = shop_order(
        [shop_line("199", 6, line_id="1", name="Book", sku="BOOK-1"), shop_line("299", 25, line_id="2")],
        shipping="59",
        total="557",
        vat=D("11.26") + D("59.80") + D("1.34") + D("7.08"),
    )
    draft = invoice_draft(order, mapping_set())
    by_key = {line.key: line for line in draft.lines}
    assert by_key["line:1"].vat_category == "SE6" and by_key["line:2"].vat_category == "SE25"
    assert {line.vat_category for line in draft.lines if line.key.startswith("shipping")} == {"SE6", "SE25"}
    assert vat_by_category(draft) == {"SE6": D("12.60"), "SE25": D("66.88")}
    assert draft.gross_total == D("557") and sum(vat_by_category(draft).values()) == order.tax_total


def test_case_7_a_rate_without_a_mapping_names_the_row_to_add():
    order = shop_order(
        [shop_line("105", 5, name="Bread", sku="FOOD-1")], total="105", vat="5", country="PL", currency="EUR"
    )
    with pytest.raises(RecordFailed) as failed:
        invoice_draft(order, mapping_set())
    assert "'PL, 5, <VAT category>'" in str(failed.value) and "Mappings › VAT rates" in str(failed.value)


def test_case_8_rates_print_as_people_write_them():
    order = shop_order([shop_line("120", D("2E+1"))], total="120", vat="20", country="DE", currency="EUR")
    with pytest.raises(RecordFailed) as failed:
        invoice_draft(order, mapping_set())
    assert "charged 20 %" in str(failed.value) and "E+" not in str(failed.value)


def test_a_shop_that_states_its_vat_per_rate_is_followed_to_the_unit():
    """Rounded per line, the shop's 0.10 VAT sits all at 20 %; split by rate it would have gone 0.01 / 0.09."""
    lines = [
        shop_line("0.01", 10, line_id="1", name="Book", sku="B-1"),
        shop_line("0.03", 20, line_id="2", qty=3, sku="S-2"),
        shop_line("0.51", 20, line_id="3", sku="S-3"),
    ]
    order = shop_order(lines, total="0.55", vat="0.10", country="AT", currency="EUR")
    split = invoice_draft(order, mapping_set())
    stated = invoice_draft(replace(order, vat_by_rate=((D("10"), D("0.00")), (D("20"), D("0.10")))), mapping_set())
    assert vat_by_category(stated) == {"OSS-AT10": D("0.00"), "OSS-AT": D("0.10")}
    assert vat_by_category(split) != vat_by_category(stated) and sum(vat_by_category(split).values()) == D("0.10")
    with pytest.raises(RecordFailed, match="its VAT per rate"):
        invoice_draft(replace(order, vat_by_rate=((D("10"), D("0.01")), (D("20"), D("0.10")))), mapping_set())


def test_a_missing_reduced_rate_row_names_the_erp_category_to_map_it_to():
    order = shop_order([shop_line("106", 6, name="Book", sku="B-1")], total="106", vat="6")
    mappings = mapping_set(vat_rates={})
    with pytest.raises(RecordFailed) as failed:
        invoice_draft(order, mappings)
    assert "add the row 'SE, 6, SE6' (the ERP's VAT category SE6 is 6 % on 2026-11-20)" in str(failed.value)
    warned = invoice_draft(order, replace(mappings, vat_rate_check="warn"))
    assert "under VAT category SE25 on account 3001" in warned.warnings[0]
    assert vat_by_category(warned) == {"SE25": D("6")}


def test_shipping_split_over_reduced_and_standard_rates_books_each_share_on_that_rates_account():
    order = shop_order(
        [shop_line("199", 6, line_id="1", name="Book", sku="B-1"), shop_line("299", 25, line_id="2")],
        shipping="59",
        total="557",
        vat=D("11.26") + D("59.80") + D("1.34") + D("7.08"),
    )
    rows = {("SE", D("6")): ("SE6", "3003")}
    draft = invoice_draft(order, mapping_set(vat_rates=rows))
    shipping = {line.vat_category: line.account for line in draft.lines if line.key.startswith("shipping")}
    assert shipping == {"SE6": "3003", "SE25": "3001"}


def test_the_credit_note_of_the_rest_reads_as_a_credit_with_unit_prices():
    order = shop_order(
        [shop_line("99.98", 20, qty=2)], shipping="4.95", total="104.93", vat="17.49", country="AT", currency="EUR"
    )
    invoice = invoice_draft(order, mapping_set())
    note = credit(
        shop_refund(order, [shop_line("99.98", 20, qty=2)], shipping="4.95", total="104.93"),
        order,
        mapping_set(),
        invoice,
    )
    assert note.full
    goods = next(line for line in note.lines if line.key == "line:1")
    assert goods.description.startswith("Return: ") and goods.unit_price == goods.amount / 2
    assert next(line for line in note.lines if line.key == "shipping").description == "Refunded shipping"
