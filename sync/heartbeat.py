"""A run's lock lives by its heartbeat.

The lock of a flow is its one running SyncRun (engine.run_begin). While the worker running
it is alive, a small daemon thread bumps `heartbeat_at` every SYNC_HEARTBEAT_SECONDS (30 s),
also while one slow record is being processed, with its own database connection. A run
silent for SYNC_RUN_STALE_SECONDS (180 s) is dead: the next `run_begin` of its flow, the demo's
start and every task the q2 worker starts close it (`runs_interrupted_close`) as failed with the note
"Interrupted: the worker stopped at HH:MM …", and the record it had in flight (`current_source_id`) gets a failed log and a
retrying state, so it is retried, and looked up before anything is created.

The run's counters (done, ok, skipped, failed) are kept in memory by `RunTally` and written with
the in-flight mark of the next record (one UPDATE a record, which also beats) and once more when
the run ends; a takeover counts them again from the run's logs, so a worker that died between a
record's log and the next mark leaves exact figures too.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from .models import RecordLog, SyncRecord, SyncRun

logger = logging.getLogger("koppla.sync")

IN_FLIGHT_ERROR = (
    "The worker processing this record stopped (run #{run} sent no heartbeat for {seconds} s) before it recorded "
    "what happened. It is retried; the retry looks up what may have been created before creating anything."
)


def stale_after() -> timedelta:
    """How long a running run may stay silent before the next run takes its lock over."""
    return timedelta(seconds=float(getattr(settings, "SYNC_RUN_STALE_SECONDS", 180)))


def heartbeat_every() -> float:
    """Seconds between heartbeats: the setting, but at most a third of the stale limit; 0 = no thread."""
    every = float(getattr(settings, "SYNC_HEARTBEAT_SECONDS", 30))
    if every <= 0:
        return 0.0
    return min(every, stale_after().total_seconds() / 3)


class RunHeartbeat:
    """Beats for one run from a daemon thread until `stop()`; `lost` is set when the run was taken over."""

    def __init__(self, run_id: int, *, every: float | None = None):
        self.run_id = run_id
        self.every = heartbeat_every() if every is None else every
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> RunHeartbeat:
        if self.every > 0:
            self._thread = threading.Thread(target=self._loop, name=f"koppla-run-{self.run_id}-heartbeat", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.every):
                if not self.beat():
                    self.lost.set()
                    return
        finally:
            connections.close_all()  # this thread's own connections only

    def beat(self) -> bool:
        """One heartbeat now. False when the run is no longer running (taken over or closed)."""
        try:
            if SyncRun.objects.filter(pk=self.run_id, status=SyncRun.Status.RUNNING).update(
                heartbeat_at=timezone.now()
            ):
                return True
            # Not updated: closed by someone else, or not visible yet (started inside an open transaction).
            return not SyncRun.objects.filter(pk=self.run_id).exclude(status=SyncRun.Status.RUNNING).exists()
        except DatabaseError as exc:
            logger.warning("Heartbeat of run %s failed (retried at the next beat): %s", self.run_id, exc)
            connections.close_all()
            return True


class RunTakenOver(Exception):
    """The run was closed by another run (it was silent too long): its worker stops at once."""


class RunTally:
    """A running run's counters, kept in memory and written with each record's in-flight mark.

    `record_begin(source_id)` is one UPDATE: the record now in flight (`current_source_id`, what a
    takeover logs), the heartbeat, and the counters of every record finished before it. It raises
    RunTakenOver when the run is no longer running. `counted(status)` counts a stored log;
    `flush()` writes the counters once the last record is done (before the run is closed).
    `total` is the planned number of records, None while it is not known (it then grows with done).
    """

    COUNTERS = {RecordLog.Status.FAILED: "failed_count", RecordLog.Status.SKIPPED: "skipped_count"}

    def __init__(self, run: SyncRun, *, total: int | None = None):
        self.run = run
        self.total = total
        self.counts = {"done": run.done, "ok_count": run.ok_count, "skipped_count": run.skipped_count}
        self.counts["failed_count"] = run.failed_count

    def counted(self, status: str) -> None:
        self.counts["done"] += 1
        counter = self.COUNTERS.get(status, "ok_count")  # ok and dry_run
        self.counts[counter] += 1

    def _fields(self) -> dict:
        done = self.counts["done"]
        total = Greatest(F("total"), done) if self.total is None else max(self.total, done)
        return {**self.counts, "total": total, "heartbeat_at": timezone.now()}

    def record_begin(self, source_id: str) -> None:
        running = SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING)
        if not running.update(current_source_id=source_id[:100], **self._fields()):
            raise RunTakenOver(f"Run #{self.run.pk} was taken over by another run; it stopped before {source_id}.")

    def flush(self) -> None:
        SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(**self._fields())


def run_counters_recount(*, run: SyncRun) -> None:
    """Set the run's counters from its logs (a waiting log is no attempt): after a takeover, whatever the
    dead worker had written last."""
    counts = dict.fromkeys(["ok_count", "skipped_count", "failed_count"], 0)
    for status, number in (
        RecordLog.objects.filter(run=run)
        .exclude(status=RecordLog.Status.WAITING)
        .order_by()
        .values_list("status")
        .annotate(number=Count("pk"))
    ):
        counts[RunTally.COUNTERS.get(status, "ok_count")] += number
    done = sum(counts.values())
    SyncRun.objects.filter(pk=run.pk).update(done=done, total=Greatest(F("total"), done), **counts)


INTERRUPTED = (
    "Interrupted: the worker stopped at {stopped} ({why}); records not finished will be picked up by the next run."
)
SILENT = "no heartbeat for {seconds} s, limit {limit} s"
DEMO_STOPPED = "the demo was stopped while it ran; no worker was running at the demo's next start"


def run_is_stale(run: SyncRun, *, now=None) -> bool:
    """A run still marked running whose worker has been silent for longer than `stale_after()`: it is dead."""
    if run.status != SyncRun.Status.RUNNING:
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return last_sign is not None and (now or timezone.now()) - last_sign > stale_after()


def stale_runs(*, silent_for: timedelta | None = None):
    """Running runs whose worker sent no heartbeat for `silent_for` (default `stale_after()`): dead, whatever
    their status says."""
    limit = timezone.now() - (stale_after() if silent_for is None else silent_for)
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    )


def runs_take_over(*, integration, flow: str) -> list[SyncRun]:
    """Close the flow's running runs that sent no heartbeat for `stale_after()`; log their in-flight record."""
    return _runs_close(stale_runs().filter(integration=integration, flow=flow), why="taken over by the next run")


