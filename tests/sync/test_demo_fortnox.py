"""The demo's second integration, Centra → Fortnox: seeded once, connected without consent, and its flows run."""

from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.models import Connection
from mappings.models import PaymentMethodMapping, TaxZoneMapping
from sync.demo import DEMO_FORTNOX_INTEGRATION, DEMO_INTEGRATION, DEMO_MAPPING_FILES, demo_seed
from sync.models import DemoSeed, Integration, IntegrationFlow, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    from tests.fakes import FakeClock

    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock())  # rate-limit spacing without sleeping


def fortnox_integration() -> Integration:
    return Integration.objects.select_related("shop", "erp").get(name=DEMO_FORTNOX_INTEGRATION)


def test_the_fortnox_integration_shares_the_centra_shop_and_is_connected_without_consent():
    from integrations.fortnox.oauth_sandbox import token_validate
    from integrations.services import connection_test

    visma = demo_seed(site_url="http://testserver", orders=5)
    fortnox = fortnox_integration()

    assert fortnox.shop == visma.shop and fortnox.erp != visma.erp
    assert fortnox.erp.system == "fortnox" and fortnox.erp.status == "connected"
    assert fortnox.erp.base_url == "http://testserver/sandbox/fortnox"
    assert fortnox.erp.token_url == "http://testserver/sandbox/fortnox/oauth-v1/token"
    grant = token_validate(fortnox.erp.access_token)
    assert grant is not None and set(grant["scope"].split()) == {
        "companyinformation",
        "customer",
        "article",
        "invoice",
        "order",
        "payment",
    }
    assert fortnox.erp.refresh_token
    result = connection_test(connection=fortnox.erp)
    assert result.ok and "Koppla Demo AB" in result.message
    # Fortnox has no reason codes: a payout's fee is written off to an account of the demo company's chart.
    assert (fortnox.fee_writeoff_reason_code, fortnox.fee_writeoff_account) == ("", "6064")
    assert fortnox.erp.refresh_token_issued_at is not None  # the upkeep schedule knows the token's age
    assert (
        IntegrationFlow.objects.filter(integration=fortnox).count()
        == IntegrationFlow.objects.filter(integration=visma).count()
    )
    # The sales accounts Fortnox books by come from the tax-zone file and exist in the demo company's chart.
    assert TaxZoneMapping.objects.get(integration=fortnox, country="DE", customer_type="B2C").sales_account == "3106"
    assert DemoSeed.objects.filter(integration=fortnox).count() == 2 + len(DEMO_MAPPING_FILES)


def test_a_second_start_keeps_the_fortnox_integrations_edits_and_a_disconnected_connection():
    demo_seed(site_url="http://127.0.0.1:8000", orders=5)
    fortnox = fortnox_integration()
    Integration.objects.filter(pk=fortnox.pk).update(
        payment_cash_account="1930", notify_emails="ekonomi@shop.example", fee_writeoff_account="6570"
    )
    TaxZoneMapping.objects.filter(integration=fortnox, country="FI", customer_type="B2C").update(sales_account="3107")
    PaymentMethodMapping.objects.filter(integration=fortnox, shop_method="invoice").delete()
    Connection.objects.filter(pk=fortnox.erp_id).update(status="expired", access_token="", refresh_token="")

    demo_seed(site_url="http://127.0.0.1:8080", orders=5)

    again = fortnox_integration()
    assert again.pk == fortnox.pk and Integration.objects.count() == 3
    assert (again.payment_cash_account, again.notify_emails) == ("1930", "ekonomi@shop.example")
    assert again.fee_writeoff_account == "6570"
    assert TaxZoneMapping.objects.get(integration=again, country="FI", customer_type="B2C").sales_account == "3107"
    assert not PaymentMethodMapping.objects.filter(integration=again, shop_method="invoice").exists()
    assert (again.erp.status, again.erp.refresh_token) == ("expired", "")  # not connected behind the user's back
    assert again.erp.base_url == "http://127.0.0.1:8080/sandbox/fortnox"  # only the port is followed
    assert Connection.objects.filter(system="fortnox").count() == 1


