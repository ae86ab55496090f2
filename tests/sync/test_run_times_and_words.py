"""What an ops person reads about runs: local times in one unambiguous format, durations and time left in
words, run pages that call notes notes and a success OK, and a failed run that promises nothing of records."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.http import RemoteDown
from sync import services
from sync.admin.common import run_progress_text
from sync.models import NumberSeriesCheck, SyncRun
from sync.run_progress import duration_text
from tests.factories import ConnectionFactory, SyncRunFactory
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db

# 09:15 UTC on 1 December is 10:15 in Stockholm (UTC+1 in winter) and 11:15 in Helsinki (UTC+2).
CHECKED = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


# --------------------------------------------------------------------------- 1. times
def test_a_changelist_shows_a_local_time_as_year_month_day_hours_minutes(admin_client):
    NumberSeriesCheck.objects.create(
        connection=ConnectionFactory(system="visma_net"), numbering_id="CUSTOMER", checked_at=CHECKED
    )
    html = admin_client.get(reverse("admin:sync_numberseriescheck_changelist")).content.decode()
    assert '<td class="field-checked_at nowrap">2026-12-01 10:15</td>' in html
    assert "Times in Europe/Stockholm" in html


def test_the_header_names_the_time_zone_of_the_settings(admin_client, settings):
    settings.TIME_ZONE = "Europe/Helsinki"
    NumberSeriesCheck.objects.create(
        connection=ConnectionFactory(system="visma_net"), numbering_id="CUSTOMER", checked_at=CHECKED
    )
    html = admin_client.get(reverse("admin:sync_numberseriescheck_changelist")).content.decode()
    assert "Times in Europe/Helsinki" in html and "Times in Europe/Stockholm" not in html
    assert "2026-12-01 11:15" in html


def test_the_short_date_and_time_formats_are_the_same_unambiguous_ones():
    from django.utils import formats

    when = timezone.localtime(CHECKED)
    assert formats.date_format(when, "DATETIME_FORMAT") == "2026-12-01 10:15"
    assert formats.date_format(when, "SHORT_DATETIME_FORMAT") == "2026-12-01 10:15"
    assert formats.date_format(when.date(), "SHORT_DATE_FORMAT") == "2026-12-01"


# --------------------------------------------------------------------------- 2. durations and time left
@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (61, "1 min"),
        (59 * 60, "59 min"),
        (90 * 60, "1 h 30 min"),
        (2 * 3600, "2 h"),
        (17 * 3600, "17 h"),
        (30 * 3600, "1 d 6 h"),
        (2 * 86400, "2 d"),
    ],
)
def test_duration_text_at_its_boundaries(seconds, text):
    assert duration_text(seconds) == text


def test_a_running_run_with_a_total_estimates_the_time_left_in_words():
    now = timezone.now()
    slow = SyncRun(status="running", total=1000, done=10, started_at=now - timedelta(minutes=10))
    assert run_progress_text(slow, now=now) == "10 / 1000, about 17 h left"  # 600 s per 10 → 59,400 s
    quick = SyncRun(status="running", total=400, done=100, started_at=now - timedelta(seconds=60))
    assert run_progress_text(quick, now=now) == "100 / 400, about 3 min left"


def test_a_running_run_without_a_total_shows_pages_read_and_no_estimate():
    now = timezone.now()
    listing = SyncRun(
        status="running",
        total=120,
        done=120,
        message="Listing: 3 pages read, 250 records so far",
        started_at=now - timedelta(minutes=30),
    )
    text = run_progress_text(listing, now=now)
    assert text == "listing: 3 pages read, 250 records so far (120 done)" and "left" not in text


def test_the_runs_list_gives_durations_in_the_same_words(admin_client, integration):
    now = timezone.now()
    SyncRunFactory(
        integration=integration, started_at=now - timedelta(minutes=98), finished_at=now - timedelta(minutes=8)
    )
    SyncRunFactory(integration=integration, flow="customers", status="running", started_at=now - timedelta(minutes=3))
    html = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    assert '<td class="field-duration_display">1 h 30 min</td>' in html
    assert '<td class="field-duration_display">3 min so far</td>' in html


# --------------------------------------------------------------------------- 3. words on run pages
def test_a_run_page_calls_its_notes_progress_and_notes_and_a_success_ok(admin_client, integration):
    run = SyncRunFactory(integration=integration, status="succeeded", message="Listed 3 orders; 1 was up to date.")
    page = admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()
    assert "Progress and notes" in page and "Listed 3 orders; 1 was up to date." in page
    assert ">Error<" not in page and "Error:" not in page
    assert ">OK</b>" in page and "Succeeded" not in page
    listing = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    assert ">OK</b>" in listing


class ShopDownFlow(FakeFlow):
    def changed_since(self, cursor):
        raise RemoteDown("Centra answered 503 Service Unavailable", system="centra")


def test_a_run_that_fails_as_a_whole_says_the_next_run_tries_again_not_that_a_record_is_retried(
    integration, monkeypatch
):
    monkeypatch.setattr(services, "runner_class", lambda flow: ShopDownFlow)
    run = services.flow_run(integration=integration, flow="orders", trigger="manual")
    assert run.status == SyncRun.Status.FAILED
    assert "Centra" in run.message and run.message.endswith("The flow's next run tries again.")
    assert "record will be retried" not in run.message.lower()
