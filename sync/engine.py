"""The sync engine: runs a flow over its records with a lock, per-record logs and retries.

- One active run per (integration, flow): a partial unique index on SyncRun
  (status = running) is the lock; a run that cannot take it is recorded as
  skipped. The lock lives by a heartbeat (heartbeat.py): a run whose worker
  died is taken over within minutes and its in-flight record gets a log.
- Only full runs (reading the flow's listing) move the cursor the next full run
  reads from; runs of given ids (webhook, resync, follow-up) never do. The
  cursor moves past what was processed, never past a record not reached.
- Every record gets a RecordLog per attempt (payload, redacted remote calls,
  result, a readable error) and a SyncRecord with its current state, written
  by sync/recording.py in one transaction: cleaned of what a database cannot
  store, and replaced by a minimal failed log if the details still cannot be
  written. Whatever happens to one record (reading, processing, storing) fails
  that record only.
- The engine's own database work per record is constant: one UPDATE of the run
  marking the record in flight (with the counters of the records before it,
  heartbeat.RunTally), the log's INSERT and the state's upsert; the states of
  a page are read in one query (recording.RecordStates).
- Memory stays flat whatever the run's size: pages are streamed, and a run keeps
  only the ids it was given or that are due for a retry, and three cursors for
  a pause's handover (pauses.CursorMarks), never a list of what it did.
- A failed record is retried by later runs with growing delays, then left as a
  dead letter until someone resyncs it.
- Remote calls are never made inside a database transaction; flows commit
  each ExternalRef right after the remote create.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.storable import storable_text
from integrations.http import (
    AuthError,
    ConfigurationError,
    ConnectionPaused,
    NotFound,
    RateLimited,
    RemoteDown,
    RemoteError,
    record_calls,
)
from integrations.systems import system_label

from .flows.base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .flows.paging import PAGE_SIZE, chunks
from .heartbeat import RunHeartbeat, RunTakenOver, RunTally, runs_take_over
from .models import Integration, RecordLog, SyncRecord, SyncRun
from .pauses import CursorMarks, flow_pause, records_wait, run_pause_stop
from .record_names import record_name_of_key
from .recording import RecordAttempt, RecordStates, record_store
from .run_progress import ListingProgress

logger = logging.getLogger("koppla.sync")


def max_attempts() -> int:
    return int(getattr(settings, "SYNC_MAX_ATTEMPTS", 5))


def retry_delay(attempt: int) -> timedelta:
    """Delay before the next automatic attempt after `attempt` failed ones."""
    minutes = getattr(settings, "SYNC_RETRY_MINUTES", (2, 10, 30, 120))
    return timedelta(minutes=minutes[min(attempt, len(minutes)) - 1])


# --------------------------------------------------------------------------- messages
RECORD_RETRIED = "The record will be retried."
RUN_RETRIED = "The flow's next run tries again."


def remote_error_message(exc: RemoteError, *, then: str = RECORD_RETRIED) -> str:
    """A remote failure in words an operations person can act on; `then` says what happens next for a passing
    failure (a record's: it is retried; a whole run's: RUN_RETRIED)."""
    who = system_label(exc.system)
    message = exc.message.rstrip(". ")  # it is followed by sentences of our own
    if isinstance(exc, AuthError):
        return f"{who} refused our credentials: {message}. Reconnect or fix the connection in Connections."
    if isinstance(exc, RateLimited):
        wait = f" for {exc.retry_after:.0f} s" if exc.retry_after else ""
        return f"{who} asked us to slow down{wait}: {message}. {then}"
    if isinstance(exc, RemoteDown):
        maybe = (
            " The request may have arrived; the retry looks it up before creating anything." if exc.maybe_sent else ""
        )
        return f"{who} did not answer properly: {message}.{maybe} {then}"
    if isinstance(exc, NotFound):
        return f"{who} does not know it: {message}."
    if isinstance(exc, ConfigurationError):
        return exc.message
    return f"{who} refused it: {exc.message}"


# --------------------------------------------------------------------------- runs
# Runs of given ids: they never read the listing, so they never give the next run a cursor.
ID_TRIGGERS = (
    SyncRun.Trigger.WEBHOOK,
    SyncRun.Trigger.RESYNC,
    SyncRun.Trigger.FOLLOW_UP,
    SyncRun.Trigger.BOOKING,
)


def _latest_cursor(integration: Integration, flow: str) -> str:
    """Where the next full run reads from: the cursor the last full run reached (also one that stopped early)."""
    run = (
        SyncRun.objects.filter(
            integration=integration,
            flow=flow,
            status__in=[
                SyncRun.Status.SUCCEEDED,
                SyncRun.Status.PARTIAL,
                SyncRun.Status.FAILED,
                SyncRun.Status.PAUSED,
            ],
        )
        .exclude(trigger__in=ID_TRIGGERS)
        .exclude(dry_run=True)  # a dry run wrote nothing: live runs must still read what it read
        .exclude(cursor_to="")
        .order_by("-created_at", "-pk")
        .first()
    )
    return run.cursor_to if run else ""


def run_begin(
    *, integration: Integration, flow: str, trigger: str, requested_by=None, dry_run: bool | None = None
) -> SyncRun:
    """Start a run holding the flow's lock, or record a skipped run when another one is active.

    A running run without a heartbeat for `heartbeat.stale_after()` is taken over first.
    """
    runs_take_over(integration=integration, flow=flow)
    now = timezone.now()
    dry = integration.mode == Integration.Mode.DRY_RUN if dry_run is None else dry_run
    fields = {
        "integration": integration,
        "flow": flow,
        "trigger": trigger,
        "requested_by": requested_by,
        "dry_run": dry,
        "started_at": now,
        "cursor_from": _latest_cursor(integration, flow),
    }
    try:
        with transaction.atomic():
            return SyncRun.objects.create(status=SyncRun.Status.RUNNING, heartbeat_at=now, **fields)
    except IntegrityError:
        active = SyncRun.objects.filter(integration=integration, flow=flow, status=SyncRun.Status.RUNNING).first()
        label = f"Run #{active.pk}" if active else "Another run"
        return SyncRun.objects.create(
            status=SyncRun.Status.SKIPPED,
            finished_at=now,
            message=f"{label} of this flow is still running: this one was skipped.",
            **fields,
        )


def run_finish(*, run: SyncRun, cursor_to: str, notes: Iterable[str] = ()) -> SyncRun:
    run.refresh_from_db()
    if run.status != SyncRun.Status.RUNNING:
        return run  # taken over meanwhile: its state is the takeover's
    run.current_source_id = ""
    run.status = SyncRun.Status.PARTIAL if run.failed_count else SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.cursor_to = cursor_to
    run.total = max(run.total, run.done)
    run.message = storable_text("\n".join(notes))
    run.save(
        update_fields=["status", "finished_at", "cursor_to", "total", "message", "current_source_id", "updated_at"]
    )
    return run


def run_fail(*, run: SyncRun, message: str, cursor_to: str = "") -> SyncRun:
    """Close the run as failed; `cursor_to` is how far a full run got (the next full run reads on from there)."""
    from .monitoring import run_failed_notify

    run.refresh_from_db()
    if run.status != SyncRun.Status.RUNNING:
        return run  # taken over meanwhile: its state is the takeover's
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.total = max(run.total, run.done)
    run.message = storable_text(message)
    run.cursor_to = cursor_to
    run.current_source_id = ""
    with transaction.atomic():
        run.save(
            update_fields=["status", "finished_at", "total", "message", "cursor_to", "current_source_id", "updated_at"]
        )
        run_failed_notify(run=run)
    return run


# --------------------------------------------------------------------------- records
def records_due(*, integration: Integration, flow: str) -> list[str]:
    """Source ids whose automatic retry is due, or that someone queued for resync."""
    now = timezone.now()
    return list(
        SyncRecord.objects.filter(integration=integration, flow=flow)
        .filter(Q(status=SyncRecord.Status.QUEUED) | Q(status=SyncRecord.Status.RETRYING, next_attempt_at__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("source_id", flat=True)
    )


def _failure_state(attempt: int) -> tuple[str, object]:
    """State and next automatic attempt after failed attempt number `attempt`."""
    if attempt >= max_attempts():
        return SyncRecord.Status.DEAD, None
    return SyncRecord.Status.RETRYING, timezone.now() + retry_delay(attempt)


def record_process(
    *, runner: FlowRunner, run: SyncRun, item: SourceItem, states: RecordStates | None = None
) -> RecordLog:
    """Process one record, then write what happened (log and state; the caller counts the log's status).

    Whatever goes wrong with this one record stays with it: an exception while
    processing becomes its failed log, and a log that cannot be stored as it is
    (see `record_store`) is replaced by a minimal failed one. The run goes on.
    """
    runner.payload = None
    outcome: Outcome | None = None
    error = ""
    request = response = None
    with record_calls() as calls:
        try:
            if item.error is not None:
                raise item.error
            runner.record_begin(item)  # field rules see this record (sync/field_rules.py)
            outcome = runner.process(item)
        except ConnectionPaused:
            raise  # the remote asked us to wait: the run stops here (flow_execute), the record waits
        except RecordFailed as exc:
            error, request, response = exc.message, exc.request, exc.response
        except RemoteError as exc:
            error, response = remote_error_message(exc), exc.body
        except Exception as exc:  # a bug must fail the record, not the run
            logger.exception("Unexpected error in %s record %s", runner.flow, item.source_id)
            error = f"Unexpected error ({type(exc).__name__}): {exc}. This is a Koppla bug; the record will be retried."
    if outcome is not None:
        request, response = outcome.request, outcome.response
    elif request is None:
        request = getattr(runner, "payload", None)
    attempt = RecordAttempt(
        label=item.label, outcome=outcome, error=error, request=request, response=response, calls=calls
    )
    try:
        return record_store(
            run=run, source_id=item.source_id, attempt=attempt, failure_state=_failure_state, states=states
        )
    except Exception as exc:  # noqa: BLE001 - the details could not be stored: store a minimal failed log instead
        logger.exception("Could not store the log of %s record %s", runner.flow, item.source_id)
        return record_store(
            run=run, source_id=item.source_id, attempt=attempt.minimal(exc), failure_state=_failure_state, states=states
        )


def _plan_items(
    runner: FlowRunner, *, run: SyncRun, source_ids: list[str] | None, states: RecordStates, tally: RunTally
) -> tuple[Iterator[SourceItem], list[str], Plan | None]:
    """Resync: exactly the given records. Otherwise: what changed, then the due retries it did not list.

    Streams: the listing's pages as the plan reads them, then the retries by id. What is kept is the
    due ids (a retry listed again is done with the listing, not fetched once more); `tally.total` is
    the plan's total plus the due retries, set exactly once the listing was read.
    """
    if source_ids is not None:
        ids = list(OrderedDict.fromkeys(source_ids))
        tally.total = len(ids)
        return _fetch_each(runner, run, ids, states), [], None
    due = records_due(integration=run.integration, flow=run.flow)
    plan: Plan = runner.changed_since(runner.start_cursor(run.cursor_from))
    plan.on_page = states.load_items
    if plan.total is not None:
        tally.total = plan.total + len(due)
    due_ids = set(due)

    def stream():
        listed_due = set()
        for item in plan.items:
            if item.source_id in due_ids:
                listed_due.add(item.source_id)
            yield item
        retries = [sid for sid in due if sid not in listed_due]
        if plan.total is not None:
            tally.total = plan.total + len(retries)
        yield from _fetch_each(runner, run, retries, states)

    return stream(), list(plan.notes), plan


def _fetch_each(runner: FlowRunner, run: SyncRun, source_ids: list[str], states: RecordStates) -> Iterator[SourceItem]:
    """Records by id, their states read a page at a time. They carry no cursor: fetched now, they say
    nothing about what the listing holds."""
    for page in chunks(source_ids, PAGE_SIZE):
        states.load(page)
        for source_id in page:
            try:
                item = runner.fetch(source_id)
            except (RecordFailed, RemoteError) as exc:
                label = record_name_of_key(run.flow, source_id)
                item = SourceItem(source_id=source_id, label=label, data=None, error=exc)
            except Exception as exc:  # noqa: BLE001 - a record that cannot even be read fails alone
                logger.exception("Could not read %s record %s", runner.flow, source_id)
                label = record_name_of_key(run.flow, source_id)
                item = SourceItem(source_id=source_id, label=label, data=None, error=exc)
            else:
                item.cursor = ""
            yield item


def flow_execute(*, runner: FlowRunner, run: SyncRun, source_ids: list[str] | None = None) -> SyncRun:
    """Go through the run's records; always leaves the run finished, failed or paused.

    A full run (no `source_ids`) ends with the cursor of the last listed record it processed, or
    the plan's `read_to` when it went through the whole listing; a run that fails keeps the cursor
    it reached; a run stopped by a connection's pause hands over below the first record it did not
    finish. A run of given ids leaves `cursor_to` empty: it read no listing.
    Per record: one UPDATE of the run (in-flight mark and counters) plus what recording.record_store
    writes; per page: one read of the page's states.
    """
    full = source_ids is None
    cursor = run.cursor_from if full else ""
    notes: list[str] = []
    given_done: set[str] = set()  # of the given ids only: a full run keeps no list of what it did
    marks = CursorMarks()
    tally = RunTally(run)
    states = RecordStates(integration=run.integration, flow=run.flow)
    item = calls = None
    stored = False
    heartbeat = RunHeartbeat(run.pk).start()
    try:
        try:
            paused = flow_pause(runner)
            if paused is not None:
                raise paused  # a connection it needs is paused: call nothing
            # A full run shows "listing: 3 pages read, 250 records so far" until its total is known; a run of
            # given ids reads no listing (pages its fetches read are look-ups).
            listing = ListingProgress(run, active=full)
            with listing.observing():
                items, notes, plan = _plan_items(runner, run=run, source_ids=source_ids, states=states, tally=tally)
            for item in listing.observe(items):
                stored = False
                if heartbeat.lost.is_set():
                    raise RunTakenOver(
                        f"Run #{run.pk} was taken over by another run; it stopped before {item.source_id}."
                    )
                tally.record_begin(item.source_id)
                with record_calls() as calls:
                    log = record_process(runner=runner, run=run, item=item, states=states)
                stored = True
                tally.counted(log.status)
                if not full:
                    given_done.add(item.source_id)
                marks.seen(item.cursor)
                if full and item.cursor:
                    cursor = item.cursor
            if full and plan is not None and plan.read_to:
                cursor = plan.read_to
        finally:
            tally.flush()  # the counters of the last records, before the run is closed whichever way
    except ConnectionPaused as exc:
        in_flight = item if item is not None and not stored else None
        return _stop_for_pause(run, exc, source_ids, given_done, marks, in_flight, calls, notes)
    except RemoteError as exc:
        return run_fail(run=run, message=remote_error_message(exc, then=RUN_RETRIED), cursor_to=cursor)
    except RecordFailed as exc:
        return run_fail(run=run, message=exc.message, cursor_to=cursor)
    except RunTakenOver as exc:
        logger.warning("%s", exc)
        return run_fail(run=run, message=str(exc), cursor_to=cursor)
    except Exception as exc:
        logger.exception("Run %s of %s failed", run.pk, run.flow)
        return run_fail(run=run, message=f"Unexpected error ({type(exc).__name__}): {exc}", cursor_to=cursor)
    finally:
        heartbeat.stop()
    return run_finish(run=run, cursor_to=cursor, notes=notes)


def _stop_for_pause(run, pause, source_ids, given_done, marks, in_flight, calls, notes) -> SyncRun:
    """The record in flight and the given ids not reached wait for the pause; the cursor stays below them."""
    waiting = [sid for sid in OrderedDict.fromkeys(source_ids or []) if sid not in given_done]
    records_wait(run=run, pause=pause, source_ids=waiting, in_flight=in_flight, calls=calls)
    cursor_to = ""  # a run given ids never moves the cursor
    if source_ids is None:
        boundary = in_flight.cursor if in_flight is not None else ""
        cursor_to = marks.before(boundary, run.cursor_from)
    return run_pause_stop(run=run, pause=pause, cursor_to=cursor_to, notes=notes)
