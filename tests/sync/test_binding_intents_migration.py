"""Migration 0027: records that failed before pending creates existed get an intent, so their next attempt still
searches the ERP before creating (their last create's answer may have been lost)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import IntegrationFactory


@pytest.mark.django_db(transaction=True)
def test_failed_unbound_order_and_refund_records_get_an_intent_and_no_other_record_does():
    integration = IntegrationFactory()
    before = [("sync", "0026_journal_entries")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        SyncRecord = apps.get_model("sync", "SyncRecord")
        ExternalRef = apps.get_model("sync", "ExternalRef")
        rows = [
            ("orders", "1001", "retrying"),  # failed, unbound: may have an invoice in the ERP
            ("orders", "1002", "dead"),  # failed, but its invoice is bound
            ("orders", "1003", "ok"),
            ("refunds", "R-1", "retrying"),
            ("customers", "C-1", "retrying"),  # not a document flow
        ]
        for flow, source_id, status in rows:
            SyncRecord.objects.create(integration_id=integration.pk, flow=flow, source_id=source_id, status=status)
        ExternalRef.objects.create(
            integration_id=integration.pk, kind="invoice", source_id="1002", target_id="INV-1", synced_at=timezone.now()
        )

        MigrationExecutor(connection).migrate(latest)

        from sync.models import BindingIntent

        intents = set(BindingIntent.objects.values_list("kind", "source_id"))
        assert intents == {("invoice", "1001"), ("sales_order", "1001"), ("sales_order", "1002"), ("credit_note", "R-1")}
    finally:
        MigrationExecutor(connection).migrate(latest)
