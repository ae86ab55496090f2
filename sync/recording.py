"""Writing down one attempt at one record: its RecordLog and its SyncRecord state, in one transaction.

Everything stored passes through config.storable first (NUL characters, lone
surrogates, Decimal, dates, bytes…), so shop or remote data cannot make the
write fail. Should it fail anyway, the engine stores `RecordAttempt.minimal`
instead: a failed log that says why the details are missing, in a fresh
transaction, and the run goes on.

Three statements a record: the log's INSERT, the state's upsert (one INSERT … ON CONFLICT DO
UPDATE, no savepoint) and, when the page's states were not read beforehand (`RecordStates.load`,
one query a page), one SELECT of the record's failures in a row. The run's counters are the
engine's (heartbeat.RunTally), written with the next record's in-flight mark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from config.storable import storable_json, storable_text

from .flows.base import Outcome
from .models import RecordLog, SyncRecord, SyncRun

# Longest error text kept on a log (a remote's error page is summarised well below this).
MAX_ERROR_CHARS = 10_000

# attempt number (failures in a row, this one included) → (SyncRecord status, next automatic attempt)
FailureState = Callable[[int], tuple[str, datetime | None]]

# The SyncRecord columns an attempt writes (target_id only when the attempt names one).
STATE_FIELDS = ["source_label", "status", "attempts", "next_attempt_at", "last_error", "last_log", "updated_at"]


def state_key(source_id: str) -> str:
    """A source id as it is stored on RecordLog and SyncRecord (cleaned, at most 100 characters)."""
    return storable_text(source_id)[:100]


class RecordStates:
    """The failures in a row (`SyncRecord.attempts`) of the records a run is about to store, a page at a time.

    `load(source_ids)` reads the states of one page in one query and forgets the previous page, so
    memory stays at one page whatever the run's size; `attempts(source_id)` answers from the page,
    or with one query for a record outside it. `stored` keeps the page in step with what this run
    wrote (a record listed twice on a page counts its first attempt). A resync queued from the admin
    while the page is processed may be read a page late: its record's next attempt number is then
    counted from before the resync (the state written is the attempt's own, as before).
    """

    def __init__(self, *, integration, flow: str):
        self.integration = integration
        self.flow = flow
        self._page: dict[str, int] = {}

    def load(self, source_ids: Iterable[str]) -> None:
        keys = {state_key(source_id) for source_id in source_ids}
        found = SyncRecord.objects.filter(integration=self.integration, flow=self.flow, source_id__in=keys)
        self._page = dict.fromkeys(keys, 0) | dict(found.values_list("source_id", "attempts"))

    def load_items(self, items: Iterable) -> None:
        """`load` for the SourceItems of a plan's page (Plan.on_page)."""
        self.load(item.source_id for item in items)

    def attempts(self, source_id: str) -> int:
        key = state_key(source_id)
        if key in self._page:
            return self._page[key]
        found = SyncRecord.objects.filter(integration=self.integration, flow=self.flow, source_id=key)
        return found.values_list("attempts", flat=True).first() or 0

    def stored(self, source_id: str, attempts: int) -> None:
        key = state_key(source_id)
        if key in self._page:
            self._page[key] = attempts


@dataclass
class RecordAttempt:
    """What processing one record produced, before it is stored."""

    label: str
    outcome: Outcome | None = None  # None: the attempt failed
    error: str = ""
    request: Any = None
    response: Any = None
    calls: list = field(default_factory=list)
    target_id: str = ""  # of a failed attempt that still created something (the outcome has its own)

    @property
    def failed(self) -> bool:
        return self.outcome is None

    def minimal(self, exc: BaseException) -> RecordAttempt:
        """A failed attempt without payload, answer or calls, saying why its details were not stored."""
        reason = storable_text(f"{type(exc).__name__}: {exc}", 500)
        if self.outcome is not None:
            done = storable_text(self.outcome.message or f"It ended {self.outcome.status}.", 2000)
            what = (
                f"The record itself went through: {done} Whatever was created remotely is bound to it, so the "
                "retry does not create it again."
            )
        else:
            what = f"The attempt failed: {storable_text(self.error, 2000)}"
        return RecordAttempt(
            label=self.label,
            error=f"Koppla could not store the details of this attempt ({reason}). {what}",
            target_id=self.outcome.target_id if self.outcome else self.target_id,
        )


def record_store(
    *,
    run: SyncRun,
    source_id: str,
    attempt: RecordAttempt,
    failure_state: FailureState,
    states: RecordStates | None = None,
) -> RecordLog:
    """Store one attempt in one transaction: its RecordLog and its SyncRecord state (and a dead-letter notice).

    `states` gives the record's failures in a row (read a page at a time); without it they are read
    here. The state is written with one upsert (INSERT … ON CONFLICT (integration, flow, source_id)
    DO UPDATE), so a state created meanwhile by someone else is updated, not duplicated. The run's
    counters are not touched: the caller counts the log's status (heartbeat.RunTally).
    Raises whatever the database raises; the caller then stores `attempt.minimal(exc)`.
    """
    states = states or RecordStates(integration=run.integration, flow=run.flow)
    source_id = state_key(source_id)
    label = storable_text(attempt.label, 200)
    outcome = attempt.outcome
    target_id = storable_text(outcome.target_id if outcome else attempt.target_id)[:100]
    error = storable_text(attempt.error or (outcome.message if outcome else ""), MAX_ERROR_CHARS)
    number = states.attempts(source_id) + 1  # `attempts` counts failures in a row
    if attempt.failed:
        state_status, next_at = failure_state(number)
    else:
        state_status = SyncRecord.Status.SKIPPED if outcome.status == RecordLog.Status.SKIPPED else SyncRecord.Status.OK
        if state_status == SyncRecord.Status.SKIPPED and target_id:
            state_status = SyncRecord.Status.OK  # skipped because it is done in the target ("Already invoiced")
        next_at = None
    with transaction.atomic():
        log = RecordLog.objects.create(
            run=run,
            integration=run.integration,
            flow=run.flow,
            source_id=source_id,
            source_label=label,
            target_id=target_id,
            status=RecordLog.Status.FAILED if attempt.failed else outcome.status,
            attempt=number,
            request=storable_json(attempt.request),
            response=storable_json(attempt.response),
            calls=storable_json(attempt.calls or []),
            error=error,
            next_attempt_at=next_at,
        )
        state = SyncRecord(
            integration=run.integration,
            flow=run.flow,
            source_id=source_id,
            source_label=label,
            target_id=target_id,
            status=state_status,
            attempts=number if attempt.failed else 0,
            next_attempt_at=next_at,
            last_error=error if attempt.failed else "",
            last_log=log,
        )
        SyncRecord.objects.bulk_create(
            [state],
            update_conflicts=True,
            unique_fields=["integration", "flow", "source_id"],
            update_fields=[*STATE_FIELDS, "target_id"] if target_id else STATE_FIELDS,
        )
        if state_status == SyncRecord.Status.DEAD:
            from .monitoring import dead_letter_notify

            dead_letter_notify(
                record=SyncRecord.objects.get(integration=run.integration, flow=run.flow, source_id=source_id)
            )
    states.stored(source_id, state.attempts)
    return log
