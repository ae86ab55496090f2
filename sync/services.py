from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from config.errors import ApplicationError
from config.storable import storable_text
from integrations.adapters import adapter_name, erp_for, systems_with
from integrations.http import RemoteError
from integrations.models import Connection
from integrations.systems import Role

from . import ports
from .engine import flow_execute, remote_error_message, run_begin, run_fail
from .erp import NumberSeries
from .flows import runner_class
from .followups import followup_enqueue, run_skipped_queue
from .models import (
    DEFAULT_INTERVALS,
    Flow,
    Integration,
    IntegrationFlow,
    NumberSeriesCheck,
    RecordLog,
    SyncRecord,
    SyncRun,
)
from .numberseries import Segment, SeriesUse, assess
from .selectors import flow_is_stale, integration_flows_with_state

logger = logging.getLogger("koppla.sync")


@transaction.atomic
def integration_flows_ensure(*, integration: Integration) -> list[IntegrationFlow]:
    """Give the integration one (disabled) switch per flow it does not have yet."""
    existing = set(integration.flows.values_list("flow", flat=True))
    IntegrationFlow.objects.bulk_create(
        [
            IntegrationFlow(integration=integration, flow=flow, interval_minutes=DEFAULT_INTERVALS[flow])
            for flow in Flow
            if flow not in existing
        ]
    )
    return list(integration.flows.all())


# --------------------------------------------------------------------------- schedules
def schedule_name(integration_flow: IntegrationFlow) -> str:
    return f"koppla:{integration_flow.integration_id}:{integration_flow.flow}"


def integration_flow_schedule_sync(*, integration_flow: IntegrationFlow) -> Schedule | None:
    """Keep the django-q2 schedule of a flow in line with its switch and interval."""
    name = schedule_name(integration_flow)
    active = integration_flow.enabled and integration_flow.integration.is_active
    if not active:
        Schedule.objects.filter(name=name).delete()
        return None
    schedule, created = Schedule.objects.get_or_create(
        name=name,
        defaults={
            "func": "sync.tasks.flow_run_scheduled",
            "args": f"{integration_flow.integration_id}, {integration_flow.flow!r}",
            "schedule_type": Schedule.MINUTES,
            "minutes": integration_flow.interval_minutes,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )
    if not created and schedule.minutes != integration_flow.interval_minutes:
        schedule.minutes = integration_flow.interval_minutes
        schedule.save(update_fields=["minutes"])
    return schedule


def integration_schedules_sync(*, integration: Integration) -> None:
    for integration_flow in integration.flows.select_related("integration"):
        integration_flow_schedule_sync(integration_flow=integration_flow)
    ops_schedules_ensure()


# Checks that watch every integration: name → (task, schedule type).
OPS_SCHEDULES = {
    "koppla:ops:number_series_check": ("sync.tasks.number_series_check_all", Schedule.DAILY),
    "koppla:ops:flows_stale_check": ("sync.tasks.flows_stale_check", Schedule.HOURLY),
    "koppla:ops:refresh_tokens_renew": ("sync.tasks.refresh_tokens_renew", Schedule.DAILY),
}


def ops_schedules_ensure() -> list[Schedule]:
    """Make sure the daily number-series check, the hourly stale-flow check and the daily refresh-token
    renewal are scheduled (idempotent)."""
    schedules = []
    for name, (func, schedule_type) in OPS_SCHEDULES.items():
        schedule, created = Schedule.objects.get_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "repeats": -1, "next_run": timezone.now()},
        )
        if not created and (schedule.func, schedule.schedule_type, schedule.repeats) != (func, schedule_type, -1):
            schedule.func, schedule.schedule_type, schedule.repeats = func, schedule_type, -1
            schedule.save(update_fields=["func", "schedule_type", "repeats"])
        schedules.append(schedule)
    return schedules


@transaction.atomic
def integration_flow_update(*, integration_flow: IntegrationFlow, enabled: bool, interval_minutes: int | None = None):
    integration_flow.enabled = enabled
    if interval_minutes is not None:
        integration_flow.interval_minutes = interval_minutes
    integration_flow.full_clean()
    integration_flow.save(update_fields=["enabled", "interval_minutes", "updated_at"])
    integration_flow_schedule_sync(integration_flow=integration_flow)
    return integration_flow


