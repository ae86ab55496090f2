"""The Centra demo shop: size, spread, money that adds up, VAT rates as the demo mapping implies."""

import csv
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from integrations.centra import demo_data, sandbox
from integrations.centra.adapter import order_from_centra
from integrations.centra.client import CentraClient
from integrations.visma_net.demo_data import VAT_CATEGORIES, category_rate, stock_items
from mappings.countries import EU_MEMBER_STATES
from mappings.selectors import mapping_set_load
from sync.demo import demo_seed
from sync.flows.base import RecordFailed
from sync.flows.order_mapping import invoice_draft
from sync.vat import vat_number_problem

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 1)
FIXTURES = Path(__file__).resolve().parents[3] / "mappings" / "fixtures"


def erp_rates(mappings):
    """The mappings with the demo ERP's VAT category rates, as the flows read them from Visma.net."""
    from dataclasses import replace

    from integrations.visma_net import demo_data as visma_demo
    from integrations.visma_net import sandbox as visma
    from integrations.visma_net.payloads import vat_categories_read

    visma_demo.seed()
    _ids, categories = vat_categories_read(visma.vat_categories())
    return replace(mappings, category_rates={category.id: category.rates for category in categories})


def fixture_column(name: str, column: str) -> set[str]:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


# Independent of demo_data: where the named orders' places are taxed (mappings/fixtures/vat_territories.csv).
TERRITORIES = {("MC", "98000"): "FR", ("GB", "BT1 1AA"): "XI", ("GB", "BT2 8BG"): "XI", ("ES", "35001"): "EXPORT"}


def tax_place(address: dict) -> str:
    country = address["country"]["code"]
    return TERRITORIES.get((country, address["zipCode"]), country)


def expected_rate(country: str, vat_number: str, on: date | None = None) -> Decimal:
    """Independent of demo_data: tax-zone file → VAT category → the Visma demo company's (standard) rate that day."""
    b2b = bool(vat_number) and (country in EU_MEMBER_STATES or country == "XI") and country != "SE"
    with (FIXTURES / "eu_tax_zones.csv").open(encoding="utf-8") as handle:
        zones = {(r["country"], r["customer_type"]): r["vat_category"] for r in csv.DictReader(handle)}
    kind = "B2B" if b2b else "B2C"
    category = zones.get((country, kind)) or zones[("*", kind)]
    if on is None:
        return {c: rate for c, _d, rate, _r in VAT_CATEGORIES}[category]
    return category_rate(category, on)


def reduced_rows() -> dict[tuple[str, Decimal], str]:
    with (FIXTURES / "demo" / "vat_rates.csv").open(encoding="utf-8") as handle:
        return {(r["country"], Decimal(r["rate"])): r["vat_category"] for r in csv.DictReader(handle)}


def places(currency: str) -> int:
    with (FIXTURES / "demo" / "currencies.csv").open(encoding="utf-8") as handle:
        return next(int(r["decimals"]) for r in csv.DictReader(handle) if r["shop_currency"] == currency)


def shop_rule_vat(order: dict, shipping_by_rate: dict[str, str]) -> dict[Decimal, Decimal]:
    """Per rate group: round(gross × r / (100 + r)) (retail) or round(net × r / 100) (wholesale), currency's places."""
    wholesale = order["store"]["type"] == "WHOLESALE"
    quantum = Decimal(1).scaleb(-places(order["grandTotal"]["currency"]["code"]))
    groups: dict[Decimal, Decimal] = {}
    for line in order["lines"]:
        rate = Decimal(line["taxPercent"])
        groups[rate] = groups.get(rate, Decimal(0)) + d(line["lineValue"])
    for rate, share in shipping_by_rate.items():
        groups[Decimal(rate)] = groups.get(Decimal(rate), Decimal(0)) + Decimal(share)
    return {
        rate: (base * rate / (100 if wholesale else 100 + rate)).quantize(quantum, rounding=ROUND_HALF_UP)
        for rate, base in groups.items()
    }


def d(node) -> Decimal:
    return Decimal(str(node["value"]))


