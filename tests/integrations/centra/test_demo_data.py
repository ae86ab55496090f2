"""The Centra demo shop: size, spread, money that adds up, VAT rates as the demo mapping implies."""

import csv
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.centra import demo_data, sandbox
from integrations.centra.client import CentraClient
from integrations.visma_net.demo_data import VAT_CATEGORIES, stock_items
from mappings.countries import EU_MEMBER_STATES
from mappings.selectors import mapping_set_load
from sync.demo import demo_seed
from sync.flows.base import RecordFailed
from sync.flows.centra_adapter import order_from_centra
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
    from sync.flows.erp_documents import vat_categories_load

    visma_demo.seed()

    class Erp:
        vat_category_list = staticmethod(visma.vat_categories)

    return replace(mappings, category_rates=vat_categories_load(Erp())[1])


def fixture_column(name: str, column: str) -> set[str]:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def expected_rate(country: str, vat_number: str) -> Decimal:
    """Independent of demo_data: tax-zone file → VAT category → the Visma demo company's rate."""
    b2b = bool(vat_number) and country in EU_MEMBER_STATES and country != "SE"
    with (FIXTURES / "eu_tax_zones.csv").open(encoding="utf-8") as handle:
        zones = {(r["country"], r["customer_type"]): r["vat_category"] for r in csv.DictReader(handle)}
    kind = "B2B" if b2b else "B2C"
    category = zones.get((country, kind)) or zones[("*", kind)]
    return {c: rate for c, _d, rate, _r in VAT_CATEGORIES}[category]


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
        for value in (order["grandTotal"], *totals.values()):
            assert Decimal(value["value"]).as_tuple().exponent == -2


def test_vat_rates_match_the_tax_zone_mapping(orders):
    for order in orders:
        address = order["billingAddress"]
        rate = expected_rate(address["country"]["code"], address["vatNumber"] or "")
        assert {Decimal(str(line["taxPercent"])) for line in order["lines"]} == {rate}, order["number"]
        if order["store"]["type"] == "WHOLESALE":
            base = sum(d(line["lineValue"]) for line in order["lines"]) + d(order["totals"]["shipping"])
            assert d(order["totals"]["taxAdded"]) == (base * rate / 100).quantize(Decimal("0.01"))


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
