from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from integrations.models import Connection
from integrations.pauses import clock_now, pause_message, until_text

from .models import Integration, IntegrationFlow, NumberSeriesCheck, RecordLog, SyncRecord, SyncRun
from .record_days import record_counts_between, record_counts_per_day

CREDENTIALS_WARN_DAYS = 7


# A run that did no work: it finished without failing and went through no record (nothing changed, or
# it stopped at once because the remote asked us to wait). It never hides the last run that did work.
NO_WORK = Q(
    status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PAUSED],
    done=0,
    ok_count=0,
    skipped_count=0,
    failed_count=0,
)
NO_WORK_TEXT = {SyncRun.Status.SUCCEEDED: "nothing new", SyncRun.Status.PAUSED: "paused: the remote asked us to wait"}


def integration_preselected(*, query) -> int | None:
    """The integration a form about one integration starts with (mapping import/export, payout import): the one
    the query string names (`?integration=` or a list's filter `?integration__id__exact=`) when it exists,
    else the only integration there is, else None. `query`: request.GET or any mapping of strings."""
    chosen = query.get("integration") or query.get("integration__id__exact")
    if chosen and str(chosen).isdigit() and Integration.objects.filter(pk=chosen).exists():
        return int(chosen)
    only = list(Integration.objects.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def integration_flows_with_state(*, integration: Integration | None = None):
    """IntegrationFlow rows annotated with their last run and the records waiting for action.

    `last_run_*` is the newest run that did something: a Skipped run (another run of the flow held it, e.g.
    *Run now* right after *Switch on*) and a run that did no work (NO_WORK: nothing new, or paused at once)
    are never a flow's last run, so health shows the run that counted. `last_checked_*` is the newest run
    that was not skipped, also one that did no work ("checked 10:55, nothing new").
    `last_started_at` is the newest run of any status (the scheduler is alive), for staleness.
    """
    runs = SyncRun.objects.filter(integration=OuterRef("integration"), flow=OuterRef("flow")).order_by("-created_at")
    checked = runs.exclude(status=SyncRun.Status.SKIPPED)
    last_run = checked.exclude(NO_WORK)
    failing = (
        SyncRecord.objects.filter(
            integration=OuterRef("integration"),
            flow=OuterRef("flow"),
            status__in=[SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD],
        )
        .values("flow")
        .annotate(n=Count("*"))  # COUNT(*): read from the (integration, flow, status, …) index alone
        .values("n")
    )
    queryset = IntegrationFlow.objects.select_related("integration").annotate(
        last_run_id=Subquery(last_run.values("pk")[:1]),
        last_run_status=Subquery(last_run.values("status")[:1]),
        last_run_at=Subquery(last_run.values("created_at")[:1]),
        last_run_started=Subquery(last_run.values("started_at")[:1]),
        last_run_heartbeat_at=Subquery(last_run.values("heartbeat_at")[:1]),
        last_checked_id=Subquery(checked.values("pk")[:1]),
        last_checked_status=Subquery(checked.values("status")[:1]),
        last_checked_at=Subquery(checked.values("created_at")[:1]),
        last_started_at=Subquery(runs.values("created_at")[:1]),
        failing_records=Subquery(failing[:1]),
    )
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    return queryset


def record_counts(*, integration: Integration, flow: str) -> dict[str, int]:
    return dict(
        SyncRecord.objects.filter(integration=integration, flow=flow)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def runs_active():
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING)


def failing_records(*, integration: Integration | None = None):
    queryset = SyncRecord.objects.filter(Q(status=SyncRecord.Status.RETRYING) | Q(status=SyncRecord.Status.DEAD))
    return queryset.filter(integration=integration) if integration else queryset


# --------------------------------------------------------------------------- dashboard
@dataclass
class FlowHealth:
    integration_flow: IntegrationFlow
    last_run: SyncRun | None
    last_check: SyncRun | None = None  # a later run that did no work (nothing new, paused at once)
    ok_24h: int = 0
    failed_24h: int = 0
    ok_7d: int = 0
    failed_7d: int = 0
    waiting: int = 0
    stale: bool = False
    paused_until: datetime | None = None  # a connection the flow calls asked us to wait until then

    @staticmethod
    def _rate(ok: int, failed: int) -> float | None:
        return None if ok + failed == 0 else 100.0 * ok / (ok + failed)

    @property
    def last_run_interrupted(self) -> bool:
        """The last run still says Running but its worker went silent (see heartbeat.run_is_stale)."""
        from .heartbeat import run_is_stale

        return self.last_run is not None and run_is_stale(self.last_run)

    @property
    def last_check_text(self) -> str:
        return NO_WORK_TEXT.get(self.last_check.status, "nothing new") if self.last_check else ""

    @property
    def paused_text(self) -> str:
        return until_text(self.paused_until) if self.paused_until else ""

    @property
    def rate_24h(self) -> float | None:
        return self._rate(self.ok_24h, self.failed_24h)

    @property
    def rate_7d(self) -> float | None:
        return self._rate(self.ok_7d, self.failed_7d)


@dataclass
class Dashboard:
    flows: list[FlowHealth]
    days: list[tuple[date, int, int]]
    warnings: list[str] = field(default_factory=list)


def _record_counts(since: datetime, until: datetime) -> dict[tuple[int, str, str], int]:
    """OK and failed logs created in [since, until) per (integration id, flow, status): closed days from the daily
    aggregate, the rest counted live (sync/record_days.py)."""
    return record_counts_between(since=since, until=until, statuses=[RecordLog.Status.OK, RecordLog.Status.FAILED])


def flow_is_stale(integration_flow: IntegrationFlow, last_run_at: datetime | None, now: datetime) -> bool:
    """An enabled flow that has not started a run for three of its intervals."""
    if not integration_flow.enabled or not integration_flow.integration.is_active:
        return False
    limit = timedelta(minutes=3 * integration_flow.interval_minutes)
    reference = last_run_at or integration_flow.updated_at
    return now - reference > limit


def connections_paused_now(*, now: datetime | None = None) -> list[tuple[Connection, int]]:
    """Connections the remote asked us to wait for, with the records waiting in their integrations' flows."""
    now = now or clock_now()
    result = []
    for connection in Connection.objects.filter(paused_until__gt=now).order_by("paused_until"):
        waiting = SyncRecord.objects.filter(
            Q(integration__shop=connection) | Q(integration__erp=connection), status=SyncRecord.Status.QUEUED
        ).count()
        result.append((connection, waiting))
    return result


def dashboard_build(*, now: datetime | None = None, days: int = 14) -> Dashboard:
    pause_now = now or clock_now()
    now = now or timezone.now()
    paused = connections_paused_now(now=pause_now)
    counts_24h = _record_counts(now - timedelta(hours=24), now)
    counts_7d = _record_counts(now - timedelta(days=7), now)
    # The flows first, then their last runs by primary key: a run table of 100k+ rows is never scanned for them.
    rows = list(integration_flows_with_state().order_by("integration__name", "flow"))
    run_ids = {pk for row in rows for pk in (row.last_run_id, row.last_checked_id) if pk is not None}
    runs = {r.pk: r for r in SyncRun.objects.filter(pk__in=run_ids)} if run_ids else {}
    flows = []
    warnings = []
    for row in rows:
        key = (row.integration_id, row.flow)
        health = FlowHealth(
            integration_flow=row,
            last_run=runs.get(row.last_run_id),
            last_check=runs.get(row.last_checked_id) if row.last_checked_id != row.last_run_id else None,
            ok_24h=counts_24h.get((*key, "ok"), 0),
            failed_24h=counts_24h.get((*key, "failed"), 0),
            ok_7d=counts_7d.get((*key, "ok"), 0),
            failed_7d=counts_7d.get((*key, "failed"), 0),
            waiting=row.failing_records or 0,
            stale=flow_is_stale(row, row.last_started_at, now),
            paused_until=max(
                (c.paused_until for c, _ in paused if c.pk in (row.integration.shop_id, row.integration.erp_id)),
                default=None,
            ),
        )
        if health.stale:
            when = f"since {timezone.localtime(row.last_started_at):%Y-%m-%d %H:%M}" if row.last_started_at else "ever"
            warnings.append(
                f"{row}: no run {when}, though it is scheduled every {row.interval_minutes} min. Is the q2 worker running?"
            )
        if row.enabled or health.last_run or health.last_check or health.waiting:
            flows.append(health)

    for connection, waiting in paused:
        records = f" {waiting} record{'s wait' if waiting != 1 else ' waits'} for it." if waiting else ""
        warnings.append(
            f"Connection {connection.name}: "
            f"{pause_message(system=connection.system, until=connection.paused_until, now=pause_now)}"
            f" ({connection.pause_reason}).{records}"
        )
    for connection in Connection.objects.all():
        if connection.status in (Connection.Status.EXPIRED, Connection.Status.ERROR):
            warnings.append(
                f"Connection {connection.name}: {connection.get_status_display()}. {connection.last_error}".strip()
            )
        if connection.credentials_expire_on:
            left = (connection.credentials_expire_on - timezone.localdate(now)).days
            if left < 0:
                warnings.append(
                    f"Connection {connection.name}: credentials expired on {connection.credentials_expire_on}."
                )
            elif left <= CREDENTIALS_WARN_DAYS:
                warnings.append(
                    f"Connection {connection.name}: credentials expire in {left} day(s), on {connection.credentials_expire_on}."
                )
    for check in number_series_latest().exclude(status=NumberSeriesCheck.Status.OK):
        warnings.append(f"Number series {check.numbering_id} of {check.connection.name}: {check.message}")

    start = timezone.localdate(now) - timedelta(days=days - 1)
    per_day = record_counts_per_day(
        start=start, days=days, now=now, statuses=[RecordLog.Status.OK, RecordLog.Status.FAILED]
    )
    series = [(day, counts["ok"], counts["failed"]) for day, counts in per_day.items()]
    return Dashboard(flows=flows, days=series, warnings=warnings)


def number_series_latest():
    """The newest check of every (connection, numbering)."""
    newest = NumberSeriesCheck.objects.filter(
        connection=OuterRef("connection"), numbering_id=OuterRef("numbering_id")
    ).order_by("-checked_at")
    return NumberSeriesCheck.objects.filter(pk=Subquery(newest.values("pk")[:1])).select_related(
        "connection", "integration"
    )