@pytest.fixture
def seeded(db):
    return demo_data.seed(today=TODAY)


@pytest.fixture
def orders(seeded):
    return sandbox.orders()


def test_seed_counts_and_is_idempotent(seeded):
    assert seeded["orders"] >= 300
    assert seeded["returns"] >= 20
    assert seeded["customers"] > 100
    again = demo_data.seed(today=TODAY)
    assert (again["orders"], again["returns"], again["customers"]) == (0, 0, 0)


def test_build_is_deterministic():
    assert demo_data.build(today=TODAY) == demo_data.build(today=TODAY)
    assert demo_data.build(today=TODAY) != demo_data.build(today=TODAY, seed=7)


def test_spread_over_countries_currencies_stores_and_statuses(orders):
    countries = Counter(o["billingAddress"]["country"]["code"] for o in orders)
    assert len(countries) >= 12
    eu_b2c = {c for c in countries if c in EU_MEMBER_STATES and c != "SE"}
    assert len(eu_b2c) >= 8
    assert {"SE", "NO", "CH", "GB", "US"} <= set(countries)
    currencies = {o["grandTotal"]["currency"]["code"] for o in orders}
    assert currencies == fixture_column("demo/currencies.csv", "shop_currency")
    statuses = Counter(o["status"] for o in orders)
    assert statuses["SHIPPED"] > len(orders) / 2 and statuses["CONFIRMED"] and statuses["PROCESSING"]
    created = [datetime.fromisoformat(o["createdAt"]) for o in orders]
    start = datetime(2026, 5, 1, tzinfo=UTC) - timedelta(days=60)
    assert min(created) >= start and max(created) < datetime(2026, 5, 1, tzinfo=UTC)
    assert (max(created) - min(created)).days >= 50
    assert all(1 <= len(o["lines"]) <= 4 for o in orders)
    discounted = sum(any(Decimal(str(line["discountPercent"])) for line in o["lines"]) for o in orders)
    assert 0.12 * len(orders) <= discounted <= 0.3 * len(orders)


def test_wholesale_orders_are_b2b_with_valid_vat_numbers_and_invoice_payment(orders):
    wholesale = [o for o in orders if o["store"]["type"] == "WHOLESALE"]
    assert wholesale
    eu_b2b = set()
    for order in wholesale:
        address = order["billingAddress"]
        country = address["country"]["code"]
        assert address["vatNumber"] and address["companyName"]
        assert vat_number_problem(address["vatNumber"], country) == ""
        assert order["paymentMethod"]["uri"] == "invoice"
        assert order["buyer"]["email"] and order["account"]["name"]
        if country in EU_MEMBER_STATES and country != "SE":
            eu_b2b.add(country)
            assert order["totals"]["taxAdded"]["value"] == "0.00"
    assert len(eu_b2b) >= 4
    assert all(o["store"]["type"] == "DIRECT_TO_CONSUMER" for o in orders if o["paymentMethod"]["uri"] != "invoice")


def test_money_adds_up_to_the_cent(orders):
    for order in orders:
        lines_total = Decimal("0")
        for line in order["lines"]:
            assert d(line["unitPrice"]) * line["quantity"] == d(line["lineValue"]), order["number"]
            assert d(line["unitPrice"]) <= d(line["unitOriginalPrice"])
            lines_total += d(line["lineValue"])
        totals = order["totals"]
        expected = lines_total + d(totals["shipping"]) + d(totals["taxAdded"])
        assert d(order["grandTotal"]) == expected == d(totals["grandTotal"]), order["number"]
        quantum = Decimal(1).scaleb(-places(order["grandTotal"]["currency"]["code"]))  # JPY: whole yen
        for value in (order["grandTotal"], *totals.values(), *(line["lineValue"] for line in order["lines"])):
            assert d(value) == d(value).quantize(quantum), (order["number"], value)


