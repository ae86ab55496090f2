"""Every list page of the admin runs the same number of queries with 5 rows as with 50.

The payouts list is the payouts work's own test (tests/sync/test_payout*).
"""

from decimal import Decimal
from itertools import count

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import Connection
from mappings.models import (
    CurrencyMapping,
    CustomerClass,
    FieldRule,
    PaymentMethodMapping,
    PaymentTermMapping,
    ShippingMapping,
    SkuRule,
    TaxZoneMapping,
    VatRateMapping,
    VatTerritory,
)
from sync.models import (
    BindingIntent,
    BulkAction,
    ExternalRef,
    Integration,
    IntegrationFlow,
    JournalEntry,
    JournalShare,
    JournalVatAccount,
    NumberSeriesCheck,
    PayoutFormat,
    RecordLog,
    SyncRecord,
    SyncRun,
    WebhookEvent,
)
from tests.factories import (
    ConnectionFactory,
    CustomerClassFactory,
    ExternalRefFactory,
    IntegrationFactory,
    NumberSeriesCheckFactory,
    RecordLogFactory,
    SyncRunFactory,
    TaxZoneMappingFactory,
)

pytestmark = pytest.mark.django_db
SEQ = count(1)
ALL_APPS = {"integrations", "mappings", "sync"}
NOT_HERE = {"Payout"}  # the payouts list and its query count belong to the payouts work


def _flows(n):
    for _ in range(n):
        IntegrationFactory()  # seven flow switches each


def _record(n):
    for _ in range(n):
        log = RecordLogFactory(status="failed", error="x" * 150)
        SyncRecord.objects.create(
            integration=log.integration, flow="orders", source_id=log.source_id, status="dead", last_log=log
        )


def _bulk_action(n):
    from django.contrib.auth.models import User

    for _ in range(n):
        user = User.objects.create_user(f"user{next(SEQ)}", is_staff=True)
        BulkAction.objects.create(
            title="Resync the selected records",
            action="resync_selected",
            model_label="sync.syncrecord",
            handler="sync.bulk_handlers.sync_records_resync",
            selection="3 selected records",
            requested_by=user,
            total=3,
        )


def _journal_entry(integration):
    day = f"2026-11-{next(SEQ) % 28 + 1:02d}"
    entry = JournalEntry.objects.create(
        integration=integration,
        day=day,
        currency="SEK",
        vat_category="SE25",
        sequence=next(SEQ),
        reference=f"KOPPLA-{day}-SEK-SE25-{next(SEQ)}",
        status="created",
        erp_number=str(next(SEQ)),
    )
    JournalShare.objects.create(
        integration=integration,
        order_number=str(next(SEQ)),
        day=day,
        currency="SEK",
        vat_category="SE25",
        lines=[{"account": "3001", "net": "100.00"}],
        net=Decimal("100"),
        vat=Decimal("25"),
        gross=Decimal("125"),
        entry=entry,
    )
    return entry


def _each(factory):
    return lambda n: [factory(IntegrationFactory()) for _ in range(n)]


BUILDERS = {
    Connection: lambda n: [ConnectionFactory() for _ in range(n)],
    Integration: lambda n: [IntegrationFactory() for _ in range(n)],
    IntegrationFlow: _flows,
    SyncRun: lambda n: [RecordLogFactory(run=SyncRunFactory(status="partial"), status="failed") for _ in range(n)],
    RecordLog: lambda n: [RecordLogFactory(status="failed", error="Unknown currency") for _ in range(n)],
    SyncRecord: _record,
    WebhookEvent: _each(lambda i: WebhookEvent.objects.create(integration=i, status="rejected", events=[{"a": 1}])),
    ExternalRef: _each(lambda i: ExternalRefFactory(integration=i)),
    BindingIntent: _each(lambda i: BindingIntent.objects.create(integration=i, kind="invoice", source_id="20015")),
    NumberSeriesCheck: _each(
        lambda i: NumberSeriesCheckFactory(connection=i.erp, integration=i, status="warning", message="low")
    ),
    BulkAction: _bulk_action,
    PayoutFormat: lambda n: [
        PayoutFormat.objects.create(name=f"PSP {next(SEQ)}", col_order="order", col_gross="gross") for _ in range(n)
    ],
    CustomerClass: _each(lambda i: CustomerClassFactory(integration=i)),
    TaxZoneMapping: _each(lambda i: TaxZoneMappingFactory(integration=i)),
    PaymentMethodMapping: _each(
        lambda i: PaymentMethodMapping.objects.create(integration=i, shop_method="klarna", erp_payment_method="KL")
    ),
    PaymentTermMapping: _each(
        lambda i: PaymentTermMapping.objects.create(integration=i, shop_terms="B2C", erp_terms="0")
    ),
    ShippingMapping: _each(
        lambda i: ShippingMapping.objects.create(integration=i, shop_shipping="standard", erp_item="FREIGHT")
    ),
    CurrencyMapping: _each(
        lambda i: CurrencyMapping.objects.create(integration=i, shop_currency="EUR", erp_currency="EUR")
    ),
    SkuRule: _each(lambda i: SkuRule.objects.create(integration=i)),
    FieldRule: _each(
        lambda i: FieldRule.objects.create(
            integration=i,
            target="orders:invoice",
            position=1,
            source_path="customer_name",
            target_path="invoiceText.value",
        )
    ),
    JournalEntry: _each(_journal_entry),
    JournalShare: _each(_journal_entry),
    JournalVatAccount: _each(
        lambda i: JournalVatAccount.objects.create(integration=i, vat_category="SE25", account="2611")
    ),
    VatRateMapping: _each(
        lambda i: VatRateMapping.objects.create(integration=i, country="SE", rate=Decimal("6"), vat_category="SE6")
    ),
    VatTerritory: _each(
        lambda i: VatTerritory.objects.create(
            integration=i, country="ES", postcode_prefix="35", treat_as="EXPORT", name="Canarias"
        )
    ),
}


def list_models():
    return [m for m in admin.site._registry if m._meta.app_label in ALL_APPS and m.__name__ not in NOT_HERE]


def test_every_list_page_has_a_builder():
    assert set(list_models()) == set(BUILDERS)


def queries_of(client, url) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.context["cl"].result_list), [q["sql"] for q in captured]


@pytest.mark.parametrize("model", list_models(), ids=lambda m: m.__name__)
def test_list_page_queries_do_not_grow_with_its_rows(admin_client, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    BUILDERS[model](5)
    admin_client.get(url)  # warm caches (content types, sessions)
    few, shown_few, _ = queries_of(admin_client, url)
    BUILDERS[model](45)
    many, shown_many, sql = queries_of(admin_client, url)
    assert shown_many > shown_few >= 5
    assert many == few, (
        f"{opts.verbose_name_plural}: {few} queries with {shown_few} rows, {many} with {shown_many}:\n"
        + "\n".join(sql[-8:])
    )
