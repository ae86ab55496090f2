"""Record logs counted per day without counting a million rows: the daily aggregate (RecordDay) and its reads.

A day (in the site's TIME_ZONE) is *closed* once CLOSE_GRACE has passed after its midnight; a closed day gets
no new logs, so its counts are made once, by `record_days_fill` (one INSERT ... SELECT over that day's range of
`created_at`, on the logs' `recordlog_day_counts` index) the first time a reader asks for it, and read from
RecordDay ever after. Days not closed yet (today, and yesterday during the grace) are counted live over their
time range. Both readers below give exactly what counting the logs would give (tests/sync/test_record_days.py).

Nothing here is called by the sync engine: the aggregate does not depend on how logs are written. A log whose
`created_at` is changed after its day was counted (only tests do that) is not seen again; `record_days_reset`
forgets the counted days so they are made afresh.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from .models import RecordDay, RecordDayFill, RecordLog

CLOSE_GRACE = timedelta(minutes=10)  # a log stamped just before midnight may commit a little after it

# (integration id, flow, status) → number of logs
Counts = Counter


def day_start(day: date) -> datetime:
    """Midnight starting `day` in the current time zone (TIME_ZONE), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def first_open_day(now: datetime) -> date:
    """The first day that is not closed at `now`: days before it are counted once and for all."""
    return timezone.localtime(now - CLOSE_GRACE).date()


_FILL_SQL = """
INSERT INTO {day_table} (integration_id, flow, day, status, count)
SELECT integration_id, flow, %s, status, COUNT(*) FROM {log_table}
WHERE created_at >= %s AND created_at < %s
GROUP BY integration_id, flow, status
"""
_CLAIM_SQL = "INSERT INTO {day_table} (day, filled_at) VALUES (%s, %s) ON CONFLICT (day) DO NOTHING"


def record_days_fill(*, days: Iterable[date], now: datetime | None = None) -> list[date]:
    """Count the logs of each closed day of `days` not counted yet into RecordDay; returns the days counted now.

    Per day one transaction: claim the day in RecordDayFill (INSERT ... ON CONFLICT DO NOTHING: two readers at
    once count it once, the second waits for the first on PostgreSQL and then finds the claim), then one
    INSERT ... SELECT of that day's logs grouped by integration, flow and status. Days not closed at `now` are
    left alone. Works on PostgreSQL and SQLite.
    """
    now = now or timezone.now()
    open_day = first_open_day(now)
    wanted = {day for day in days if day < open_day}
    missing = sorted(wanted - set(RecordDayFill.objects.filter(day__in=wanted).values_list("day", flat=True)))
    ops = connection.ops
    fill_sql = _FILL_SQL.format(
        day_table=connection.ops.quote_name(RecordDay._meta.db_table),
        log_table=connection.ops.quote_name(RecordLog._meta.db_table),
    )
    claim_sql = _CLAIM_SQL.format(day_table=connection.ops.quote_name(RecordDayFill._meta.db_table))
    counted = []
    for day in missing:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(claim_sql, [ops.adapt_datefield_value(day), ops.adapt_datetimefield_value(now)])
            if cursor.rowcount != 1:
                continue  # another reader counted it
            start, end = day_start(day), day_start(day + timedelta(days=1))
            cursor.execute(
                fill_sql,
                [
                    ops.adapt_datefield_value(day),
                    ops.adapt_datetimefield_value(start),
                    ops.adapt_datetimefield_value(end),
                ],
            )
        counted.append(day)
    return counted


def record_days_reset(*, since: date | None = None) -> None:
    """Forget the counted days (from `since` on, else all): the next reader counts them again."""
    days = RecordDayFill.objects.all() if since is None else RecordDayFill.objects.filter(day__gte=since)
    aggregate = RecordDay.objects.all() if since is None else RecordDay.objects.filter(day__gte=since)
    with transaction.atomic():
        aggregate.delete()
        days.delete()


def _live_counts(since: datetime, until: datetime, statuses: list[str]) -> Counts:
    rows = (
        RecordLog.objects.filter(created_at__gte=since, created_at__lt=until, status__in=statuses)
        .order_by()
        .values_list("integration_id", "flow", "status")
        .annotate(n=Count("pk"))
    )
    return Counts({(i, f, s): n for i, f, s, n in rows})


def _day_counts(days: list[date], statuses: list[str]) -> Counts:
    if not days:
        return Counts()
    rows = (
        RecordDay.objects.filter(day__in=days, status__in=statuses)
        .order_by()
        .values_list("integration_id", "flow", "status")
        .annotate(n=Sum("count"))
    )
    return Counts({(i, f, s): n for i, f, s, n in rows})


def record_counts_between(*, since: datetime, until: datetime, statuses: list[str]) -> Counts:
    """Logs created in [since, until) in `statuses`, per (integration id, flow, status): whole closed days from
    RecordDay (counted first if they were not), the rest (the edges of the window, the open days) counted live."""
    first_whole = timezone.localtime(since).date()
    if day_start(first_whole) < since:
        first_whole += timedelta(days=1)
    last_whole = first_open_day(until) - timedelta(days=1)  # it ends before `until`: the open day starts first
    if last_whole < first_whole:
        return _live_counts(since, until, statuses)
    days = [first_whole + timedelta(days=i) for i in range((last_whole - first_whole).days + 1)]
    record_days_fill(days=days, now=until)
    counts = _day_counts(days, statuses)
    counts.update(_live_counts(since, day_start(first_whole), statuses))
    counts.update(_live_counts(day_start(last_whole + timedelta(days=1)), until, statuses))
    return counts


def record_counts_per_day(*, start: date, days: int, now: datetime, statuses: list[str]) -> dict[date, Counter]:
    """Logs per day from `start`, `days` days (up to today), per status: {day: Counter({status: n})}. Closed
    days from RecordDay (counted first if they were not), the open ones counted live over their range."""
    wanted = [start + timedelta(days=i) for i in range(days)]
    open_day = first_open_day(now)
    closed = [day for day in wanted if day < open_day]
    record_days_fill(days=closed, now=now)
    table: dict[date, Counter] = {day: Counter() for day in wanted}
    rows = (
        RecordDay.objects.filter(day__in=closed, status__in=statuses)
        .order_by()
        .values_list("day", "status")
        .annotate(n=Sum("count"))
    )
    for day, status, n in rows:
        table[day][status] = n
    for day in wanted:
        if day >= open_day:
            for (_, _, status), n in _live_counts(day_start(day), day_start(day + timedelta(days=1)), statuses).items():
                table[day][status] += n
    return table
