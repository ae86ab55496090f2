import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from integrations.models import Connection
from mappings.models import CustomerClass, SkuRule, TaxZoneMapping
from sync.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_seed
from sync.models import Integration, IntegrationFlow

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_complete_integration_and_is_idempotent():
    integration = demo_seed(site_url="http://127.0.0.1:8123")
    demo_seed(site_url="http://127.0.0.1:8123")
    assert Integration.objects.count() == 1
    assert Connection.objects.count() == 2
    assert integration.shop.base_url == "http://127.0.0.1:8123/sandbox/centra/graphql"
    assert integration.erp.token_url.startswith("http://127.0.0.1:8123/sandbox/")
    assert TaxZoneMapping.objects.filter(integration=integration).count() == 64
    assert CustomerClass.objects.filter(integration=integration).count() == 4
    assert SkuRule.objects.filter(integration=integration).count() == 1
    assert IntegrationFlow.objects.filter(integration=integration).count() == 7
    assert authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD) is not None


def test_import_mappings_command_reports_row_errors(tmp_path, integration):
    bad = tmp_path / "classes.csv"
    bad.write_text("code,description\nA B,spaces are not allowed\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("import_mappings", "customer_classes", str(bad), integration=integration.name)
    assert "row 1: code:" in str(exc.value)
    assert not CustomerClass.objects.exists()
