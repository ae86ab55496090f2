"""Records that arrive while another run holds the flow's lock wait as QUEUED, and a follow-up run takes them.

- A run of given ids (webhook, resync) that finds the lock taken queues its ids (`records_queue`)
  instead of dropping them until the next schedule.
- A run that finishes (succeeded or partial) and finds records queued while it held the lock, or
  queued records it was not given, enqueues one follow-up run for them (`followup_enqueue`, after
  commit). The follow-up task reads the queued ids when it starts (`flow_followup_run`).
- It cannot loop: a follow-up is only started for records queued after the finishing run began, or
  not among its ids; every record a run processes leaves QUEUED; a failed run starts none (the
  schedule takes its queued records, as every full run takes the due and queued ones); a skipped
  follow-up queues nothing (its records are queued already).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import ApplicationError

from .models import Integration, SyncRecord, SyncRun

logger = logging.getLogger("koppla.sync")

# At most this many records per follow-up run; the rest go to the next one.
FOLLOWUP_BATCH = 500


@transaction.atomic
def records_queue(*, integration: Integration, flow: str, source_ids: list[str]) -> int:
    """Mark records QUEUED for the next run (now due), keeping their history.

    A record seen before keeps its label, target, last error, last log and its count of failed
    attempts (a resync resets that count; a queued delivery does not).
    """
    ids = sorted({str(s)[:100] for s in source_ids if str(s)})
    now = timezone.now()
    for source_id in ids:
        SyncRecord.objects.update_or_create(
            integration=integration,
            flow=flow,
            source_id=source_id,
            defaults={"status": SyncRecord.Status.QUEUED, "next_attempt_at": now},
        )
    return len(ids)


def run_skipped_queue(*, run: SyncRun, source_ids: list[str]) -> int:
    """A run of given ids found the lock taken: queue its ids and say so on the skipped run."""
    count = records_queue(integration=run.integration, flow=run.flow, source_ids=source_ids)
    run.message = (
        f"{run.message.removesuffix(': this one was skipped.')}: its {count} record(s) are queued; a follow-up "
        "run takes them as soon as it finishes."
    )
    run.save(update_fields=["message", "updated_at"])
    if not SyncRun.objects.filter(integration=run.integration, flow=run.flow, status=SyncRun.Status.RUNNING).exists():
        # The run holding the lock finished while we queued: it may not have seen them.
        followup_enqueue(run=run)
    return count


def _queued_for(run: SyncRun, handled: list[str] | None):
    queued = SyncRecord.objects.filter(integration=run.integration, flow=run.flow, status=SyncRecord.Status.QUEUED)
    since = run.started_at or run.created_at
    if handled is None:
        return queued.filter(updated_at__gte=since)
    return queued.filter(Q(updated_at__gte=since) | ~Q(source_id__in=handled))


def followup_enqueue(*, run: SyncRun, handled: list[str] | None = None) -> bool:
    """After `run`: enqueue a follow-up run when records were queued meanwhile (see the module's rules).

    `handled` is the run's own ids (None for a full run). True when a follow-up was enqueued.
    """
    if run.status not in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL, SyncRun.Status.SKIPPED):
        return False
    if run.status == SyncRun.Status.SKIPPED and run.trigger == SyncRun.Trigger.FOLLOW_UP:
        return False
    if not _queued_for(run, handled).exists():
        return False
    integration = run.integration
    if not integration.is_active:
        return False

    def enqueue():
        from django_q.tasks import async_task

        async_task(
            "sync.tasks.flow_followup_task",
            integration.pk,
            run.flow,
            task_name=f"{run.flow} for {integration.name} (follow-up)"[:100],
            group=f"koppla:{integration.pk}:{run.flow}",
        )

    transaction.on_commit(enqueue)
    return True


def flow_followup_run(*, integration: Integration, flow: str) -> SyncRun | None:
    """The follow-up run: the flow's queued records, read now (None when nothing is queued any more)."""
    from .services import flow_run

    ids = list(
        SyncRecord.objects.filter(integration=integration, flow=flow, status=SyncRecord.Status.QUEUED)
        .order_by("updated_at", "pk")
        .values_list("source_id", flat=True)[:FOLLOWUP_BATCH]
    )
    if not ids or not integration.is_active:
        return None
    try:
        return flow_run(integration=integration, flow=flow, trigger=SyncRun.Trigger.FOLLOW_UP, source_ids=ids)
    except ApplicationError as exc:
        logger.info("Follow-up of %s for %s not run: %s", flow, integration, exc.message)
        return None
