from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from config.errors import ApplicationError

from .engine import flow_execute, run_begin, run_fail
from .flows import runner_class
from .models import DEFAULT_INTERVALS, Flow, Integration, IntegrationFlow, RecordLog, SyncRecord, SyncRun

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
    """Run a flow now, in this process (tasks call this). Never leaves a run open."""
    run = run_begin(integration=integration, flow=flow, trigger=trigger, requested_by=requested_by, dry_run=dry_run)
    if run.status == SyncRun.Status.SKIPPED:
        logger.info("Skipped %s for %s: %s", flow, integration, run.message)
        return run
    try:
        runner = runner_class(flow)(integration=integration, run=run, dry_run=run.dry_run)
    except ApplicationError as exc:
        return run_fail(run=run, message=exc.message)
    except Exception as exc:  # the run must not stay "running"
        logger.exception("Could not start %s for %s", flow, integration)
        return run_fail(run=run, message=f"Could not start: {type(exc).__name__}: {exc}")
    return flow_execute(runner=runner, run=run, source_ids=source_ids)


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
