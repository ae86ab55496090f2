"""The big lists at a million rows (sync/admin/common.py): the estimated count of an unfiltered list on
PostgreSQL, exact counts elsewhere, the key search, no whole-table count beside a filtered list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sync.admin import common
from sync.admin.common import EstimatedCountPaginator, estimated_rows
from sync.models import RecordLog
from tests.factories import RecordLogFactory, SyncRunFactory

pytestmark = pytest.mark.django_db

BIG_LISTS = ["sync_recordlog", "sync_syncrecord", "sync_syncrun", "sync_externalref"]


@pytest.fixture
def logs():
    run = SyncRunFactory(flow="orders")
    rows = [
        RecordLogFactory(run=run, source_id="20015", source_label="20015 (anna@example.com)", target_id="INV-7"),
        RecordLogFactory(run=run, source_id="200150", source_label="200150 (bo@example.com)", status="failed"),
        RecordLogFactory(run=run, source_id="31000", source_label="31000 (cleo@example.com)", error="20015 is odd"),
        RecordLogFactory(run=run, source_id="42", source_label="anna@example.com", status="failed"),
    ]
    return {log.source_id: log for log in rows}


def listed(admin_client, **query) -> set[str]:
    response = admin_client.get(reverse("admin:sync_recordlog_changelist"), query)
    assert response.status_code == 200
    return {log.source_id for log in response.context["cl"].result_list}


def test_the_search_finds_the_start_of_an_id_or_label_never_the_error_text(admin_client, logs):
    assert listed(admin_client, q="20015") == {"20015", "200150"}  # not 31000, whose error names 20015
    assert listed(admin_client, q=" 200150 ") == {"200150"}
    assert listed(admin_client, q="INV-") == {"20015"}  # the target id
    assert listed(admin_client, q="anna@") == {"42"}  # the label
    assert listed(admin_client, q="20015", status__exact="failed") == {"200150"}
    assert listed(admin_client, q="0015") == set()  # the middle of an id is no key


def test_a_label_is_found_by_what_follows_its_kinds_name(admin_client):
    """Labels name their kind first ("Customer <e-mail>", "Item <SKU>"): the search matches after it too."""
    run = SyncRunFactory(flow="customers")
    RecordLogFactory(run=run, source_id="7", source_label="Customer erik.andersson.72@example.se")
    RecordLogFactory(run=run, source_id="8", source_label="Customer erika@example.se")

    assert listed(admin_client, q="erik.andersson") == {"7"}
    assert listed(admin_client, q="Customer erik") == {"7", "8"}
    assert listed(admin_client, q="andersson") == set()  # still the start of a key, not any part of it


def test_each_big_list_says_what_its_search_looks_at_and_shows_no_date_hierarchy(admin_client, logs):
    for name in BIG_LISTS:
        page = admin_client.get(reverse(f"admin:{name}_changelist"), {"q": "2"}).content.decode()
        assert "The start of" in page or "number (e.g. 1234)" in page, name
        assert 'class="toplinks"' not in page, name  # Django's date hierarchy (it reads every row for its months)


def test_a_filtered_list_is_counted_once_exactly_never_the_whole_table_beside_it(admin_client, logs):
    url = reverse("admin:sync_recordlog_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(url, {"status__exact": "failed"})
    assert response.context["cl"].result_count == 2
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"] and "sync_recordlog" in q["sql"]]
    assert len(counts) == 1 and "WHERE" in counts[0], counts


def test_the_runs_search_finds_a_run_by_its_number(admin_client):
    wanted, other = SyncRunFactory(cursor_to="2026-11-30T10:00"), SyncRunFactory(cursor_to="2026-12-01T08:00")
    response = admin_client.get(
        reverse("admin:sync_syncrun_changelist"), {"q": str(wanted.pk), "empty_scheduled": "show"}
    )
    assert list(response.context["cl"].result_list) == [wanted]
    response = admin_client.get(reverse("admin:sync_syncrun_changelist"), {"q": "2026-12", "empty_scheduled": "show"})
    assert list(response.context["cl"].result_list) == [other]


def test_the_paginator_counts_exactly_on_sqlite_and_on_filtered_lists(logs, monkeypatch):
    monkeypatch.setattr(common, "ESTIMATE_FROM_ROWS", 1)
    everything = RecordLog.objects.all()
    failed = RecordLog.objects.filter(status="failed")
    assert estimated_rows(failed) is None
    assert EstimatedCountPaginator(failed, 100).count == 2
    if connection.vendor != "postgresql":
        assert estimated_rows(everything) is None
        assert EstimatedCountPaginator(everything, 100).count == 4


@pytest.mark.postgres
def test_the_paginator_takes_postgresqls_estimate_for_an_unfiltered_list(logs, monkeypatch):
    """After ANALYZE saw 4 rows, 2 more are written: the unfiltered list says 4 (the estimate, no COUNT(*)), a
    filtered one counts exactly; below ESTIMATE_FROM_ROWS the unfiltered list is counted too."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sync_recordlog")
    run = SyncRunFactory()
    RecordLogFactory(run=run, status="failed")
    RecordLogFactory(run=run, status="failed")
    monkeypatch.setattr(common, "ESTIMATE_FROM_ROWS", 1)
    with CaptureQueriesContext(connection) as captured:
        assert EstimatedCountPaginator(RecordLog.objects.all(), 100).count == 4
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
    assert EstimatedCountPaginator(RecordLog.objects.filter(status="failed"), 100).count == 4
    monkeypatch.setattr(common, "ESTIMATE_FROM_ROWS", 100_000)
    assert EstimatedCountPaginator(RecordLog.objects.all(), 100).count == 6
