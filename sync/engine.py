"""The sync engine: runs a flow over its records with a lock, per-record logs and retries.

- One active run per (integration, flow): a partial unique index on SyncRun
  (status = running) is the lock; a run that cannot take it is recorded as
  skipped. A run whose heartbeat stopped (its worker died) is closed as failed
  before a new run starts.
- Every record gets a RecordLog per attempt (payload, redacted remote calls,
  result, a readable error) and a SyncRecord with its current state, written
  by sync/recording.py: cleaned of what a database cannot store, and replaced
  by a minimal failed log if the details still cannot be written. Whatever
  happens to one record (reading, processing, storing) fails that record only.
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
    NotFound,
    RateLimited,
    RemoteDown,
    RemoteError,
    record_calls,
)
from integrations.systems import System

from .flows.base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .models import Integration, RecordLog, SyncRecord, SyncRun
from .recording import RecordAttempt, record_store

logger = logging.getLogger("koppla.sync")


def max_attempts() -> int:
    return int(getattr(settings, "SYNC_MAX_ATTEMPTS", 5))


def retry_delay(attempt: int) -> timedelta:
    """Delay before the next automatic attempt after `attempt` failed ones."""
    minutes = getattr(settings, "SYNC_RETRY_MINUTES", (2, 10, 30, 120))
    return timedelta(minutes=minutes[min(attempt, len(minutes)) - 1])


def stale_after() -> timedelta:
    return timedelta(seconds=settings.Q_CLUSTER["timeout"] + 300)


# --------------------------------------------------------------------------- messages
def _system_label(code: str) -> str:
    try:
        return System(code).label
    except ValueError:
        return code or "The remote system"


def remote_error_message(exc: RemoteError) -> str:
    """A remote failure in words an operations person can act on."""
    who = _system_label(exc.system)
    message = exc.message.rstrip(". ")  # it is followed by sentences of our own
    if isinstance(exc, AuthError):
        return f"{who} refused our credentials: {message}. Reconnect or fix the connection in Connections."
    if isinstance(exc, RateLimited):
        wait = f" for {exc.retry_after:.0f} s" if exc.retry_after else ""
        return f"{who} asked us to slow down{wait}: {message}. The record will be retried."
    if isinstance(exc, RemoteDown):
        maybe = (
            " The request may have arrived; the retry looks it up before creating anything." if exc.maybe_sent else ""
        )
        return f"{who} did not answer properly: {message}.{maybe} The record will be retried."
    if isinstance(exc, NotFound):
        return f"{who} does not know it: {message}."
    if isinstance(exc, ConfigurationError):
        return exc.message
    return f"{who} refused it: {exc.message}"


# --------------------------------------------------------------------------- runs
def _latest_cursor(integration: Integration, flow: str) -> str:
    run = (
        SyncRun.objects.filter(
            integration=integration, flow=flow, status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL]
        )
        .exclude(cursor_to="")
        .order_by("-created_at")
        .first()
    )
    return run.cursor_to if run else ""


def runs_expire_stale(*, integration: Integration, flow: str) -> int:
    """Close runs whose worker stopped sending heartbeats (so the lock is free again)."""
    limit = timezone.now() - stale_after()
    return SyncRun.objects.filter(
        integration=integration, flow=flow, status=SyncRun.Status.RUNNING, heartbeat_at__lt=limit
    ).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        message="No heartbeat for too long: the worker running it stopped. Its records are retried by the next run.",
    )


def run_begin(
    *, integration: Integration, flow: str, trigger: str, requested_by=None, dry_run: bool | None = None
) -> SyncRun:
    """Start a run holding the flow's lock, or record a skipped run when another one is active."""
    runs_expire_stale(integration=integration, flow=flow)
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
    run.status = SyncRun.Status.PARTIAL if run.failed_count else SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.cursor_to = cursor_to
    run.total = max(run.total, run.done)
    run.message = storable_text("\n".join(notes))
    run.save(update_fields=["status", "finished_at", "cursor_to", "total", "message", "updated_at"])
    return run


def run_fail(*, run: SyncRun, message: str) -> SyncRun:
    from .monitoring import run_failed_notify

    run.refresh_from_db()
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.total = max(run.total, run.done)
    run.message = storable_text(message)
    with transaction.atomic():
        run.save(update_fields=["status", "finished_at", "total", "message", "updated_at"])
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


def record_process(*, runner: FlowRunner, run: SyncRun, item: SourceItem) -> RecordLog:
    """Process one record, then write what happened (log, state, run counters).

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
            outcome = runner.process(item)
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
        return record_store(run=run, source_id=item.source_id, attempt=attempt, failure_state=_failure_state)
    except Exception as exc:  # noqa: BLE001 - the details could not be stored: store a minimal failed log instead
        logger.exception("Could not store the log of %s record %s", runner.flow, item.source_id)
        return record_store(
            run=run, source_id=item.source_id, attempt=attempt.minimal(exc), failure_state=_failure_state
        )


def _plan_items(
    runner: FlowRunner, *, run: SyncRun, source_ids: list[str] | None
) -> tuple[Iterator[SourceItem], int | None, list[str]]:
    """Resync: exactly the given records. Otherwise: due retries first, then what changed."""
    notes: list[str] = []
    if source_ids is not None:
        ids = list(OrderedDict.fromkeys(source_ids))
        return _fetch_each(runner, run, ids), len(ids), notes
    due = records_due(integration=run.integration, flow=run.flow)
    plan: Plan = runner.changed_since(runner.start_cursor(run.cursor_from))
    notes.extend(plan.notes)
    if plan.total is not None:
        changed = list(plan.items)
        changed_ids = {item.source_id for item in changed}
        retries = [sid for sid in due if sid not in changed_ids]
        return iter([*_fetch_each(runner, run, retries), *changed]), len(retries) + len(changed), notes

    def stream():
        seen = set()
        for item in plan.items:
            seen.add(item.source_id)
            yield item
        yield from _fetch_each(runner, run, [sid for sid in due if sid not in seen])

    return stream(), None, notes


def _fetch_each(runner: FlowRunner, run: SyncRun, source_ids: list[str]) -> Iterator[SourceItem]:
    for source_id in source_ids:
        try:
            item = runner.fetch(source_id)
        except (RecordFailed, RemoteError) as exc:
            item = SourceItem(source_id=source_id, label=source_id, data=None, error=exc)
        except Exception as exc:  # noqa: BLE001 - a record that cannot even be read fails alone
            logger.exception("Could not read %s record %s", runner.flow, source_id)
            item = SourceItem(source_id=source_id, label=source_id, data=None, error=exc)
        yield item


def flow_execute(*, runner: FlowRunner, run: SyncRun, source_ids: list[str] | None = None) -> SyncRun:
    """Go through the run's records; always leaves the run finished or failed."""
    cursor = run.cursor_from
    try:
        items, total, notes = _plan_items(runner, run=run, source_ids=source_ids)
        if total is not None:
            SyncRun.objects.filter(pk=run.pk).update(total=total)
        for item in items:
            record_process(runner=runner, run=run, item=item)
            if item.cursor and item.cursor > cursor:
                cursor = item.cursor
    except RemoteError as exc:
        return run_fail(run=run, message=remote_error_message(exc))
    except RecordFailed as exc:
        return run_fail(run=run, message=exc.message)
    except Exception as exc:
        logger.exception("Run %s of %s failed", run.pk, run.flow)
        return run_fail(run=run, message=f"Unexpected error ({type(exc).__name__}): {exc}")
    return run_finish(run=run, cursor_to=cursor, notes=notes)
