"""Small helpers the flows share: cursors, pages and bindings looked up a page at a time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from sync.bindings import binding_key
from sync.models import ExternalRef, Integration

# Records changed this long before the cursor are read again: the ERP stamps a change when it
# starts saving it, so a change committed late could otherwise fall behind the cursor. Records
# read again that did not change are left out by the flows' checksums (no call, no log).
CURSOR_OVERLAP = timedelta(minutes=2)


def cursor_moment(cursor: str, *, overlap: timedelta = CURSOR_OVERLAP) -> datetime | None:
    """The moment to read changes from: the cursor minus the overlap (None: read everything)."""
    if not cursor:
        return None
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return None  # a cursor of another format: read everything once, checksums keep it cheap
    return moment - overlap


def chunks(iterable: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most `size` elements; only one is held at a time."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def refs_for(*, integration: Integration, kind: str, source_ids: Iterable[str]) -> dict[str, ExternalRef]:
    """Bindings of one kind for the given source ids (one query per page, not one per record)."""
    ids = list(dict.fromkeys(binding_key(s) for s in source_ids))
    if not ids:
        return {}
    refs = ExternalRef.objects.filter(integration=integration, kind=kind, source_id__in=ids)
    return {ref.source_id: ref for ref in refs}


def refs_by_target(*, integration: Integration, kind: str, target_ids: Iterable[str]) -> dict[str, ExternalRef]:
    """Bindings of one kind whose target is one of `target_ids` (target id → binding)."""
    ids = list(dict.fromkeys(binding_key(t) for t in target_ids))
    if not ids:
        return {}
    refs = ExternalRef.objects.filter(integration=integration, kind=kind, target_id__in=ids)
    return {ref.target_id: ref for ref in refs}


class ProductLookup:
    """Shop products by product number, read once per run and kept for the most recent `size` numbers.

    Items arrive grouped by product, so a small least-recently-used window
    saves almost every repeated read without holding the whole catalogue.
    `remember` keeps a node the flow itself just created or changed.
    """

    def __init__(self, find: Callable[[str], dict | None], *, size: int = 500):
        self.find = find
        self.size = size
        self.nodes: OrderedDict[str, dict | None] = OrderedDict()

    def get(self, product_number: str) -> dict | None:
        if product_number in self.nodes:
            self.nodes.move_to_end(product_number)
            return self.nodes[product_number]
        return self.remember(product_number, self.find(product_number))

    def remember(self, product_number: str, node: dict | None) -> dict | None:
        self.nodes[product_number] = node
        self.nodes.move_to_end(product_number)
        while len(self.nodes) > self.size:
            self.nodes.popitem(last=False)
        return node
