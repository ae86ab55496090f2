"""The lists an ops person lives in: short cells, the README's filter names, words that say what happens."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from integrations.http import RemoteDown
from sync.admin.common import run_progress_text, short_message
from sync.engine import RUN_RETRIED, remote_error_message
from sync.models import IntegrationFlow, SyncRecord, SyncRun
from sync.selectors import dashboard_build, integration_flows_with_state
from tests.factories import RecordLogFactory, SyncRunFactory

pytestmark = pytest.mark.django_db

LONG_ERROR = "Order 20019: unknown payment method 'swish': add it in Mappings › Payment methods. " + "x" * 200


def _record(integration, status, error="", source_id="order-1"):
    log = RecordLogFactory(run=SyncRunFactory(integration=integration), source_id=source_id, error=error)
    return SyncRecord.objects.create(
        integration=integration,
        flow="orders",
        source_id=source_id,
        source_label=source_id,
        status=status,
        last_error=error,
        last_log=log,
    )


def test_a_skipped_run_is_never_a_flows_last_run(integration):
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)
    real = SyncRunFactory(integration=integration, flow="orders", status="succeeded", total=3, done=3, ok_count=3)
    SyncRun.objects.filter(pk=real.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    SyncRunFactory(integration=integration, flow="orders", status="skipped")

    orders = next(f for f in dashboard_build().flows if f.integration_flow.flow == "orders")
    row = integration_flows_with_state().get(integration=integration, flow="orders")

    assert orders.last_run.pk == real.pk and orders.last_run.status == "succeeded"
    assert (row.last_run_id, row.last_run_status) == (real.pk, "succeeded")
    assert not orders.stale


def test_records_filter_failed_as_the_readme_names_it(admin_client, integration):
    _record(integration, "retrying", "first", "order-1")
    _record(integration, "dead", "second", "order-2")
    _record(integration, "ok", "Created invoice 100001.", "order-3")
    url = reverse("admin:sync_syncrecord_changelist")

    listing = admin_client.get(url).context["cl"]
    choices = list(listing.filter_specs[0].choices(listing))
    assert [c["display"] for c in choices][:2] == ["All", "Failed"]
    assert "status__in=retrying%2Cdead" in choices[1]["query_string"]

    failed = admin_client.get(url, {"status__in": "retrying,dead"}).context["cl"]
    assert sorted(r.source_id for r in failed.result_list) == ["order-1", "order-2"]
    chosen = [c["display"] for c in failed.filter_specs[0].choices(failed) if c["selected"]]
    assert chosen == ["Failed"]
    dead = admin_client.get(url, {"status__exact": "dead"}).context["cl"]
    assert [r.source_id for r in dead.result_list] == ["order-2"]
    assert [c["display"] for c in dead.filter_specs[0].choices(dead) if c["selected"]] == [
        "Failed, gave up (needs action)"
    ]


def test_messages_are_cut_in_the_list_and_whole_on_the_detail_page(admin_client, integration):
    record = _record(integration, "dead", LONG_ERROR)
    note = _record(integration, "ok", "Created and released invoice 100031.", "order-9")

    html = admin_client.get(reverse("admin:sync_syncrecord_changelist")).content.decode()
    assert "column-short_error" in html and "Message" in html and ">Error<" not in html
    cut = str(short_message(LONG_ERROR, failed=True))
    assert "koppla-msg-error" in cut and escape(LONG_ERROR[:79].rstrip()) + "…<" in cut
    assert "koppla-msg-note" in str(short_message(note.last_error, failed=False))
    assert "sync/koppla-lists.css" in html

    detail = admin_client.get(reverse("admin:sync_syncrecord_change", args=[record.pk])).content.decode()
    assert "x" * 200 in detail


def test_record_logs_call_a_success_note_a_message(admin_client, integration):
    RecordLogFactory(run=SyncRunFactory(integration=integration), status="ok", error="Created invoice 100001.")
    html = admin_client.get(reverse("admin:sync_recordlog_changelist")).content.decode()
    assert "Created invoice 100001." in html and "koppla-msg-note" in html
    assert "Message" in html and ">Error<" not in html


def test_run_progress_has_a_total_and_the_time_left():
    now = timezone.now()
    running = SyncRun(status="running", total=400, done=100, started_at=now - timedelta(minutes=2))
    assert run_progress_text(running, now=now) == "100 / 400, about 6 min left"
    almost = SyncRun(status="running", total=400, done=390, started_at=now - timedelta(minutes=2))
    assert run_progress_text(almost, now=now) == "390 / 400, about 3 s left"
    listing = SyncRun(status="running", total=12, done=12, started_at=now - timedelta(minutes=2))
    assert run_progress_text(listing, now=now) == "12 done, still listing"
    finished = SyncRun(status="succeeded", total=400, done=400, started_at=now - timedelta(minutes=8))
    assert run_progress_text(finished, now=now) == "400 / 400"


def test_a_running_runs_long_listing_progress_is_cut_in_the_list_and_whole_in_the_tooltip(admin_client, integration):
    """A listing's progress text ("listing: 2 pages read, 200 records so far (143 done)") would push Started and
    Duration beyond a laptop screen: the list shows its first PROGRESS_CHARS characters, the tooltip all of it."""
    SyncRunFactory(
        integration=integration,
        flow="orders",
        status="running",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        total=143,
        done=143,
        message="Listing: 2 pages read, 200 records so far",
    )
    html = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    whole = "listing: 2 pages read, 200 records so far (143 done)"
    assert f'<td class="field-progress_cell"><span title="{whole}">listing: 2 pages read, 200…</span></td>' in html
    assert f">{whole}<" not in html


def test_a_failed_run_does_not_promise_a_record_retry():
    exc = RemoteDown("Visma.net answered 503", system="visma_net")
    assert remote_error_message(exc).endswith("The record will be retried.")
    run_text = remote_error_message(exc, then=RUN_RETRIED)
    assert "record" not in run_text and run_text.endswith("The flow's next run tries again.")


def test_erp_is_written_in_capitals_on_the_forms(admin_client, integration):
    html = admin_client.get(reverse("admin:sync_integration_change", args=[integration.pk])).content.decode()
    assert "ERP:" in html and "Stock ERP warehouses" in html and "Erp" not in html
    mapping = admin_client.get(reverse("admin:mappings_paymentmethodmapping_add")).content.decode()
    assert "ERP payment method" in mapping and "Erp " not in mapping
    listing = admin_client.get(reverse("admin:sync_integration_changelist")).content.decode()
    assert "Erp" not in listing and "By ERP system" in listing and "By shop system" in listing


def test_sync_runs_list_shows_a_triggers_short_name(admin_client, integration):
    SyncRunFactory(integration=integration, flow="orders", trigger=SyncRun.Trigger.FOLLOW_UP)
    html = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    assert '<td class="field-trigger_display">Follow-up</td>' in html
    assert "records queued during another run)</td>" not in html  # the full label is on the run's page


def test_payouts_list_names_the_payout_with_its_account_and_amounts_with_their_currency(admin_client, integration):
    from decimal import Decimal

    from sync.models import Payout, PayoutFormat
    from sync.payouts.services import payout_format_from_preset

    fmt = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    Payout.objects.create(
        integration=integration,
        format=fmt,
        provider="adyen",
        merchant_account="KopplaEU",
        reference="42",
        currency="EUR",
        bank_amount=Decimal("1099.15"),
    )
    integration.name = "Centra Nordics and Baltics → Visma.net ERP (production company 1, EUR)"
    integration.save(update_fields=["name"])
    html = admin_client.get(reverse("admin:sync_payout_changelist")).content.decode()
    assert ">42 (KopplaEU)</a>" in html
    # The laptop layout (one-line cells, the navigation folded) and the integration cut, its whole name in the tooltip.
    assert "sync/koppla-lists.css" in html and "sync/koppla-lists.js" in html
    assert f'title="{escape(integration.name)}">Centra Nordics and Balt…</span>' in html
    assert '<td class="field-status_display"><b style="color:#333">Imported</b></td>' in html
    assert '<td class="field-bank_display">1,099.15\u00a0EUR</td>' in html
    assert '<td class="field-net_display">0.00\u00a0EUR</td>' in html


def test_tax_zones_list_has_short_one_line_cells_and_the_full_labels_on_the_rows_page(admin_client, integration):
    from tests.factories import TaxZoneMappingFactory

    integration.name = "Centra Nordics → Visma.net ERP (production company 1)"
    integration.save()
    row = TaxZoneMappingFactory(integration=integration, country="DE", customer_type="B2C")
    html = admin_client.get(reverse("admin:mappings_taxzonemapping_changelist")).content.decode()
    assert "sync/koppla-lists.css" in html and "sync/koppla-lists.js" in html
    assert '<span title="Consumer (B2C)">B2C</span>' in html and ">Consumer (B2C)</td>" not in html
    assert '<span title="EU B2C (OSS, destination VAT)">EU B2C, OSS</span>' in html
    assert "VAT category / code" not in html.split('id="result_list"')[1]  # the short header in the list
    assert f'title="{escape(integration.name)}">{escape(integration.name[:23].rstrip())}…</span>' in html

    detail = admin_client.get(reverse("admin:mappings_taxzonemapping_change", args=[row.pk])).content.decode()
    assert "EU B2C (OSS, destination VAT)" in detail and "VAT category / code" in detail
    assert admin_client.get(reverse("admin:mappings_taxzonemapping_add")).status_code == 200


def test_connections_list_has_short_one_line_cells_and_the_full_labels_on_the_connections_page(admin_client):
    from datetime import datetime

    from tests.factories import ConnectionFactory

    checked = timezone.make_aware(datetime(2026, 12, 1, 6, 40))
    connection = ConnectionFactory(name="Visma.net sandbox", auth_type="oauth2_code", last_checked_at=checked)
    html = admin_client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "sync/koppla-lists.css" in html and "sync/koppla-lists.js" in html
    assert '<span title="OAuth2 authorization code (interactive consent)">OAuth2 consent</span>' in html
    assert '<span class="koppla-integration" title="Visma.net sandbox">Visma.net sandbox</span>' in html
    assert '<td class="field-checked_display">2026-12-01 06:40</td>' in html

    detail = admin_client.get(reverse("admin:integrations_connection_change", args=[connection.pk])).content.decode()
    assert "OAuth2 authorization code (interactive consent)" in detail


def test_number_series_list_has_short_cells_and_the_whole_message_on_the_checks_page(admin_client, integration):
    from datetime import UTC, datetime

    from sync.models import NumberSeriesCheck

    integration.name = "Centra Nordics → Visma.net ERP (production company 1)"
    integration.save()
    check = NumberSeriesCheck.objects.create(
        connection=integration.erp,
        integration=integration,
        numbering_id="CUSTOMER",
        last_number="19999",
        end_number="20000",
        remaining=1,
        status=NumberSeriesCheck.Status.ERROR,
        overlaps_with="Centra Denmark → Visma.net ERP (production company 2), Shop FI, Shop NO",
        message=LONG_ERROR,
        checked_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC),
    )
    html = admin_client.get(reverse("admin:sync_numberseriescheck_changelist")).content.decode()
    assert "sync/koppla-lists.css" in html and "sync/koppla-lists.js" in html
    rows = html.split('id="result_list"')[1]
    assert escape(LONG_ERROR[:79].rstrip()) + "…</span></td>" in rows
    assert 'class="koppla-msg koppla-msg-error"' in rows
    assert f'title="{escape(integration.name)}">{escape(integration.name[:23].rstrip())}…</span>' in rows
    assert '<td class="field-checked_at nowrap">2026-12-01 10:15</td>' in rows

    detail = admin_client.get(reverse("admin:sync_numberseriescheck_change", args=[check.pk])).content.decode()
    assert "x" * 200 in detail and "Shop NO" in detail


def test_a_long_record_label_is_cut_in_the_lists_and_whole_in_the_tooltip(admin_client, integration):
    label = "20015 (anna.karlsson-lindqvist@example.com)"
    _record(integration, "dead", LONG_ERROR, source_id="order-20015")
    SyncRecord.objects.filter(source_id="order-20015").update(source_label=label)
    html = admin_client.get(reverse("admin:sync_syncrecord_changelist")).content.decode()
    assert f'<span title="{label}">{label[:27].rstrip()}…</span>' in html


def test_a_retry_whose_time_has_passed_says_it_is_due_not_a_time_in_the_past(admin_client, integration):
    due = _record(integration, "retrying", "Visma.net answered 503", "order-1")
    later = _record(integration, "retrying", "Visma.net answered 503", "order-2")
    SyncRecord.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    SyncRecord.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=2))

    html = admin_client.get(reverse("admin:sync_syncrecord_changelist")).content.decode()

    cells = [row.split("</tr>")[0] for row in html.split("<tr")[1:]]
    rows = {source: row for row in cells for source in ("order-1", "order-2") if source in row}
    assert "Failed, retry due" in rows["order-1"] and "due since " in rows["order-1"]
    assert "will retry" not in rows["order-1"]
    assert "Failed, will retry" in rows["order-2"] and "due since" not in rows["order-2"]


def test_the_admin_names_payment_methods_as_the_readme_and_the_errors_do(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert ">Payment methods</a>" in html and "Payment method mappings" not in html