def test_the_demo_fortnox_orders_flow_run_from_the_admin_invoices_every_order_with_the_shops_totals(
    admin_client, django_capture_on_commit_callbacks
):
    from integrations.centra import sandbox as centra
    from integrations.fortnox import sandbox as fortnox_sandbox

    demo_seed(site_url="http://testserver", orders=30)
    integration = fortnox_integration()
    switch = IntegrationFlow.objects.get(integration=integration, flow="orders")
    url = reverse("admin:sync_integrationflow_changelist")
    admin_client.post(url, {"action": "switch_on", "_selected_action": [str(switch.pk)]})
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(
            url, {"action": "run_now", "_selected_action": [str(switch.pk)], "confirm": "yes"}, follow=True
        )

    assert "Queued 1 flow run" in done.content.decode()
    run = SyncRun.objects.get(integration=integration, flow="orders")
    assert run.ok_count >= 25, list(run.records.exclude(error="").values_list("source_label", "error")[:5])
    invoices = {
        row.data["ExternalInvoiceReference1"]: row.data
        for row in fortnox_sandbox._rows(fortnox_sandbox.INVOICE)
        if row.data.get("Credit") != "true"  # a string in Fortnox
    }
    assert len(invoices) == run.ok_count
    orders = {str(order["number"]): order for order in centra.orders(private=True)}
    for reference, invoice in invoices.items():
        order = orders[reference]
        assert invoice["Currency"] == order["grandTotal"]["currency"]["code"], reference
        assert Decimal(str(invoice["Total"])) == Decimal(order["grandTotal"]["value"]), reference
        vat = {rate: amount for rate, (_net, amount) in fortnox_sandbox.invoice_vat_by_rate(invoice).items() if amount}
        stated = {Decimal(rate): Decimal(amount) for rate, amount in order["_vatByRate"].items() if Decimal(amount)}
        assert vat == stated, reference
    # The Visma.net integration on the same shop is left alone.
    assert not SyncRun.objects.filter(integration__name=DEMO_INTEGRATION).exists()


def test_the_demo_payout_file_downloads_for_the_fortnox_integration_and_books_every_invoice_it_captures(admin_client):
    from integrations.fortnox import sandbox as fortnox_sandbox
    from sync.models import PayoutFormat
    from sync.payouts.services import demo_fee, payout_import
    from sync.services import flow_run

    demo_seed(site_url="http://testserver", orders=12)
    integration = fortnox_integration()
    orders = flow_run(integration=integration, flow="orders", trigger="manual")
    assert orders.ok_count >= 8, orders.message

    response = admin_client.get(
        reverse("admin:sync_payout_demo_file"), {"integration": integration.pk, "preset": "adyen"}
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    payout = payout_import(
        integration=integration,
        fmt=PayoutFormat.objects.get(preset="adyen"),
        content=response.content.decode(),
        file_name="demo.csv",
    )
    captured = list(payout.lines.filter(kind="payment").exclude(order_number=""))
    assert len(captured) >= 5  # the invoices of the payout's currency and the order without an invoice
    IntegrationFlow.objects.filter(integration=integration, flow="payouts").update(enabled=True)
    run = flow_run(integration=integration, flow="payouts", trigger="manual")

    assert run.failed_count == 0, list(run.records.exclude(error="").values_list("source_label", "error")[:3])
    assert payout.lines.filter(status="booked").count() == run.ok_count == len(captured) - 1
    assert payout.lines.filter(status="unmatched").count() == 1
    payments = [row.data for row in fortnox_sandbox._rows(fortnox_sandbox.PAYMENT)]
    assert len(payments) == run.ok_count
    for payment in payments:  # each capture settles its invoice; the fee goes to the demo's fee account
        invoice = fortnox_sandbox._get(fortnox_sandbox.INVOICE, str(payment["InvoiceNumber"]))
        assert Decimal(str(invoice["Balance"])) == 0, payment["InvoiceNumber"]
        [write_off] = payment["WriteOffs"]
        assert write_off["AccountNumber"] == 6064
        assert Decimal(str(write_off["Amount"])) == demo_fee(Decimal(str(invoice["Total"])))
