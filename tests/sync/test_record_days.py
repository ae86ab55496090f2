"""The daily aggregate of record logs (sync/record_days.py): each closed day counted once, and the dashboard's
figures equal to counting the logs themselves."""

from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sync.models import RecordDay, RecordDayFill, RecordLog
from sync.record_days import (
    CLOSE_GRACE,
    day_start,
    first_open_day,
    record_counts_between,
    record_counts_per_day,
    record_days_fill,
)
from sync.selectors import dashboard_build
from tests.factories import IntegrationFactory, RecordLogFactory, SyncRunFactory

pytestmark = pytest.mark.django_db

STATUSES = ["ok", "failed", "skipped", "waiting"]


def log_at(run, when, status="ok"):
    log = RecordLogFactory(run=run, status=status)
    RecordLog.objects.filter(pk=log.pk).update(created_at=when)
    return log


@pytest.fixture
def now():
    """Mid-afternoon today in the site's time zone: every day before today is closed."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(15, 30)))


@pytest.fixture
def spread(now):
    """Logs of two integrations and two flows over 16 days, several per day in every status, some of them
    a second either side of midnight (local time) and some in the last minutes of a day."""
    runs = [
        SyncRunFactory(integration=integration, flow=flow)
        for integration in (IntegrationFactory(), IntegrationFactory())
        for flow in ("orders", "customers")
    ]
    today = timezone.localdate(now)
    n = 0
    for back in range(16):
        day = today - timedelta(days=back)
        moments = [day_start(day) + timedelta(seconds=s) for s in (0, 1, 3600 * 9 + 17, 86399)]
        for i, when in enumerate(moments):
            if when >= now:
                continue
            for j in range(1 + (back + i) % 3):
                log_at(runs[(back + i + j) % len(runs)], when, STATUSES[(back * 7 + i + j) % len(STATUSES)])
                n += 1
    assert n > 100
    return runs


def live_per_day(start, days, statuses=("ok", "failed")):
    """What counting the logs gives: per local day, per status."""
    table = {start + timedelta(days=i): Counter() for i in range(days)}
    for created_at, status in RecordLog.objects.filter(status__in=statuses).values_list("created_at", "status"):
        day = timezone.localtime(created_at).date()
        if day in table:
            table[day][status] += 1
    return table


def live_between(since, until, statuses=("ok", "failed")):
    rows = RecordLog.objects.filter(created_at__gte=since, created_at__lt=until, status__in=statuses)
    return Counter(rows.values_list("integration_id", "flow", "status"))


def test_each_closed_day_is_counted_once_with_the_logs_counts(spread, now):
    today = timezone.localdate(now)
    days = [today - timedelta(days=i) for i in range(1, 15)]

    assert sorted(record_days_fill(days=days, now=now)) == sorted(days)
    assert record_days_fill(days=days, now=now) == []  # counted already: nothing again
    assert set(RecordDayFill.objects.values_list("day", flat=True)) == set(days)

    for day in days:
        stored = Counter(
            {
                (i, f, s): n
                for i, f, s, n in RecordDay.objects.filter(day=day).values_list(
                    "integration_id", "flow", "status", "count"
                )
            }
        )
        assert stored == live_between(day_start(day), day_start(day + timedelta(days=1)), STATUSES)
        assert sum(stored.values()) > 0
    # One row per (day, integration, flow, status): counting twice would have failed on recordday_unique.
    assert RecordDay.objects.count() == len(set(RecordDay.objects.values_list("day", "integration", "flow", "status")))


def test_a_day_without_logs_is_counted_once_too_and_open_days_never(now):
    today = timezone.localdate(now)
    empty = today - timedelta(days=40)
    assert record_days_fill(days=[empty, today], now=now) == [empty]
    assert not RecordDay.objects.exists()
    with CaptureQueriesContext(connection) as captured:
        assert record_days_fill(days=[empty, today], now=now) == []
    assert not any("INSERT" in q["sql"] for q in captured.captured_queries)


def test_yesterday_stays_open_for_the_grace_after_midnight(now):
    today = timezone.localdate(now)
    just_after = day_start(today) + CLOSE_GRACE - timedelta(seconds=1)
    assert first_open_day(just_after) == today - timedelta(days=1)
    assert first_open_day(day_start(today) + CLOSE_GRACE) == today
    run = SyncRunFactory()
    log_at(run, day_start(today) - timedelta(seconds=5))
    assert record_days_fill(days=[today - timedelta(days=1)], now=just_after) == []
    # Read live meanwhile: the log is in yesterday's bar.
    table = record_counts_per_day(start=today - timedelta(days=1), days=2, now=just_after, statuses=["ok"])
    assert table[today - timedelta(days=1)]["ok"] == 1 and not RecordDayFill.objects.exists()


def test_a_day_claimed_by_another_reader_is_not_counted_again(spread, now):
    """The claim (RecordDayFill, INSERT ... ON CONFLICT DO NOTHING) is what keeps two readers from counting a
    day twice: a day already claimed gets no RecordDay rows from this reader."""
    day = timezone.localdate(now) - timedelta(days=2)
    RecordDayFill.objects.create(day=day, filled_at=now)
    assert record_days_fill(days=[day], now=now) == []
    assert not RecordDay.objects.filter(day=day).exists()


def test_the_chart_equals_a_live_count_of_the_logs(spread, now):
    start = timezone.localdate(now) - timedelta(days=13)
    expected = live_per_day(start, 14)
    assert sum(sum(c.values()) for c in expected.values()) > 50

    for _ in range(2):  # the first build counts the closed days, the second reads them
        dashboard = dashboard_build(now=now)
        assert [(day, ok, failed) for day, ok, failed in dashboard.days] == [
            (day, expected[day]["ok"], expected[day]["failed"]) for day in sorted(expected)
        ]
    assert RecordDayFill.objects.count() >= 13


def test_the_24_hour_and_7_day_counts_equal_a_live_count(spread, now):
    for window in (timedelta(hours=24), timedelta(days=7), timedelta(days=10, hours=3)):
        since = now - window
        assert record_counts_between(since=since, until=now, statuses=["ok", "failed"]) == live_between(since, now)

    dashboard = dashboard_build(now=now)
    day7 = live_between(now - timedelta(days=7), now)
    day1 = live_between(now - timedelta(hours=24), now)
    for health in dashboard.flows:
        key = (health.integration_flow.integration_id, health.integration_flow.flow)
        assert (health.ok_7d, health.failed_7d) == (day7[(*key, "ok")], day7[(*key, "failed")])
        assert (health.ok_24h, health.failed_24h) == (day1[(*key, "ok")], day1[(*key, "failed")])


def test_a_window_starting_at_midnight_reads_its_whole_days_from_the_aggregate(spread, now):
    """[midnight 5 days ago, midnight today): five whole closed days, no live edge; each counted once."""
    today = timezone.localdate(now)
    since, until = day_start(today - timedelta(days=5)), day_start(today) + CLOSE_GRACE
    assert record_counts_between(since=since, until=until, statuses=STATUSES) == live_between(since, until, STATUSES)
    assert set(RecordDayFill.objects.values_list("day", flat=True)) == {today - timedelta(days=i) for i in range(1, 6)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_readers_at_once_count_a_day_once():
    """Two dashboards at the same moment, each in its own connection, ask for the same closed day: the claim
    (INSERT ... ON CONFLICT DO NOTHING) makes the second wait for the first and then count nothing."""
    import threading

    from django.db import connections

    now = timezone.make_aware(datetime.combine(timezone.localdate(), time(15, 30)))
    day = timezone.localdate(now) - timedelta(days=3)
    run = SyncRunFactory()
    for i in range(5):
        log_at(run, day_start(day) + timedelta(hours=i), "ok" if i % 2 else "failed")
    barrier = threading.Barrier(2)
    counted = []

    def reader():
        try:
            barrier.wait()
            counted.append(record_days_fill(days=[day], now=now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counted) == [[], [day]]
    assert dict(RecordDay.objects.filter(day=day).values_list("status", "count")) == {"ok": 2, "failed": 3}
