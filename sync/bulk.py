"""Admin actions on many rows: recorded as a BulkAction and worked through in chunks.

An action confirmed on more rows than one chunk runs as a django-q2 task
(sync.tasks.bulk_action_task); its progress (`done` of `total` rows) is saved
after every chunk and shown under Sync › Bulk actions. A smaller selection is
handled at once, in the request. Each chunk is its own transaction: a chunk
that fails is reported in one sentence and the others still run; a task that
is delivered again after its worker died resumes after the last saved chunk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from config.errors import ApplicationError

from .models import BulkAction

logger = logging.getLogger("koppla.sync")

CHUNK_SIZE = 500  # rows per transaction and per progress step
MAX_PROBLEM_LINES = 50  # problems listed in the message; the count says how many there were


@dataclass
class ChunkResult:
    """What a handler did with one chunk: `count` (what the result text counts) and one sentence per problem."""

    count: int = 0
    problems: list[str] = field(default_factory=list)


def bulk_action_start(
    *,
    title: str,
    action: str,
    model_label: str,
    handler: str,
    result_text: str,
    selection: str,
    filters: str,
    object_ids: list,
    requested_by=None,
) -> BulkAction:
    """Record an action confirmed on `object_ids` and run it: now if it fits one chunk, else as a task.

    `handler` is the dotted path of `fn(*, queryset, requested_by) -> ChunkResult`;
    `result_text` may use {count}. Returns the BulkAction: finished when it ran
    at once, QUEUED when a worker takes it over after this transaction commits.
    """
    ids = [str(pk) for pk in object_ids]
    bulk_action = BulkAction.objects.create(
        title=title[:200],
        action=action[:100],
        model_label=model_label,
        handler=handler,
        result_text=result_text[:300],
        selection=selection[:500],
        filters=filters[:2000],
        object_ids=ids,
        requested_by=requested_by,
        total=len(ids),
    )
    if len(ids) <= CHUNK_SIZE:
        return bulk_action_execute(bulk_action=bulk_action)
    pk = bulk_action.pk
    transaction.on_commit(
        lambda: async_task(
            "sync.tasks.bulk_action_task", pk, task_name=f"Bulk action #{pk}: {title}"[:100], group="koppla:bulk"
        )
    )
    return bulk_action


def bulk_action_execute(*, bulk_action: BulkAction) -> BulkAction:
    """Handle the rows not handled yet, chunk by chunk, saving the progress after each. Never raises."""
    if bulk_action.is_finished:
        return bulk_action
    try:
        handler = import_string(bulk_action.handler)
        model = apps.get_model(bulk_action.model_label)
    except (ImportError, LookupError, ValueError):
        logger.exception("Bulk action %s cannot start", bulk_action.pk)
        return _finish(bulk_action, extra="It could not start: its handler is missing (logged for the developers).")
    bulk_action.status = BulkAction.Status.RUNNING
    bulk_action.started_at = bulk_action.started_at or timezone.now()
    bulk_action.save(update_fields=["status", "started_at", "updated_at"])
    ids = bulk_action.object_ids
    problem_lines = [line for line in bulk_action.message.splitlines() if line]
    for start in range(bulk_action.done, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        result = _chunk_run(bulk_action, handler, model, chunk, start)
        bulk_action.done = start + len(chunk)
        bulk_action.count += result.count
        bulk_action.problems += len(result.problems)
        problem_lines += result.problems
        bulk_action.message = "\n".join(problem_lines[:MAX_PROBLEM_LINES])
        bulk_action.save(update_fields=["done", "count", "problems", "message", "updated_at"])
    return _finish(bulk_action)


def _chunk_run(bulk_action: BulkAction, handler, model, chunk: list[str], start: int) -> ChunkResult:
    queryset = model._default_manager.filter(pk__in=chunk)
    try:
        with transaction.atomic():
            return handler(queryset=queryset, requested_by=bulk_action.requested_by)
    except ApplicationError as exc:
        return ChunkResult(problems=[exc.message])
    except Exception:  # one chunk must not stop the others
        logger.exception("Bulk action %s: chunk from row %s failed", bulk_action.pk, start + 1)
        return ChunkResult(
            problems=[
                f"Rows {start + 1} to {start + len(chunk)} of {len(bulk_action.object_ids)} were left as they were: "
                "an unexpected error stopped them (logged for the developers)."
            ]
        )


def _finish(bulk_action: BulkAction, *, extra: str = "") -> BulkAction:
    if extra:
        bulk_action.problems += 1
    if not bulk_action.problems:
        bulk_action.status = BulkAction.Status.SUCCEEDED
    elif bulk_action.count:
        bulk_action.status = BulkAction.Status.PARTIAL
    else:
        bulk_action.status = BulkAction.Status.FAILED
    lines = [bulk_action_summary(bulk_action)]
    if extra:
        lines.append(extra)
    if bulk_action.message:
        lines.append(bulk_action.message)
    if bulk_action.problems > MAX_PROBLEM_LINES:
        lines.append(f"({bulk_action.problems - MAX_PROBLEM_LINES} more problems not listed.)")
    bulk_action.message = "\n".join(lines)
    bulk_action.finished_at = timezone.now()
    bulk_action.save(update_fields=["status", "problems", "message", "finished_at", "updated_at"])
    return bulk_action


def bulk_action_summary(bulk_action: BulkAction) -> str:
    """The result sentence, e.g. "Queued 1,500 record(s) for resync." (counts with thousands separators)."""
    text = bulk_action.result_text or "Handled {count} of the selected rows."
    return text.format(count=f"{bulk_action.count:,}")


def bulk_action_problems(bulk_action: BulkAction) -> list[str]:
    """The problem sentences of a finished bulk action (the message without its summary line)."""
    lines = bulk_action.message.splitlines()
    return lines[1:] if lines and lines[0] == bulk_action_summary(bulk_action) else lines
