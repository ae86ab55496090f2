"""The demo's third integration, eAccounting → Visma.net: seeded once, connected without consent, and its orders
flow sends the paid orders of both customer kinds to Visma.net once, with the shop's totals."""

from decimal import Decimal

import pytest

from integrations.models import Connection
from mappings.models import PaymentMethodMapping, SkuRule, TaxZoneMapping, VatRateMapping
from sync.demo import DEMO_INTEGRATION, demo_seed
from sync.demo_eaccounting import (
    DEMO_EACCOUNTING_CONNECTION,
    DEMO_EACCOUNTING_INTEGRATION,
    DEMO_EACCOUNTING_MAPPING_FILES,
)
from sync.models import DemoSeed, Integration, IntegrationFlow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    from tests.fakes import FakeClock

    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock())  # rate-limit spacing without sleeping


def eaccounting_integration() -> Integration:
    return Integration.objects.select_related("shop", "erp").get(name=DEMO_EACCOUNTING_INTEGRATION)


def test_the_eaccounting_integration_is_seeded_connected_and_shares_the_visma_net_erp():
    from integrations.eaccounting.oauth_sandbox import token_validate
    from integrations.services import connection_test

    visma = demo_seed(site_url="http://testserver", orders=5)
    integration = eaccounting_integration()

    assert Integration.objects.count() == 3
    assert integration.shop.system == "eaccounting" and integration.shop.status == "connected"
    assert integration.erp == visma.erp  # the same Visma.net sandbox company
    assert integration.shop.base_url == "http://testserver/sandbox/eaccounting/v2"
    assert integration.shop.token_url == "http://testserver/sandbox/eaccounting/identity/connect/token"
    grant = token_validate(integration.shop.access_token)
    assert grant is not None and set(grant["scope"].split()) == {"ea:api", "offline_access", "ea:sales"}
    assert integration.shop.refresh_token
    assert connection_test(connection=integration.shop).ok
    assert integration.allowed_order_statuses == ["Shipped", "Invoiced"]
    assert integration.only_paid_orders is True
    assert (integration.order_document, integration.erp_order_type) == ("invoice", "SO")
    assert (integration.erp_branch, integration.erp_warehouse, integration.journal_receivable_account) == (
        "1",
        "MAIN",
        "1510",
    )
    integration.full_clean()  # the admin would save it as it is
    # Consumers abroad pay Swedish VAT (the eAccounting demo company is below the OSS threshold); companies with
    # an EU VAT number are reverse charge.
    de_b2c = TaxZoneMapping.objects.get(integration=integration, country="DE", customer_type="B2C")
    de_b2b = TaxZoneMapping.objects.get(integration=integration, country="DE", customer_type="B2B")
    assert (de_b2c.vat_category, de_b2c.sales_account) == ("SE25", "3001")
    assert (de_b2b.vat_category, de_b2b.sales_account) == ("RC0", "3108")
    assert VatRateMapping.objects.get(integration=integration, country="NL", rate=6).vat_category == "SE6"
    assert PaymentMethodMapping.objects.filter(integration=integration, shop_method="invoice").exists()
    assert not SkuRule.objects.filter(integration=integration).exists()  # article numbers are not item numbers
    # integration, payout formats, the mapping tables and the journal VAT accounts
    assert DemoSeed.objects.filter(integration=integration).count() == 3 + len(DEMO_EACCOUNTING_MAPPING_FILES)
    assert dict(integration.journal_vat_accounts.values_list("vat_category", "account")) == {
        "SE25": "2611",
        "SE12": "2621",
        "SE6": "2631",
        "RC0": "2611",
    }
    assert IntegrationFlow.objects.filter(integration=integration).count() == (
        IntegrationFlow.objects.filter(integration=visma).count()
    )
    assert not IntegrationFlow.objects.filter(integration=integration, enabled=True).exists()