# --------------------------------------------------------------------------- runs
def flow_run(
    *,
    integration: Integration,
    flow: str,
    trigger: str,
    source_ids: list[str] | None = None,
    requested_by=None,
    dry_run: bool | None = None,
) -> SyncRun:
    """Run a flow now, in this process (tasks call this). Never leaves a run open.

    Ids given while another run holds the lock are queued, not dropped; a run that finishes
    starts a follow-up run for what was queued meanwhile (followups.py).
    """
    run = run_begin(integration=integration, flow=flow, trigger=trigger, requested_by=requested_by, dry_run=dry_run)
    if run.status == SyncRun.Status.SKIPPED:
        if source_ids and trigger != SyncRun.Trigger.FOLLOW_UP:
            run_skipped_queue(run=run, source_ids=source_ids)
        logger.info("Skipped %s for %s: %s", flow, integration, run.message)
        return run
    try:
        runner = runner_class(flow)(integration=integration, run=run, dry_run=run.dry_run)
    except ApplicationError as exc:
        return run_fail(run=run, message=exc.message)
    except Exception as exc:  # the run must not stay "running"
        logger.exception("Could not start %s for %s", flow, integration)
        return run_fail(run=run, message=f"Could not start: {type(exc).__name__}: {exc}")
    run = flow_execute(runner=runner, run=run, source_ids=source_ids)
    followup_enqueue(run=run, handled=source_ids)
    return run


def flow_run_enqueue(
    *,
    integration: Integration,
    flow: str,
    trigger: str,
    source_ids: list[str] | None = None,
    requested_by=None,
) -> None:
    """Queue a run for a q2 worker once the current transaction commits."""
    if not integration.is_active:
        raise ApplicationError(f"{integration} is switched off: switch it on before running flows.")
    integration_flow = IntegrationFlow.objects.get(integration=integration, flow=flow)
    if not integration_flow.enabled and trigger != SyncRun.Trigger.RESYNC:
        raise ApplicationError(
            f"The {integration_flow.get_flow_display()} flow of {integration} is off: switch it on first."
        )

    def enqueue():
        async_task(
            "sync.tasks.flow_run_task",
            integration.pk,
            flow,
            trigger,
            source_ids,
            requested_by.pk if requested_by else None,
            task_name=f"{flow} for {integration.name} ({trigger})"[:100],
            group=f"koppla:{integration.pk}:{flow}",
        )

    transaction.on_commit(enqueue)


@transaction.atomic
def records_resync(*, integration: Integration, flow: str, source_ids: list[str], requested_by=None) -> int:
    """Queue records for another attempt now (fresh retry budget) and start a resync run."""
    ids = sorted(set(source_ids))
    if not ids:
        return 0
    for source_id in ids:
        SyncRecord.objects.update_or_create(
            integration=integration,
            flow=flow,
            source_id=source_id,
            defaults={"status": SyncRecord.Status.QUEUED, "attempts": 0, "next_attempt_at": timezone.now()},
        )
    flow_run_enqueue(
        integration=integration, flow=flow, trigger=SyncRun.Trigger.RESYNC, source_ids=ids, requested_by=requested_by
    )
    return len(ids)


def record_logs_resync(*, logs, requested_by=None) -> int:
    """Resync the records behind the selected log rows, grouped by integration and flow."""
    groups: dict[tuple[int, str], set[str]] = {}
    integrations = {}
    for log in logs.select_related("integration"):
        groups.setdefault((log.integration_id, log.flow), set()).add(log.source_id)
        integrations[log.integration_id] = log.integration
    count = 0
    for (integration_id, flow), ids in groups.items():
        count += records_resync(
            integration=integrations[integration_id], flow=flow, source_ids=list(ids), requested_by=requested_by
        )
    return count


def run_failed_resync(*, run: SyncRun, requested_by=None) -> int:
    """Resync every record that failed in this run and has not succeeded since."""
    failed_ids = set(run.records.filter(status=RecordLog.Status.FAILED).values_list("source_id", flat=True))
    still_failing = SyncRecord.objects.filter(
        integration=run.integration,
        flow=run.flow,
        source_id__in=failed_ids,
        status__in=[SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD],
    ).values_list("source_id", flat=True)
    return records_resync(
        integration=run.integration, flow=run.flow, source_ids=list(still_failing), requested_by=requested_by
    )


# --------------------------------------------------------------------------- operations checks
def flows_stale_check(*, now=None) -> list[IntegrationFlow]:
    """Tell people about every enabled flow that has not started a run for three of its intervals."""
    from .monitoring import flow_stale_notify

    now = now or timezone.now()
    stale = []
    rows = integration_flows_with_state().filter(enabled=True, integration__is_active=True)
    for row in rows.order_by("integration__name", "flow"):
        if flow_is_stale(row, row.last_started_at, now):
            stale.append(row)
            flow_stale_notify(integration_flow=row, last_run_at=row.last_started_at)
    return stale


