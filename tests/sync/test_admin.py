"""Every model has a working admin: changelist (with search and filters) and change page."""

import pytest
from django.contrib import admin
from django.urls import reverse

from integrations.models import Connection
from mappings.models import (
    CurrencyMapping,
    FieldRule,
    PaymentMethodMapping,
    PaymentTermMapping,
    ShippingMapping,
    SkuRule,
    VatRateMapping,
)
from mappings.services import vat_territories_load_standard
from sync.models import BindingIntent, BulkAction, IntegrationFlow, JournalVatAccount, SyncRecord, WebhookEvent
from sync.services import integration_flows_ensure
from tests.factories import (
    ExternalRefFactory,
    NumberSeriesCheckFactory,
    RecordLogFactory,
    TaxZoneMappingFactory,
)

pytestmark = pytest.mark.django_db

KOPPLA_APPS = {"integrations", "mappings", "sync"}


@pytest.fixture
def populated(integration):
    integration_flows_ensure(integration=integration)
    TaxZoneMappingFactory(integration=integration)
    PaymentMethodMapping.objects.create(integration=integration, shop_method="klarna", erp_payment_method="KL")
    PaymentTermMapping.objects.create(integration=integration, shop_terms="B2C", erp_terms="0")
    ShippingMapping.objects.create(integration=integration, shop_shipping="standard", erp_item="FREIGHT")
    CurrencyMapping.objects.create(integration=integration, shop_currency="EUR", erp_currency="EUR")
    SkuRule.objects.create(integration=integration)
    VatRateMapping.objects.create(integration=integration, country="SE", rate=6, vat_category="SE6")
    vat_territories_load_standard(integration=integration)
    record = RecordLogFactory(run__integration=integration, request={"a": 1}, calls=[{"method": "POST"}])
    ExternalRefFactory(integration=integration)
    BindingIntent.objects.create(integration=integration, kind="invoice", source_id="20015")
    NumberSeriesCheckFactory(connection=integration.erp, integration=integration)
    SyncRecord.objects.create(
        integration=integration,
        flow="orders",
        source_id="1001",
        status="dead",
        attempts=5,
        last_error="x",
        last_log=record,
    )
    WebhookEvent.objects.create(integration=integration, status="rejected", reason="signature does not match")
    BulkAction.objects.create(
        title="Resync the selected records",
        action="resync_selected",
        model_label="sync.syncrecord",
        handler="sync.bulk_handlers.sync_records_resync",
        selection="1 selected record",
        object_ids=["1"],
        total=1,
    )
    from sync.payouts.services import payout_format_from_preset, payout_import
    from tests.sync.test_payouts_import import GENERIC

    payout_import(integration=integration, fmt=payout_format_from_preset(name="PSP", preset="generic"), content=GENERIC)
    from tests.sync.test_admin_queries import _journal_entry

    _journal_entry(integration)  # an entry with its share
    JournalVatAccount.objects.create(integration=integration, vat_category="SE25", account="2611")
    FieldRule.objects.create(
        integration=integration, target="orders:invoice", position=1, source_path="customer_name",
        target_path="invoiceText.value",
    )  # fmt: skip
    return integration, record


def koppla_models():
    return [m for m in admin.site._registry if m._meta.app_label in KOPPLA_APPS]


def test_every_koppla_model_is_registered():
    names = {m.__name__ for m in koppla_models()}
    assert names == {
        "Connection",
        "Integration",
        "IntegrationFlow",
        "SyncRun",
        "RecordLog",
        "ExternalRef",
        "BindingIntent",
        "NumberSeriesCheck",
        "SyncRecord",
        "WebhookEvent",
        "BulkAction",
        "PayoutFormat",
        "Payout",
        "CustomerClass",
        "TaxZoneMapping",
        "PaymentMethodMapping",
        "PaymentTermMapping",
        "ShippingMapping",
        "CurrencyMapping",
        "SkuRule",
        "VatRateMapping",
        "VatTerritory",
        "FieldRule",
        "JournalEntry",
        "JournalShare",
        "JournalVatAccount",
    }


@pytest.mark.parametrize("model", koppla_models(), ids=lambda m: m.__name__)
def test_changelist_search_filter_and_change_page_render(admin_client, populated, model):
    opts = model._meta
    model_admin = admin.site._registry[model]
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1, f"no {opts.verbose_name} listed"
    assert model_admin.list_display != ("__str__",), "list_display not configured"
    if model_admin.search_fields:
        assert admin_client.get(changelist, {"q": "x"}).status_code == 200
    assert model_admin.get_list_filter(None), "list_filter not configured"
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200


def test_audit_fields_are_read_only_and_system_records_cannot_be_edited(rf, admin_user):
    from config.admin_utils import ReadOnlyAdmin

    request = rf.get("/")
    request.user = admin_user
    for model in koppla_models():
        model_admin = admin.site._registry[model]
        if isinstance(model_admin, ReadOnlyAdmin):
            assert not model_admin.has_change_permission(request) and not model_admin.has_add_permission(request)
        else:
            assert {"created_at", "updated_at"} <= set(model_admin.get_readonly_fields(request)), model.__name__


def test_record_log_page_shows_payload_and_calls(admin_client, populated):
    _, record = populated
    html = admin_client.get(reverse("admin:sync_recordlog_change", args=[record.pk])).content.decode()
    assert "&quot;a&quot;: 1" in html and "&quot;method&quot;: &quot;POST&quot;" in html


def test_flow_switches_are_editable_in_the_list(admin_client, populated):
    integration, _ = populated
    flows = list(IntegrationFlow.objects.filter(integration=integration).order_by("integration__name", "flow"))
    data = {
        "form-TOTAL_FORMS": str(len(flows)),
        "form-INITIAL_FORMS": str(len(flows)),
        "_save": "Save",
    }
    for i, flow in enumerate(flows):
        data[f"form-{i}-id"] = str(flow.pk)
        data[f"form-{i}-enabled"] = "on" if flow.flow == "orders" else ""
        data[f"form-{i}-interval_minutes"] = "7" if flow.flow == "orders" else str(flow.interval_minutes)
        if not data[f"form-{i}-enabled"]:
            del data[f"form-{i}-enabled"]
    response = admin_client.post(reverse("admin:sync_integrationflow_changelist"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    orders = IntegrationFlow.objects.get(integration=integration, flow="orders")
    assert orders.enabled and orders.interval_minutes == 7


def test_connection_list_warns_about_expiring_credentials(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    Connection.objects.create(
        name="Centra soon",
        system="centra",
        auth_type="api_token",
        base_url="https://x.example.com/graphql",
        credentials_expire_on=timezone.localdate() + timedelta(days=3),
    )
    html = admin_client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "expires in 3 day(s)" in html


def test_run_progress_says_when_the_total_is_not_known_yet():
    from sync.admin.runs import SyncRunAdmin
    from sync.models import SyncRun

    progress = SyncRunAdmin(SyncRun, admin.site).progress
    assert progress(SyncRun(status="running", done=57, total=57)) == "57 done, still listing"
    assert progress(SyncRun(status="running", done=57, total=320)) == "57 / 320"
    assert progress(SyncRun(status="succeeded", done=320, total=320)) == "320 / 320"