def test_vat_rates_match_the_tax_zone_and_vat_rate_mappings(orders):
    """Standard items: the tax zone's rate; reduced-rate items: a demo/vat_rates.csv row of the place, or standard."""
    rows = reduced_rows()
    reduced_lines = 0
    for order in orders:
        address = order["billingAddress"]
        on = datetime.fromisoformat(order["orderDate"]).date()
        place = tax_place(address)
        standard = expected_rate(place, address["vatNumber"] or "", on)
        for line in order["lines"]:
            rate = Decimal(str(line["taxPercent"]))
            if line["product"]["productNumber"].startswith("1"):  # adult clothing: always the standard rate
                assert rate == standard, order["number"]
            elif rate != standard:
                reduced_lines += 1
                category = rows[(place, rate)]  # a reduced rate is always one the mapping books
                assert category_rate(category, on) == rate, order["number"]
                assert standard, order["number"]  # never reduced in a reverse-charge or export sale
    assert reduced_lines >= 10


def test_the_shops_vat_is_the_per_rate_group_rule(seeded):
    """totals.taxIncluded / taxAdded = Σ per rate group of the rounded VAT, shipping shared out as stated."""
    built = demo_data.build(today=TODAY)
    mixed = 0
    for order in built["orders"]:
        shipping = order["_shippingByRate"]
        assert sum((Decimal(v) for v in shipping.values()), Decimal(0)) == d(order["totals"]["shipping"])
        rates = {Decimal(line["taxPercent"]) for line in order["lines"]}
        assert {Decimal(r) for r in shipping} <= rates | {Decimal(r) for r in order["_vatByRate"]}
        expected = shop_rule_vat(order, shipping)
        assert {Decimal(k): Decimal(v) for k, v in order["_vatByRate"].items()} == expected, order["number"]
        tax = d(order["totals"]["taxAdded"]) + d(order["totals"]["taxIncluded"])
        assert tax == sum(expected.values()), order["number"]
        if len(rates) > 1:
            mixed += 1
            values = {r: sum(d(x["lineValue"]) for x in order["lines"] if Decimal(x["taxPercent"]) == r) for r in rates}
            total = sum(values.values())
            for rate, share in shipping.items():  # in proportion to the groups' values, to the unit
                exact = d(order["totals"]["shipping"]) * values[Decimal(rate)] / total
                assert abs(Decimal(share) - exact) <= Decimal("0.01"), order["number"]
        elif shipping:
            assert set(shipping) == {line["taxPercent"] for line in order["lines"]}
    assert mixed >= 10
    # the shop's VAT differs from a per-line rounding where it should: 2499 yen incl. 20 % → 417, not 333 + 83
    yen = next(o for o in built["orders"] if o["number"] == 29008)
    assert (yen["totals"]["taxIncluded"]["value"], yen["_vatByRate"]) == ("417", {"20": "417"})
    # Sweden, a book at 6 % and a T-shirt at 25 %, 59 kr shipping split 25.27 / 33.73
    swedish = next(o for o in built["orders"] if o["number"] == 29001)
    assert swedish["_shippingByRate"] == {"6": "25.27", "25": "33.73"}
    assert swedish["_vatByRate"] == {"6": "18.35", "25": "86.55"}
    assert swedish["totals"]["taxIncluded"]["value"] == "104.90"
    assert "_vatByRate" not in sandbox.orders()[0]  # private keys are not what the API returns


NAMED = {
    # number: (country, postcode, currency, store, {SKU: rate}, tax included, tax added)
    29001: ("SE", "114 55", "SEK", "DIRECT_TO_CONSUMER", {"3001-NAT-OS": "6", "1001-BLK-M": "25"}, "104.90", "0"),
    29002: (
        "DE",
        "10115",
        "EUR",
        "DIRECT_TO_CONSUMER",
        {"3001-NAT-OS": "7", "4001-NAT-OS": "7", "1002-WHT-M": "19"},
        "14.52",
        "0",
    ),
    29003: ("IE", "D02 X285", "EUR", "DIRECT_TO_CONSUMER", {"2001-BLU-4Y": "0", "1001-WHT-S": "23"}, "7.97", "0"),
    29004: ("GB", "BT1 1AA", "GBP", "DIRECT_TO_CONSUMER", {"1003-GRY-M": "20"}, "16.32", "0"),
    29005: ("GB", "BT2 8BG", "GBP", "WHOLESALE", {"1001-BLK-M": "0", "1002-BLU-L": "0"}, "0", "0"),
    29006: ("MC", "98000", "EUR", "DIRECT_TO_CONSUMER", {"1006-YEL-M": "20"}, "25.98", "0"),
    29007: ("ES", "35001", "EUR", "DIRECT_TO_CONSUMER", {"1002-BLU-L": "0"}, "0", "0"),
    29008: ("AT", "1010", "JPY", "DIRECT_TO_CONSUMER", {"1001-BLK-L": "20"}, "417", "0"),
}