def test_a_second_start_keeps_the_eaccounting_integrations_edits_and_a_disconnected_connection():
    demo_seed(site_url="http://127.0.0.1:8000", orders=5)
    integration = eaccounting_integration()
    Integration.objects.filter(pk=integration.pk).update(
        allowed_order_statuses=["Invoiced"], only_paid_orders=False, erp_order_type="SX", order_document="sales_order"
    )
    TaxZoneMapping.objects.filter(integration=integration, country="DK", customer_type="B2C").update(
        sales_account="3106"
    )
    PaymentMethodMapping.objects.filter(integration=integration, shop_method="invoice").delete()
    integration.journal_vat_accounts.filter(vat_category="SE6").delete()
    Connection.objects.filter(pk=integration.shop_id).update(status="expired", access_token="", refresh_token="")

    demo_seed(site_url="http://127.0.0.1:8080", orders=5)

    again = eaccounting_integration()
    assert again.pk == integration.pk and Integration.objects.count() == 3
    assert (again.allowed_order_statuses, again.only_paid_orders) == (["Invoiced"], False)
    assert (again.order_document, again.erp_order_type) == ("sales_order", "SX")
    assert TaxZoneMapping.objects.get(integration=again, country="DK", customer_type="B2C").sales_account == "3106"
    assert not PaymentMethodMapping.objects.filter(integration=again, shop_method="invoice").exists()
    assert not again.journal_vat_accounts.filter(vat_category="SE6").exists()
    assert (again.shop.status, again.shop.refresh_token) == ("expired", "")  # not connected behind the user's back
    assert again.shop.base_url == "http://127.0.0.1:8080/sandbox/eaccounting/v2"  # only the port is followed
    assert Connection.objects.filter(name=DEMO_EACCOUNTING_CONNECTION).count() == 1


def test_the_orders_flow_invoices_the_paid_orders_of_both_customer_kinds_once_with_the_shops_totals():
    from integrations.eaccounting import demo_data
    from integrations.eaccounting import sandbox as eaccounting
    from integrations.sandbox import store
    from integrations.visma_net import sandbox as visma
    from sync.models import SyncRun
    from sync.services import flow_run

    demo_seed(site_url="http://testserver", orders=5, connect=True)
    integration = eaccounting_integration()
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)

    run = flow_run(integration=integration, flow="orders", trigger="manual")

    paid = [row for row in demo_data.ORDERS if row[2] == 4 and row[4] == "paid"]
    unpaid = [row for row in demo_data.ORDERS if row[2] == 4 and row[4] != "paid"]
    assert paid and unpaid and [row for row in demo_data.ORDERS if row[2] == 3]  # the demo has all three kinds
    assert (run.ok_count, run.failed_count) == (len(paid), 0), list(
        run.records.exclude(error="").values_list("source_label", "error")[:3]
    )
    invoices = {invoice["customerRefNumber"]: invoice for invoice in visma.invoices()}
    orders = {str(o["Number"]): o for o in store.obj_list(eaccounting.SYSTEM, eaccounting.ORDER)}
    assert len(invoices) == len(paid)
    for number, invoice in invoices.items():
        order = orders[number]
        assert order["Status"] in (3, 4), number  # Shipped or Invoiced, never Draft or Ongoing
        # what the customer paid: net + VAT + the öre rounding (booked outside VAT on its own line)
        paid_total = sum(Decimal(str(order.get(key) or 0)) for key in ("Amount", "VatAmount", "RoundingsAmount"))
        assert Decimal(str(invoice["amount"])) == paid_total, number  # to the cent
        assert Decimal(str(invoice["vatTotal"])) == Decimal(str(order["VatAmount"])), number
    customers = {c["number"]: c for c in visma.customers()}
    assert len(customers) >= 2
    # Both customer kinds reach the ERP: a company (reverse charge, DE) and private persons.
    classes = {c.get("customerClass", {}).get("id") for c in customers.values()}
    assert {"DOMESTIC", "EUB2B"} <= classes, classes

    again = flow_run(integration=integration, flow="orders", trigger="manual")
    assert again.failed_count == 0 and len(visma.invoices()) == len(paid)  # exactly once
    assert not SyncRun.objects.filter(integration__name=DEMO_INTEGRATION).exists()  # the Centra one is left alone


def test_as_sales_journal_entries_the_paid_orders_are_booked_per_day_currency_and_vat_category():
    from integrations.visma_net import sandbox as visma
    from sync.models import JournalShare
    from sync.services import flow_run

    demo_seed(site_url="http://testserver", orders=5, connect=True)
    integration = eaccounting_integration()
    Integration.objects.filter(pk=integration.pk).update(order_document="journal_entry")
    integration.refresh_from_db()
    IntegrationFlow.objects.filter(integration=integration, flow__in=["orders", "journal"]).update(enabled=True)

    orders = flow_run(integration=integration, flow="orders", trigger="manual")
    journal = flow_run(integration=integration, flow="journal", trigger="manual")

    assert (orders.ok_count, orders.failed_count) == (8, 0)
    assert journal.failed_count == 0 and journal.ok_count >= 8, list(
        journal.records.exclude(error="").values_list("source_label", "error")[:3]
    )
    assert not visma.invoices()  # the books, not the documents
    shares = JournalShare.objects.filter(integration=integration)
    assert shares.values("order_number").distinct().count() == 8
    assert not shares.filter(entry__isnull=True).exists()  # every order's share went into a sent entry
