"""What the admin's bulk actions do with one chunk of selected rows (see sync/bulk.py).

Each handler is `fn(*, queryset, requested_by) -> ChunkResult`: `queryset` holds
at most CHUNK_SIZE rows of the action's model; errors the user can act on come
back as sentences in `problems`, one group or row at a time, never stopping the rest.
"""

from __future__ import annotations

from django.contrib.admin.models import DELETION, LogEntry
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from config.errors import ApplicationError

from .bulk import ChunkResult
from .models import SyncRun
from .services import flow_run_enqueue, records_resync, run_failed_resync


def _resync_groups(groups: dict, integrations: dict, requested_by) -> ChunkResult:
    result = ChunkResult()
    for (integration_id, flow), ids in groups.items():
        try:
            result.count += records_resync(
                integration=integrations[integration_id], flow=flow, source_ids=list(ids), requested_by=requested_by
            )
        except ApplicationError as exc:
            result.problems.append(f"{len(ids)} record(s) not queued: {exc.message}")
    return result


def sync_records_resync(*, queryset, requested_by=None) -> ChunkResult:
    """Records (SyncRecord): queue each for another attempt; one resync run per integration and flow."""
    groups: dict = {}
    integrations = {}
    for record in queryset.select_related("integration"):
        groups.setdefault((record.integration_id, record.flow), set()).add(record.source_id)
        integrations[record.integration_id] = record.integration
    return _resync_groups(groups, integrations, requested_by)


def record_logs_resync(*, queryset, requested_by=None) -> ChunkResult:
    """Record log rows: resync the records behind them (a record logged twice is queued once per chunk)."""
    groups: dict = {}
    integrations = {}
    for log in queryset.select_related("integration"):
        groups.setdefault((log.integration_id, log.flow), set()).add(log.source_id)
        integrations[log.integration_id] = log.integration
    return _resync_groups(groups, integrations, requested_by)


def runs_failed_resync(*, queryset, requested_by=None) -> ChunkResult:
    """Sync runs: resync every record that failed in the run and has not succeeded since."""
    result = ChunkResult()
    for run in queryset.select_related("integration"):
        try:
            result.count += run_failed_resync(run=run, requested_by=requested_by)
        except ApplicationError as exc:
            result.problems.append(f"Run #{run.pk}: {exc.message}")
    return result


def flows_run_now(*, queryset, requested_by=None) -> ChunkResult:
    """Flow switches (IntegrationFlow): queue a manual run of each."""
    result = ChunkResult()
    for integration_flow in queryset.select_related("integration"):
        try:
            flow_run_enqueue(
                integration=integration_flow.integration,
                flow=integration_flow.flow,
                trigger=SyncRun.Trigger.MANUAL,
                requested_by=requested_by,
            )
        except ApplicationError as exc:
            result.problems.append(exc.message)
        else:
            result.count += 1
    return result


def objects_delete(*, queryset, requested_by=None) -> ChunkResult:
    """Delete the rows (and what cascades from them), logged in the admin's history like Django's delete.

    A chunk that other rows protect is deleted row by row: the protected rows
    stay, each named in a problem sentence.
    """
    rows = list(queryset)
    try:
        with transaction.atomic():
            _delete(queryset.model._default_manager.filter(pk__in=[r.pk for r in rows]), rows, requested_by)
        return ChunkResult(count=len(rows))
    except (ProtectedError, RestrictedError):
        pass
    result = ChunkResult()
    for row in rows:
        try:
            with transaction.atomic():
                _delete(queryset.model._default_manager.filter(pk=row.pk), [row], requested_by)
        except (ProtectedError, RestrictedError) as exc:
            blockers = {obj._meta.verbose_name_plural for obj in exc.args[1]} if len(exc.args) > 1 else set()
            result.problems.append(
                f"{row} was not deleted: other rows refer to it ({', '.join(sorted(blockers)) or 'protected'})."
            )
        else:
            result.count += 1
    return result


def _delete(queryset, rows, requested_by) -> None:
    if requested_by is not None:
        LogEntry.objects.log_actions(
            user_id=requested_by.pk, queryset=rows, action_flag=DELETION, single_object=len(rows) == 1
        )
    queryset.delete()