@pytest.mark.parametrize("number", sorted(NAMED))
def test_named_orders_exist_with_their_place_currency_and_rates(orders, number):
    country, postcode, currency, store, rates, included, added = NAMED[number]
    order = next(o for o in orders if o["number"] == number)
    address = order["shippingAddress"]
    assert (address["country"]["code"], address["zipCode"], order["grandTotal"]["currency"]["code"]) == (
        country,
        postcode,
        currency,
    )
    assert order["store"]["type"] == store and order["status"] == "SHIPPED"
    assert {line["productSize"]["SKU"]: line["taxPercent"] for line in order["lines"]} == rates
    assert (d(order["totals"]["taxIncluded"]), d(order["totals"]["taxAdded"])) == (Decimal(included), Decimal(added))
    if store == "WHOLESALE":
        assert address["vatNumber"] == "XI123456789" and order["paymentMethod"]["uri"] == "invoice"
    else:
        assert order["customer"]["email"] in {c["email"] for c in sandbox.customers()}


def test_the_yen_order_is_1999_plus_500_shipping(orders):
    order = next(o for o in orders if o["number"] == 29008)
    assert [(d(line["unitPrice"]), line["quantity"]) for line in order["lines"]] == [(Decimal(1999), 1)]
    assert (d(order["totals"]["shipping"]), d(order["grandTotal"])) == (Decimal(500), Decimal(2499))


def test_rates_follow_the_order_date(seeded):
    """Rate histories: the shop charges what was in force on the order date."""
    assert demo_data.vat_rate("EE", "B2C", on=date(2025, 6, 30)) == 22
    assert demo_data.vat_rate("EE", "B2C", on=date(2025, 7, 1)) == 24
    assert demo_data.vat_rate("FI", "B2C", on=date(2024, 8, 31)) == 24
    assert demo_data.vat_rate("FI", "B2C", on=date(2024, 9, 1)) == Decimal("25.5")
    assert demo_data.vat_rate("SE", "B2C", "food", on=date(2026, 3, 31)) == 12
    assert demo_data.vat_rate("SE", "B2C", "food", on=date(2026, 4, 1)) == 6  # temporary cut to 2027-12-31
    assert demo_data.vat_rate("SE", "B2C", "food", on=date(2028, 1, 1)) == 12
    assert demo_data.vat_rate("DK", "B2C", "books", on=TODAY) == 25  # no reduced row: the standard rate
    assert demo_data.vat_rate("DE", "B2B", "books", on=TODAY) == 0  # reverse charge stays 0 %
    assert demo_data.vat_rate(demo_data.tax_country("ES", "38001"), "B2C", "books", on=TODAY) == 0  # Tenerife
    assert demo_data.tax_country("GB", "bt7-1nn") == "XI" and demo_data.tax_country("GB", "EC1A 1BB") == "GB"
    assert demo_data.tax_country("MC", "98000") == "FR"


