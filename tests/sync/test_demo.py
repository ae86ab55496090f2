import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from integrations.models import Connection
from mappings.models import CustomerClass, SkuRule, TaxZoneMapping, VatRateMapping, VatTerritory
from sync.demo import DEMO_FORTNOX_INTEGRATION, DEMO_MAPPING_FILES, DEMO_PASSWORD, DEMO_USERNAME, demo_seed
from sync.models import Flow, Integration, IntegrationFlow, PayoutFormat

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_complete_integration_and_is_idempotent():
    integration = demo_seed(site_url="http://127.0.0.1:8123")
    demo_seed(site_url="http://127.0.0.1:8123")
    assert Integration.objects.count() == 3  # Centra → Visma.net and Centra → Fortnox on one Centra shop, eAccounting → Visma.net
    assert Connection.objects.count() == 4  # Centra, Visma.net, Fortnox and eAccounting sandboxes
    assert Integration.objects.get(name=DEMO_FORTNOX_INTEGRATION).erp.system == "fortnox"
    assert integration.shop.base_url == "http://127.0.0.1:8123/sandbox/centra/graphql"
    assert integration.erp.token_url.startswith("http://127.0.0.1:8123/sandbox/")
    assert TaxZoneMapping.objects.filter(integration=integration).count() == 66  # 64 + Northern Ireland (XI)
    assert CustomerClass.objects.filter(integration=integration).count() == 4
    assert SkuRule.objects.filter(integration=integration).count() == 1
    assert VatTerritory.objects.filter(integration=integration, country="GB", postcode_prefix="BT").exists()
    assert VatTerritory.objects.filter(integration=integration).count() >= 28
    assert VatRateMapping.objects.filter(integration=integration, country="SE").count() >= 2
    assert IntegrationFlow.objects.filter(integration=integration).count() == len(Flow.values)
    assert authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD) is not None
    assert PayoutFormat.objects.count() == 4
    from integrations.centra import sandbox as centra
    from integrations.centra.demo_data import NAMED_ORDERS
    from sync.demo import DEMO_ORDERS

    assert len(centra.orders()) == DEMO_ORDERS + len(NAMED_ORDERS)  # seeding twice adds nothing
    assert integration.fee_writeoff_reason_code == "PSPFEE"


def test_demo_sandboxes_hold_a_shop_and_an_erp_and_the_connections_work():
    from integrations.centra import sandbox as centra
    from integrations.services import connection_test
    from integrations.visma_net import sandbox as visma

    integration = demo_seed(site_url="http://testserver", connect=True)

    orders = centra.orders()
    assert len(orders) >= 300
    assert len({o["shippingAddress"]["country"]["code"] for o in orders}) >= 10
    assert len({o["grandTotal"]["currency"]["code"] for o in orders}) >= 3
    assert any(o["billingAddress"].get("vatNumber") for o in orders)
    assert not visma.invoices() and len(visma.customers()) == 0
    assert connection_test(connection=integration.shop).ok
    assert connection_test(connection=integration.erp).ok


def test_demo_payout_file_downloads_from_the_import_page_and_books(admin_client, monkeypatch):
    from django.urls import reverse

    from tests.fakes import FakeClock

    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock())  # rate-limit spacing without sleeping
    from sync.payouts.services import payout_import
    from sync.services import flow_run

    integration = demo_seed(site_url="http://testserver", orders=30, connect=True)
    flow_run(integration=integration, flow="orders", trigger="manual")
    page = admin_client.get(reverse("admin:sync_payout_import")).content.decode()
    assert "Download demo file" in page

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
    IntegrationFlow.objects.filter(integration=integration, flow="payouts").update(enabled=True)
    run = flow_run(integration=integration, flow="payouts", trigger="manual")
    assert run.ok_count >= 10
    assert payout.lines.filter(status="booked").count() == run.ok_count
    assert payout.lines.filter(status="unmatched").count() >= 1


def test_import_mappings_command_reports_row_errors(tmp_path, integration):
    bad = tmp_path / "classes.csv"
    bad.write_text("code,description\nA B,spaces are not allowed\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("import_mappings", "customer_classes", str(bad), integration=integration.name)
    assert "Row 2, column code (value 'A B'):" in str(exc.value)
    assert not CustomerClass.objects.exists()


def test_demo_restart_keeps_the_users_edits_and_deletions():
    from mappings.models import PaymentMethodMapping
    from sync.models import DemoSeed

    integration = demo_seed(site_url="http://127.0.0.1:8000")
    Integration.objects.filter(pk=integration.pk).update(
        notify_emails="finance@shop.example", payment_cash_account="1999"
    )
    PaymentMethodMapping.objects.filter(integration=integration, shop_method="klarna-checkout").update(
        erp_cash_account="1599"
    )
    TaxZoneMapping.objects.filter(integration=integration, country="AT", customer_type="B2C").update(
        sales_account="3999"
    )
    TaxZoneMapping.objects.filter(integration=integration, country="BE", customer_type="B2B").delete()
    SkuRule.objects.filter(integration=integration).delete()  # a whole table emptied stays empty too
    PayoutFormat.objects.filter(preset="stripe").delete()

    again = demo_seed(site_url="http://127.0.0.1:8080")  # restarted on another port

    again.refresh_from_db()
    assert again.pk == integration.pk
    assert again.notify_emails == "finance@shop.example"
    assert again.payment_cash_account == "1999"
    assert PaymentMethodMapping.objects.get(integration=again, shop_method="klarna-checkout").erp_cash_account == "1599"
    assert TaxZoneMapping.objects.get(integration=again, country="AT", customer_type="B2C").sales_account == "3999"
    assert not TaxZoneMapping.objects.filter(integration=again, country="BE", customer_type="B2B").exists()
    assert TaxZoneMapping.objects.filter(integration=again).count() == 65
    assert not SkuRule.objects.filter(integration=again).exists()
    assert not PayoutFormat.objects.filter(preset="stripe").exists()
    # Starting only follows the port: the sandbox connections move to it.
    assert again.shop.base_url == "http://127.0.0.1:8080/sandbox/centra/graphql"
    assert again.erp.token_url == "http://127.0.0.1:8080/sandbox/visma-connect/connect/token"
    assert DemoSeed.objects.filter(integration=again).count() == 2 + len(DEMO_MAPPING_FILES)


def test_demo_start_seeds_a_table_that_was_never_seeded():
    """A demo database from before a table joined the demo gets that table once, and nothing else."""
    from sync.models import DemoSeed

    integration = demo_seed(site_url="http://127.0.0.1:8000")
    SkuRule.objects.filter(integration=integration).delete()
    DemoSeed.objects.filter(integration=integration, part="sku_rule").delete()
    TaxZoneMapping.objects.filter(integration=integration, country="AT").delete()
    DemoSeed.objects.filter(integration=integration, part="tax_zones").delete()  # rows left: counts as seeded

    demo_seed(site_url="http://127.0.0.1:8000")

    assert SkuRule.objects.filter(integration=integration).count() == 1
    assert not TaxZoneMapping.objects.filter(integration=integration, country="AT").exists()
    assert DemoSeed.objects.filter(integration=integration, part="tax_zones").exists()
