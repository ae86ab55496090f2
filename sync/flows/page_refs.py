"""The bindings and pending creates of the listing page a flow is processing, read once per page.

A flow's listing hands each page to the flow before its records are processed (listing_plan's `done`);
the flow loads what its records will look up (`PageRefs.load`: one query per binding kind, one for the
pending creates) and each record then takes its own entries (`take`, `pending`) without a query. An entry
is taken once: a record processed again in the same run (a retry after the listing) reads the database,
so what the run itself bound meanwhile is never read stale. Records not in the page read the database too.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.bindings import (
    binding_get,
    binding_key,
    intents_drop,
    intents_pending,
    intents_record,
    intents_retire,
    refs_for,
)
from sync.models import ExternalRef, Integration

_UNKNOWN = object()


class PageRefs:
    """Bindings of some kinds and the pending creates of one kind, for the source ids of one page."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self._refs: dict[tuple[str, str], ExternalRef | None] = {}
        self._pending: dict[tuple[str, str], bool] = {}
        self._retired = False
        self._recorded: set[tuple[str, str]] = set()

    def load(
        self,
        *,
        source_ids: Iterable[str],
        kinds: Iterable[str],
        pending_kinds: Iterable[str] = (),
        also: dict[str, Iterable[str]] | None = None,
    ) -> None:
        """Read the page's bindings of `kinds` and its pending creates of `pending_kinds` for `source_ids`, and
        the bindings of other source ids by kind (`also`, e.g. the invoices of a page of returns' orders).
        The last page's entries are dropped."""
        if pending_kinds and not self._retired:
            intents_retire(integration=self.integration)  # once per run: the intents of bound sources go
            self._retired = True
        keys = list(dict.fromkeys(binding_key(s) for s in source_ids))
        self._refs, self._pending, self._recorded = {}, {}, set()
        wanted = [(kind, keys) for kind in kinds]
        wanted += [(kind, list(dict.fromkeys(binding_key(s) for s in ids))) for kind, ids in (also or {}).items()]
        for kind, ids in wanted:
            found = refs_for(integration=self.integration, kind=kind, source_ids=ids)
            self._refs.update({(kind, key): found.get(key) for key in ids})
        for kind in pending_kinds:
            pending = intents_pending(integration=self.integration, kind=kind, source_ids=keys)
            self._pending.update({(kind, key): key in pending for key in keys})

    def peek(self, kind: str, source_id: str) -> ExternalRef | None:
        """The source's binding of `kind` as the page read it (None: not bound, or not in the page)."""
        return self._refs.get((kind, binding_key(source_id)))

    def released(self, kind: str, source_id: str) -> bool:
        """Whether the page read the source's binding of `kind` as released (its document posted or sent)."""
        ref = self.peek(kind, source_id)
        return bool(ref is not None and (ref.data or {}).get("released"))

    def intend(self, kind: str, source_ids: Iterable[str]) -> None:
        """Record the page's intents to create (one statement) for sources about to be created; each record's
        create then skips its own INSERT (`recorded`). A source that is then not created (skipped, refused
        before sending) keeps its intent: its next attempt searches once before creating."""
        keys = [binding_key(s) for s in source_ids]
        intents_record(integration=self.integration, kind=kind, source_ids=keys)
        self._recorded.update((kind, key) for key in keys)

    def recorded(self, kind: str, source_id: str) -> bool:
        """Whether the page recorded the source's intent (once: a second attempt in the run records its own)."""
        key = (kind, binding_key(source_id))
        if key in self._recorded:
            self._recorded.discard(key)
            return True
        return False

    def drop_unprocessed(self) -> None:
        """Drop the intents the page recorded for sources not processed (the run stops before them): they sent
        nothing, so their next attempt need not search."""
        for kind in {kind for kind, _ in self._recorded}:
            keys = [key for k, key in self._recorded if k == kind]
            intents_drop(integration=self.integration, kind=kind, source_ids=keys)
        self._recorded = set()

    def take(self, kind: str, source_id: str) -> ExternalRef | None:
        """The source's binding of `kind`: from the page once, else from the database."""
        ref = self._refs.pop((kind, binding_key(source_id)), _UNKNOWN)
        if ref is _UNKNOWN:
            return binding_get(integration=self.integration, kind=kind, source_id=source_id)
        return ref

    def pending(self, kind: str, source_id: str, *, keep: bool = False, read: bool = False) -> bool | None:
        """Whether a create of `kind` was pending for the source when the page was read, once (`keep`: look
        without taking); None: not known here, unless `read`: then the database answers."""
        key = (kind, binding_key(source_id))
        known = self._pending.get(key) if keep else self._pending.pop(key, None)
        if known is None and read:
            return bool(intents_pending(integration=self.integration, kind=kind, source_ids=[source_id]))
        return known