def runs_interrupted_close(*, no_worker_running: bool = False) -> list[SyncRun]:
    """Close every run whose worker died (no heartbeat for `stale_after()`), of any flow.

    Called where a worker starts (the demo command, every task of the q2 worker) so that a run stopped
    mid-way (Ctrl-C, a killed worker) is shown as interrupted at once, not as running until its flow's
    next run takes it over. `no_worker_running`: the caller knows no worker of this database is running
    (the demo's start, before it starts its own worker), so every run still marked running is closed,
    also one whose worker beat seconds before the demo was stopped.
    """
    if no_worker_running:
        return _runs_close(stale_runs(silent_for=timedelta(0)), why="closed at the demo's start", demo=True)
    return _runs_close(stale_runs(), why="closed at the worker's start")


def _runs_close(stale, *, why: str, demo: bool = False) -> list[SyncRun]:
    """Each stale run is claimed with one conditional update (still running, heartbeat unchanged), so of
    two workers closing it at once only one does, and a run that beat meanwhile is left alone."""
    now = timezone.now()
    taken = []
    for run in stale.select_related("integration"):
        last_sign = run.heartbeat_at or run.started_at
        seconds = int((now - last_sign).total_seconds())
        in_flight = run.current_source_id
        silent = SILENT.format(seconds=seconds, limit=int(stale_after().total_seconds()))
        message = INTERRUPTED.format(
            stopped=f"{timezone.localtime(last_sign):%H:%M}", why=DEMO_STOPPED if demo else silent
        )
        if in_flight:
            message += f" Record {in_flight} was being processed: it got a failed log and is retried."
        with transaction.atomic():
            claimed = SyncRun.objects.filter(
                pk=run.pk, status=SyncRun.Status.RUNNING, heartbeat_at=run.heartbeat_at
            ).update(status=SyncRun.Status.FAILED, finished_at=now, message=message, current_source_id="")
            if not claimed:
                continue
            if in_flight and not RecordLog.objects.filter(run=run, source_id=in_flight).exists():
                _in_flight_record_fail(run=run, source_id=in_flight, seconds=seconds)
            run_counters_recount(run=run)
        logger.warning("Run %s of %s %s: %s", run, run.integration, why, message)
        taken.append(run)
    return taken


def _in_flight_record_fail(*, run: SyncRun, source_id: str, seconds: int) -> RecordLog:
    from .engine import _failure_state
    from .monitoring import dead_letter_notify

    previous = (
        SyncRecord.objects.select_for_update()
        .filter(integration=run.integration_id, flow=run.flow, source_id=source_id)
        .first()
    )
    attempt = (previous.attempts if previous else 0) + 1
    status, next_at = _failure_state(attempt)
    error = IN_FLIGHT_ERROR.format(run=run.pk, seconds=seconds)
    label = previous.source_label if previous and previous.source_label else source_id
    log = RecordLog.objects.create(
        run=run,
        integration_id=run.integration_id,
        flow=run.flow,
        source_id=source_id,
        source_label=label[:200],
        status=RecordLog.Status.FAILED,
        attempt=attempt,
        error=error,
        next_attempt_at=next_at,
    )
    state, _ = SyncRecord.objects.update_or_create(
        integration_id=run.integration_id,
        flow=run.flow,
        source_id=source_id,
        defaults={
            "source_label": label[:200],
            "status": status,
            "attempts": attempt,
            "next_attempt_at": next_at,
            "last_error": error,
            "last_log": log,
        },
    )
    if status == SyncRecord.Status.DEAD:
        dead_letter_notify(record=state)
    return log
