"""A run meets the remote's "wait": stop calling, leave the records waiting, say until when.

When a connection of the run's flow is paused (integrations/pauses.py) the run
stops taking records: the record in flight and every id the run was given but
did not reach are queued for the first run after the pause, with their failed
attempts unchanged (a wait is not a failure). The run ends as *paused* with a
message such as "Visma.net asked us to wait until 14:05 UTC (...); 5 records
wait for it". A run that starts during a pause sends nothing and ends the same
way, without a failure notification.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from config.storable import storable_json, storable_text
from integrations.http import ConnectionPaused
from integrations.pauses import clock_now, connections_paused, system_label, until_text

from .flows.base import FlowRunner, SourceItem
from .models import RecordLog, SyncRecord, SyncRun


def flow_pause(runner: FlowRunner) -> ConnectionPaused | None:
    """The pause in force on a connection the runner's flow calls, or None."""
    return connections_paused(connections=runner.connections(), now=clock_now())


def cursor_before(cursors: Iterable[str], boundary: str, fallback: str) -> str:
    """The greatest cursor strictly below `boundary` (else `fallback`): where a stopped run may hand over.

    A run that stops early cannot move its cursor to the newest change it read:
    records with that change marker (or the newest one of the page they came in)
    may not have been reached. Below the marker of the first record not done,
    every record was done, both for records listed in change order (orders)
    and for records that carry their page's newest marker (products, stock).
    """
    below = [c for c in cursors if c and c < boundary]
    return max([fallback, *below]) if below else fallback


class CursorMarks:
    """The cursors of a run's processed records that a pause handover needs, in constant memory.

    Keeps the greatest cursor, the greatest one below it and the last one, not every cursor:
    `before(boundary, fallback)` is `cursor_before` over those three. It is exact when the boundary
    (the cursor of the record in flight, else the greatest) is at or above the greatest cursor, as
    in a listing read in change order; when a record listed twice held the listing's cursor back
    below it, the answer may be lower than the exact one (an earlier processed record's cursor, or
    `fallback`): the next run reads a little more again, never past a record not reached.
    """

    def __init__(self):
        self.top = self.second = self.last = ""

    def seen(self, cursor: str) -> None:
        if not cursor:
            return
        self.last = cursor
        if cursor > self.top:
            self.top, self.second = cursor, self.top
        elif self.second < cursor < self.top:
            self.second = cursor

    def before(self, boundary: str, fallback: str) -> str:
        return cursor_before({self.top, self.second, self.last}, boundary or self.top, fallback)


def _state_wait(*, run: SyncRun, source_id: str, label: str, until, message: str, log: RecordLog | None) -> None:
    previous = (
        SyncRecord.objects.select_for_update()
        .filter(integration=run.integration, flow=run.flow, source_id=source_id)
        .first()
    )
    fields = {"status": SyncRecord.Status.QUEUED, "next_attempt_at": until, "last_error": message}
    if label:
        fields["source_label"] = label[:200]
    if log is not None:
        fields["last_log"] = log
    if previous is None:
        SyncRecord.objects.create(integration=run.integration, flow=run.flow, source_id=source_id, attempts=0, **fields)
    else:  # `attempts` (failures in a row) stays as it was
        SyncRecord.objects.filter(pk=previous.pk).update(**fields)


def records_wait(
    *,
    run: SyncRun,
    pause: ConnectionPaused,
    source_ids: Iterable[str],
    in_flight: SourceItem | None = None,
    calls: list | None = None,
) -> int:
    """Queue records for the first run after the pause; returns how many wait.

    The record in flight gets a log (status waiting) with the calls it made;
    none counts as a failed attempt.
    """
    message = (
        f"{system_label(pause.system)} asked us to wait until {until_text(pause.until)}: this record waits "
        "for it (not a failed attempt) and is picked up by the first run after that."
    )
    count = 0
    with transaction.atomic():
        if in_flight is not None:
            previous = SyncRecord.objects.filter(
                integration=run.integration, flow=run.flow, source_id=in_flight.source_id
            ).first()
            log = RecordLog.objects.create(
                run=run,
                integration=run.integration,
                flow=run.flow,
                source_id=in_flight.source_id,
                source_label=in_flight.label[:200],
                status=RecordLog.Status.WAITING,
                attempt=(previous.attempts if previous else 0) + 1,
                calls=storable_json(calls or []),
                response=storable_json(pause.body),
                error=storable_text(f"{message} ({pause.reason or pause.message})"),
                next_attempt_at=pause.until,
            )
            _state_wait(
                run=run,
                source_id=in_flight.source_id,
                label=in_flight.label,
                until=pause.until,
                message=message,
                log=log,
            )
            count += 1
        for source_id in source_ids:
            if in_flight is not None and source_id == in_flight.source_id:
                continue
            _state_wait(run=run, source_id=source_id, label="", until=pause.until, message=message, log=None)
            count += 1
    return count


def run_pause_stop(*, run: SyncRun, pause: ConnectionPaused, cursor_to: str, notes: Iterable[str] = ()) -> SyncRun:
    """End a run that the remote's wait stopped (or never let start): status paused, no notification."""
    run.refresh_from_db()
    who = system_label(pause.system)
    why = f" ({pause.reason})" if pause.reason else ""
    queued = SyncRecord.objects.filter(
        integration=run.integration, flow=run.flow, status=SyncRecord.Status.QUEUED
    ).count()
    if run.done:
        done = f"; the run stopped after {run.done} record{'s' if run.done != 1 else ''}"
    else:
        done = "; the run sent nothing"
    waits = f"; {queued} record{'s wait' if queued != 1 else ' waits'} for it" if queued else ""
    message = (
        f"{who} asked us to wait until {until_text(pause.until)}{why}{done}{waits}. "
        f"Records not reached are picked up by the first run after {until_text(pause.until)}."
    )
    run.status = SyncRun.Status.PAUSED
    run.finished_at = timezone.now()
    run.cursor_to = cursor_to
    run.total = max(run.total, run.done)
    run.message = "\n".join([message, *notes])
    run.save(update_fields=["status", "finished_at", "cursor_to", "total", "message", "updated_at"])
    return run
