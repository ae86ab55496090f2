"""EAccountingShop over the eAccounting sandbox's demo company: paid orders, an order paid after the cursor passed
it, refunds and customers; the Swedish orders map to invoices whose totals and VAT are the shop's to the öre."""

from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.adapters import adapter_for
from integrations.eaccounting import demo_data, sandbox
from integrations.http import record_calls
from integrations.sandbox import store
from integrations.systems import Role
from mappings.selectors import MappingSet, TaxZone
from sync.flows.order_mapping import invoice_draft
from sync.shop import ShopOrder
from tests.fakes import FakeClock

pytestmark = pytest.mark.django_db
D = Decimal
STATUSES = ["Draft", "Ongoing", "Shipped", "Invoiced"]
SWEDEN = MappingSet(
    home_country="SE",
    tax_country_source="billing",
    default_customer_number="",
    tax_zones={
        ("SE", "B2C"): TaxZone("SE", "B2C", "DOMESTIC", "SE", "SE25", "3001"),
        ("SE", "B2B"): TaxZone("SE", "B2B", "DOMESTIC", "SE", "SE25", "3001"),
    },
    payment_methods={"invoice": ("INVOICE", "1930")},
    payment_terms={"B2C": "0", "B2B": "30"},
    shipping={"*": ("FREIGHT", "Shipping", "")},
    currencies={"SEK": ("SEK", 2)},
    vat_rates={("SE", D("12")): ("SE12", "3002"), ("SE", D("6")): ("SE06", "3003")},
    category_rates={c: (("2000-01-01", D(r)),) for c, r in {"SE25": 25, "SE12": 12, "SE06": 6}.items()},
)


@pytest.fixture
def shop(eaccounting_connection, monkeypatch):
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock())  # waits advance a fake clock
    seeded = demo_data.seed()
    return adapter_for(eaccounting_connection, role=Role.SHOP), seeded


def _orders(adapter, **kwargs) -> list[ShopOrder]:
    return list(adapter.orders_changed(statuses=STATUSES, created_from=None, updated_from=None, **kwargs))


def test_paid_orders_are_the_invoiced_ones_whose_invoices_are_paid(shop):
    adapter, _ = shop
    every = _orders(adapter)
    paid = _orders(adapter, paid_only=True)

    assert len(every) == len(demo_data.ORDERS)
    assert {o.number for o in paid} == {o.number for o in every if o.paid}
    expected = [row for row in demo_data.ORDERS if row[2] == 4 and row[4] == "paid"]
    assert len(paid) == len(expected)
    assert all(o.status == "Invoiced" for o in paid)
    assert all(o.paid is False for o in every if o.status != "Invoiced")


def test_an_order_paid_after_the_cursor_passed_it_is_listed_once_paid(shop):
    adapter, _ = shop
    unpaid = next(o for o in _orders(adapter) if o.status == "Invoiced" and not o.paid)
    invoice = next(
        i for i in store.obj_list(sandbox.SYSTEM, sandbox.INVOICE) if i.get("CreatedFromOrderId") == unpaid.id
    )
    cursor = sandbox.utc_now() - timedelta(minutes=2)

    before = adapter.orders_changed(statuses=["Invoiced"], created_from=None, updated_from=cursor, paid_only=True)
    assert unpaid.number not in [o.number for o in before]
    sandbox.invoice_pay(invoice["Id"], paid_on=sandbox.utc_now().date())
    fresh = adapter_for(adapter.connection, role=Role.SHOP)  # the next run
    with record_calls() as calls:
        after = list(
            fresh.orders_changed(statuses=["Invoiced"], created_from=None, updated_from=cursor, paid_only=True)
        )

    assert after[0].number == unpaid.number and after[0].paid is True  # first: its own stamp is older
    assert [o.number for o in after].count(unpaid.number) == 1
    invoice_calls = [c for c in calls if "/customerinvoices" in c["url"]]
    assert len(invoice_calls) == 1  # the changed invoices in one listing, none per order


def test_swedish_orders_map_to_invoices_with_the_shops_totals_and_vat(shop):
    adapter, _ = shop
    swedish = [o for o in _orders(adapter) if o.billing.country == "SE" and o.currency == "SEK"]
    assert len(swedish) >= 8

    for order in swedish:
        draft = invoice_draft(order, SWEDEN)
        assert draft.gross_total == order.grand_total, order.number
        assert draft.vat_total == order.tax_total, order.number
        assert draft.net_total + draft.vat_total == order.grand_total
        by_rate = dict(order.vat_by_rate)
        assert sum(by_rate.values(), D(0)) == order.tax_total
        assert draft.customer.is_company == bool(order.billing.company), order.number


def test_refunds_name_their_orders_and_customers_their_kind(shop):
    adapter, seeded = shop
    refunds = list(adapter.refunds_changed(updated_from=None))
    orders = {o.id: o for o in _orders(adapter)}
    credited = [orders[demo_id] for demo_id in (seeded["orders"][0], seeded["orders"][4])]

    assert sorted(r.order_number for r in refunds) == sorted(o.number for o in credited)
    for refund in refunds:
        order = next(o for o in credited if o.number == refund.order_number)
        assert refund.total == order.grand_total and refund.refunded  # credited in full, settled
        assert refund.shipping_amount == order.shipping_amount

    customers = {c.email: c for c in adapter.customers_changed(updated_from=None)}
    assert customers["order@nordiskinredning.se"].is_company
    assert (customers["order@nordiskinredning.se"].first_name, customers["order@nordiskinredning.se"].last_name) == (
        "Karin",
        "Lund",
    )
    assert not customers["anna.svensson@example.se"].is_company
