"""Every request EAccountingShop sends is an operation of the official eAccounting spec, and every answer it reads
validates against that operation's documented answer (visma-eaccounting-v2, the subset in
integrations/eaccounting/spec/sandbox-subset.json, object schemas made strict).

The adapter runs over the sandbox's demo company: orders (paid only), credit invoices and customers. Query
parameters are the operation's documented ones or OData system options (`$page`, `$pagesize`, `$filter`,
`$orderby`: used in practice, absent from the spec, api-notes § B SPEC-GAP)."""

import functools
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.adapters import adapter_for
from integrations.eaccounting import demo_data
from integrations.eaccounting.client import EAccountingClient
from integrations.http import record_calls
from integrations.systems import Role
from sync.shop import ShopOrder, ShopRefund
from tests.contracts.openapi import Spec, problems

SUBSET = Path(__file__).resolve().parents[2] / "integrations/eaccounting/spec/sandbox-subset.json"
ROOT = "/sandbox/eaccounting/v2"
pytestmark = pytest.mark.django_db


@functools.cache
def spec() -> Spec:
    return Spec(SUBSET)


def test_every_operation_the_client_names_is_in_the_spec():
    named = {
        getattr(EAccountingClient, name).operation
        for name in dir(EAccountingClient)
        if hasattr(getattr(EAccountingClient, name), "operation")
    }
    assert named and named <= spec().operations(), named - spec().operations()


@pytest.fixture
def shop(eaccounting_connection, port_clock):
    seeded = demo_data.seed()
    return adapter_for(eaccounting_connection, role=Role.SHOP), seeded


def _checked(exchange: dict) -> list[str]:
    """What is wrong with one exchange by the spec ([] when nothing)."""
    split = urlsplit(exchange["url"])
    path = split.path.removeprefix(ROOT)
    template = spec().template_for(path)
    method = exchange["method"]
    if template is None or (method, template) not in spec().operations():
        return [f"{method} {path} is no operation of the spec"]
    documented = {p["name"] for p in spec().operation(method, template).get("parameters", []) if p.get("in") == "query"}
    found = [
        f"{method} {template}: query parameter {name} is not documented"
        for name in parse_qs(split.query)
        if not name.startswith("$") and name not in documented
    ]
    schema = spec().response_schema(method, template, exchange["status"])
    if schema is not None:
        found += [
            f"{method} {template} answer: {p}" for p in problems(spec().validator(schema), exchange["response_body"])
        ]
    return found


def test_requests_and_answers_follow_the_spec_and_the_demo_orders_read_exactly(shop):
    adapter, seeded = shop
    with record_calls() as calls:
        orders = list(
            adapter.orders_changed(
                statuses=["Draft", "Ongoing", "Shipped", "Invoiced"],
                created_from=None,
                updated_from=None,
                paid_only=True,
            )
        )
        refunds = list(adapter.refunds_changed(updated_from=None))
        customers = list(adapter.customers_changed(updated_from=None))
        one = adapter.order_get(orders[0].number)
        credit = adapter.refund_get(refunds[0].id)
        person = adapter.customer_get(customers[0].id)

    exchanges = [c for c in calls if c["system"] == "eaccounting"]
    assert exchanges and all(c["status"] == 200 for c in exchanges)
    assert [p for c in exchanges for p in _checked(c)] == []

    paid = [row for row in demo_data.ORDERS if row[2] == 4 and row[4] == "paid"]
    assert len(orders) == len(paid) and all(isinstance(o, ShopOrder) and o.paid is True for o in orders)
    for order in orders:
        net = sum((line.line_total for line in order.lines), Decimal(0)) + order.shipping_amount
        # what the customer pays: net + VAT + the öre rounding (whole kronor in SEK, none in EUR)
        assert net + order.tax_total + order.rounding_amount == order.grand_total, order.number
        assert order.grand_total == order.grand_total.to_integral_value() or order.currency != "SEK", order.number
        assert sum((vat for _, vat in order.vat_by_rate), Decimal(0)) == order.tax_total, order.number
        assert order.shipping_amount > 0 and order.customer_email and order.billing.country
        assert order.currency_rate == (Decimal("11.50") if order.currency == "EUR" else Decimal(1))
    assert len(refunds) == len(seeded["credit_invoices"]) == 2
    assert all(isinstance(r, ShopRefund) and r.refunded and r.total > 0 and r.order_number for r in refunds)
    assert {c.email for c in customers} >= {"anna.svensson@example.se", "order@nordiskinredning.se"}
    assert one.number == orders[0].number and credit.id == refunds[0].id and person.id == customers[0].id


def test_the_check_refuses_an_undocumented_parameter_an_unknown_path_and_a_field_the_spec_lacks():
    listing = {"Meta": {"CurrentPage": 1, "PageSize": 50, "TotalNumberOfPages": 1, "TotalNumberOfResults": 1,
                        "ServerTimeUtc": "2026-03-02T10:00:00Z"}, "Data": [{"Number": 1, "PaidAt": "x"}]}  # fmt: skip
    bad = [
        {"method": "GET", "url": f"http://testserver{ROOT}/orders?since=1", "status": 200, "response_body": listing},
        {"method": "GET", "url": f"http://testserver{ROOT}/webshoporders", "status": 200, "response_body": {}},
    ]
    found = [p for exchange in bad for p in _checked(exchange)]
    assert "GET /orders: query parameter since is not documented" in found
    assert any("PaidAt" in p for p in found)
    assert "GET /webshoporders is no operation of the spec" in found
