"""Writing down one attempt at one record: its RecordLog, its SyncRecord state and the run's counters.

Everything stored passes through config.storable first (NUL characters, lone
surrogates, Decimal, dates, bytes…), so shop or remote data cannot make the
write fail. Should it fail anyway, the engine stores `RecordAttempt.minimal`
instead: a failed log that says why the details are missing, in a fresh
transaction, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from config.storable import storable_json, storable_text

from .flows.base import Outcome
from .models import RecordLog, SyncRecord, SyncRun

# Longest error text kept on a log (a remote's error page is summarised well below this).
MAX_ERROR_CHARS = 10_000

# attempt number (failures in a row, this one included) → (SyncRecord status, next automatic attempt)
FailureState = Callable[[int], tuple[str, datetime | None]]


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


def record_store(*, run: SyncRun, source_id: str, attempt: RecordAttempt, failure_state: FailureState) -> RecordLog:
    """Store one attempt in one transaction: RecordLog, SyncRecord (locked), run counters, dead-letter notice.

    Raises whatever the database raises; the caller then stores `attempt.minimal(exc)`.
    """
    source_id = storable_text(source_id)[:100]
    label = storable_text(attempt.label, 200)
    outcome = attempt.outcome
    target_id = storable_text(outcome.target_id if outcome else attempt.target_id)[:100]
    error = storable_text(attempt.error or (outcome.message if outcome else ""), MAX_ERROR_CHARS)
    with transaction.atomic():
        previous = (
            SyncRecord.objects.select_for_update()
            .filter(integration=run.integration, flow=run.flow, source_id=source_id)
            .first()
        )
        number = (previous.attempts if previous else 0) + 1  # `attempts` counts failures in a row
        if attempt.failed:
            state_status, next_at = failure_state(number)
        else:
            state_status = (
                SyncRecord.Status.SKIPPED if outcome.status == RecordLog.Status.SKIPPED else SyncRecord.Status.OK
            )
            if state_status == SyncRecord.Status.SKIPPED and target_id:
                state_status = SyncRecord.Status.OK  # skipped because it is done in the target ("Already invoiced")
            next_at = None
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
        state_fields = {
            "source_label": label,
            "status": state_status,
            "attempts": number if attempt.failed else 0,
            "next_attempt_at": next_at,
            "last_error": error if attempt.failed else "",
            "last_log": log,
        }
        if target_id:
            state_fields["target_id"] = target_id
        state, _ = SyncRecord.objects.update_or_create(
            integration=run.integration, flow=run.flow, source_id=source_id, defaults=state_fields
        )
        if state_status == SyncRecord.Status.DEAD:
            from .monitoring import dead_letter_notify

            dead_letter_notify(record=state)
        counter = {
            RecordLog.Status.FAILED: "failed_count",
            RecordLog.Status.SKIPPED: "skipped_count",
        }.get(log.status, "ok_count")
        SyncRun.objects.filter(pk=run.pk).update(
            done=F("done") + 1,
            # While the total is not known yet (streamed records) it grows with what was done.
            total=Greatest(F("total"), F("done") + 1),
            heartbeat_at=timezone.now(),
            **{counter: F(counter) + 1},
        )
    return log