def _erp_company(connection: Connection) -> str:
    """Which ERP company a connection reaches: the tenant when it is known, else the connection itself."""
    if connection.tenant_id:
        return f"{connection.system}|{connection.base_url.rstrip('/').lower()}|{connection.tenant_id}"
    return f"connection:{connection.pk}"


def _segments(series: NumberSeries) -> tuple[Segment, ...]:
    return tuple(Segment(start=start, end=end, last=last, step=step) for start, end, last, step in series.segments)


def number_series_check_run(*, integration: Integration | None = None) -> list[NumberSeriesCheck]:
    """Read every integration's customer number sequence from its ERP company and store what it shows.

    Checked: integrations whose ERP adapter has the "number_series" capability (sync/ports.py).

    Capacity left (warning below the integration's threshold, error when none
    is left) and overlap with the sequence of another integration on the same
    ERP company (error: customer numbers would collide). With `integration`,
    that integration and the others on its ERP company are checked. People are
    told about every row that is not OK (throttled per problem).
    """
    from .monitoring import number_series_notify

    systems = systems_with(ports.NUMBER_SERIES, role=Role.ERP)
    candidates = list(
        Integration.objects.filter(is_active=True, erp__system__in=systems)
        # A connection nobody has connected yet says so itself; the daily check starts once it is connected.
        .exclude(erp__status=Connection.Status.NEW)
        .select_related("erp")
        .order_by("name")
    )
    if integration is not None:
        if integration.erp.system not in systems:
            names = " or ".join(adapter_name(system, role=Role.ERP) for system in systems)
            raise ApplicationError(
                f"{integration.erp} is {integration.erp.get_system_display()}: only {names} number series are checked."
            )
        company = _erp_company(integration.erp)
        candidates = [i for i in candidates if _erp_company(i.erp) == company and i.pk != integration.pk]
        candidates.insert(0, integration)

    readings: dict[tuple[int, str], NumberSeries | tuple[str, str]] = {}
    erps = {}
    for item in candidates:
        key = (item.erp_id, item.customer_numbering_id)
        if key in readings:
            continue
        erp = erps.get(item.erp_id) or erps.setdefault(item.erp_id, erp_for(item))
        try:
            series = erp.number_series_read(item.customer_numbering_id)
        except RemoteError as exc:
            readings[key] = (
                NumberSeriesCheck.Status.WARNING,
                f"Could not read number sequence '{item.customer_numbering_id}': {remote_error_message(exc)}",
            )
            continue
        if series is None:
            readings[key] = (
                NumberSeriesCheck.Status.ERROR,
                f"{erp.display_name} has no number sequence '{item.customer_numbering_id}': enter the sequence new "
                "customers are numbered from under Integrations › Monitoring",
            )
        else:
            readings[key] = series

    uses, by_owner = [], {}
    for item in candidates:
        reading = readings[(item.erp_id, item.customer_numbering_id)]
        by_owner[item.name] = item
        if isinstance(reading, NumberSeries):
            uses.append(
                SeriesUse(
                    owner=item.name,
                    company=_erp_company(item.erp),
                    numbering_id=item.customer_numbering_id,
                    segments=_segments(reading),
                )
            )
    assessments = {
        a.owner: a for a in assess(uses, warn_below={i.name: i.number_series_warn_below for i in candidates})
    }

    now = timezone.now()
    checks = []
    for item in candidates:
        reading = readings[(item.erp_id, item.customer_numbering_id)]
        fields = {"connection": item.erp, "integration": item, "numbering_id": item.customer_numbering_id}
        if isinstance(reading, NumberSeries):
            found = assessments[item.name]
            fields.update(
                description=storable_text(reading.description, 200),
                start_number=storable_text(found.start)[:30],
                end_number=storable_text(found.end)[:30],
                last_number=storable_text(found.last)[:30],
                remaining=found.remaining,
                overlaps_with=storable_text(", ".join(found.overlaps_with)),
                status=found.status,
                message=storable_text(found.message),
            )
        else:
            fields.update(status=reading[0], message=storable_text(reading[1]))
        checks.append(NumberSeriesCheck.objects.create(checked_at=now, **fields))
    for check in checks:
        if check.status != NumberSeriesCheck.Status.OK:
            number_series_notify(check=check)
    return checks