def test_skus_are_visma_demo_items_and_mappings_cover_payments_and_shipping(orders):
    items = {item["number"] for item in stock_items()}
    payments = fixture_column("demo/payment_methods.csv", "shop_method")
    shipping = fixture_column("demo/shipping.csv", "shop_shipping")
    for order in orders:
        for line in order["lines"]:
            size = line["productSize"]
            assert size["SKU"] in items
            assert size["SKU"] == "-".join(
                (line["product"]["productNumber"], line["productVariant"]["variantNumber"], size["sizeNumber"])
            )
        assert order["shippingPriceGroup"]["shippingOption"]["uri"] in shipping
    uris = Counter(o["paymentMethod"]["uri"] for o in orders)
    assert uris["swish"] == 3
    assert set(uris) - {"swish"} <= payments
    assert sum(float(o["totals"]["shipping"]["value"]) > 0 for o in orders) > len(orders) * 0.6
    assert sandbox.products() == []


def test_returns_come_from_shipped_orders_with_their_amounts(orders):
    by_number = {o["number"]: o for o in orders}
    returns = sandbox.returns()
    assert len(returns) >= 20
    full = partial = 0
    for ret in returns:
        order = by_number[ret["order"]["number"]]
        assert order["status"] == "SHIPPED"
        assert ret["currency"]["code"] == order["grandTotal"]["currency"]["code"]
        lines = {line["id"]: line for line in order["lines"]}
        for line in ret["lines"]:
            source = lines[line["orderLine"]["id"]]
            assert line["quantity"] <= source["quantity"]
            assert line["unitPrice"] == source["unitPrice"]
            assert line["taxPercent"] == source["taxPercent"]
            assert d(line["unitPrice"]) * line["quantity"] == d(line["lineValue"])
        total = sum(d(line["lineValue"]) for line in ret["lines"]) + d(ret["shippingCost"])
        assert d(ret["grandTotal"]) == total
        assert ret["createdAt"] > order["updatedAt"]
        if d(ret["shippingCost"]) and len(ret["lines"]) == len(order["lines"]):
            full += 1
        else:
            partial += 1
    assert full >= 3 and partial >= 10
    named = {r["id"]: r for r in returns}
    mixed_partial = named["9001"]
    assert mixed_partial["order"]["number"] == 29002 and d(mixed_partial["shippingCost"]) == 0
    assert sorted(line["taxPercent"] for line in mixed_partial["lines"]) == ["19", "7"]
    assert len(mixed_partial["lines"]) < len(by_number[29002]["lines"])
    assert named["9002"]["order"]["number"] == 29001 and d(named["9002"]["grandTotal"]) == d(
        by_number[29001]["grandTotal"]
    )


def test_customers_for_every_shopper_some_with_several_orders(orders):
    customers = {c["email"]: c for c in sandbox.customers()}
    retail = [o for o in orders if o["store"]["type"] == "DIRECT_TO_CONSUMER"]
    assert {o["customer"]["email"] for o in retail} == set(customers)
    for order in retail:
        assert customers[order["customer"]["email"]]["id"] == order["customer"]["id"]
    per_shopper = Counter(o["customer"]["email"] for o in retail)
    assert sum(1 for n in per_shopper.values() if n > 1) >= 20


def test_every_demo_order_maps_to_an_invoice_with_the_demo_mappings_except_swish(seeded, centra_connection):
    """End to end through the client and adapter: no VAT mismatch, no voucher line, items from the SKU rule."""
    integration = demo_seed(site_url="http://testserver")
    mappings = erp_rates(mapping_set_load(integration=integration))
    nodes = list(CentraClient(centra_connection).orders_changed(statuses=["SHIPPED", "CONFIRMED", "PROCESSING"]))
    assert len(nodes) == seeded["orders"]
    failures = {}
    for node in nodes:
        order = order_from_centra(node)
        try:
            draft = invoice_draft(order, mappings)
        except RecordFailed as exc:
            failures[order.number] = str(exc)
            continue
        assert draft.gross_total == order.grand_total
        assert not any(line.description.startswith("Order ") for line in draft.lines), order.number
        skus = {line.sku for line in order.lines}
        assert {
            line.inventory_number for line in draft.lines if line.vat_category and line.inventory_number
        } - skus <= {
            "FREIGHT",
            "FREIGHT-EXP",
        }
    assert len(failures) == 3
    assert all("unknown payment method 'swish'" in message for message in failures.values())
