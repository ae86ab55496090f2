"""Small helpers the flows share: cursors, pages and bindings looked up a page at a time."""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings

from sync.bindings import refs_by_target, refs_for  # noqa: F401 - the flows' page-at-a-time lookups live there

from .base import Plan, SourceItem

# Records looked up together (one binding query per page of a listing).
PAGE_SIZE = 100

# Records changed this long before the cursor are read again (setting SYNC_CURSOR_OVERLAP_SECONDS):
# a remote stamps a change when it starts saving it, so a change committed late, or one stamped in
# the same second as the cursor, could otherwise fall behind the cursor. Records read again that
# are done are left out by the flows' bindings and checksums (no call, no log).
CURSOR_OVERLAP = timedelta(minutes=2)


def cursor_overlap() -> timedelta:
    seconds = getattr(settings, "SYNC_CURSOR_OVERLAP_SECONDS", None)
    return CURSOR_OVERLAP if seconds is None else timedelta(seconds=float(seconds))


def stamp_parse(stamp: str) -> datetime | None:
    """A remote change stamp ("2026-03-02T10:00:00+00:00", "…Z", Visma.net's "2026-03-02T10:00:00.123") or None."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None


def cursor_moment(cursor: str, *, overlap: timedelta | None = None) -> datetime | None:
    """The moment to read changes from: the cursor minus the overlap (None: read everything).

    Naive stamps (Visma.net writes the company's local time without an offset) stay naive, so
    the filter is sent back in the remote's own terms.
    """
    moment = stamp_parse(cursor)
    if moment is None:
        return None  # no cursor, or one of another format: read everything once, bindings keep it cheap
    return moment - (cursor_overlap() if overlap is None else overlap)


def _stamp_format(moment: datetime) -> str:
    if moment.tzinfo is not None:
        return moment.isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def reading_clock() -> float:
    """Seconds on a monotonic clock: how long reading a listing took (only differences are used)."""
    return time.monotonic()


class FirstSeen:
    """The ids a listing gave so far, each with a stamp at or before the one it was first listed with.

    About 8 bytes an id: the last `block` ids are kept exactly (id → first stamp); older ones as a
    sorted array of their hashes per block, with the block's earliest first stamp. A record listed
    again from an older block is thus given its block's earliest stamp, never a later one than its
    own, so a cursor held there stays below it (at worst a block's worth of records is read again).
    Two ids with the same hash (one chance in about 2**64 / n) only hold a cursor lower than needed.
    """

    def __init__(self, *, block: int = 4096):
        self.block = block
        self.recent: dict[str, datetime | None] = {}
        self.sealed: list[tuple[array, datetime | None]] = []

    def get(self, source_id: str) -> tuple[bool, datetime | None]:
        """(listed before, a stamp at or before its first one; None when that one could not be read)."""
        if source_id in self.recent:
            return True, self.recent[source_id]
        key = hash(source_id)
        for hashes, earliest in self.sealed:
            at = bisect_left(hashes, key)
            if at < len(hashes) and hashes[at] == key:
                return True, earliest
        return False, None

    def add(self, source_id: str, moment: datetime | None) -> None:
        self.recent[source_id] = moment
        if len(self.recent) >= self.block:
            stamps = [m for m in self.recent.values() if m is not None]
            self.sealed.append((array("q", sorted(map(hash, self.recent))), min(stamps) if stamps else None))
            self.recent = {}


class ListingCursor:
    """Where the next run may start reading, kept while a flow goes through one listing of changes.

    A record's `cursor` promises the engine: once this record is processed, every record of the
    listing stamped at or before it was processed or proven done (bindings, checksums). So a run
    that stops early never moves the cursor past a record it did not reach.

    - `in_stamp_order=True` (Centra lists by updatedAt ascending): each record carries the newest
      stamp seen so far. A record listed twice changed while the run was paging; the pages then
      shifted and a record may have slid onto a page already read, so the cursor holds at the
      stamp the record had when first listed.
    - `in_stamp_order=False` (Visma.net lists by number): records carry no cursor; `read_to()`
      after the whole listing is the newest stamp read minus the time the reading took (a record
      changed during the reading may have joined a page already read), never before `start`.

    Stamps are the remote's own, so our clock never enters the cursor; the overlap at the next read
    covers records committed after their stamp.
    """

    def __init__(self, start: str, *, in_stamp_order: bool, clock: Callable[[], float] | None = None):
        self.start = start
        self.in_stamp_order = in_stamp_order
        self.clock = clock or reading_clock
        self.began = self.clock()
        self.newest: datetime | None = None
        self.newest_text = ""
        self.held: datetime | None = None
        self.first_seen = FirstSeen()

    def seen(self, source_id: str, stamp: str) -> str:
        """Note one listed record (also one skipped as done); the cursor the record carries."""
        moment = stamp_parse(stamp)
        if moment is not None and self.newest is not None and (moment.tzinfo is None) != (self.newest.tzinfo is None):
            moment = None  # a stamp of another kind than the listing's others: it cannot be ordered
        if moment is not None and (self.newest is None or moment > self.newest):
            self.newest, self.newest_text = moment, str(stamp)
        if not self.in_stamp_order:
            return ""
        listed, first = self.first_seen.get(source_id)
        if listed:
            if first is not None and (self.held is None or first < self.held):
                self.held = first
        else:
            self.first_seen.add(source_id, moment)
        return self._sorted_cursor()

    def _sorted_cursor(self) -> str:
        if self.newest is None:
            return self.start
        moment, text = self.newest, self.newest_text
        if self.held is not None and self.held < moment:
            moment, text = self.held, _stamp_format(self.held)
        return self._not_before_start(moment, text)

    def _not_before_start(self, moment: datetime, text: str) -> str:
        """Records in the overlap never take the cursor back before where this run started."""
        start = stamp_parse(self.start)
        if start is not None and (start.tzinfo is None) == (moment.tzinfo is None) and start >= moment:
            return self.start
        return text

    def read_to(self) -> str:
        """The cursor once the whole listing was read and every record it gave was processed."""
        if self.in_stamp_order:
            return self._sorted_cursor()
        if self.newest is None:
            return self.start
        moment = self.newest - timedelta(seconds=max(0.0, self.clock() - self.began))
        return self._not_before_start(moment, _stamp_format(moment))


def listing_plan(
    nodes: Iterable[dict],
    cursor: str,
    make_item: Callable[[dict], SourceItem],
    *,
    done: Callable[[list[SourceItem]], set[str]] | None = None,
) -> Plan:
    """A plan over a listing in updatedAt order (the shop's), read from the cursor minus the overlap.

    `make_item` gives each node's SourceItem with its own stamp as `cursor`; that becomes the
    ListingCursor's (see there). `done(page)` names the items of a page that bindings or checksums
    prove done: they are left out (no call, no log) but still move the cursor. `read_to` is set
    once the listing was read to its end. One page is held at a time; the items left to do on it are
    announced with `Plan.page_ready` before the first is yielded (the engine reads their states).
    """
    listing = ListingCursor(cursor, in_stamp_order=True)
    plan = Plan(items=())

    def items() -> Iterator[SourceItem]:
        for page in chunks(nodes, PAGE_SIZE):
            page_items = [make_item(node) for node in page]
            finished = done(page_items) if done and page_items else set()
            todo = []
            for item in page_items:
                item.cursor = listing.seen(item.source_id, item.cursor)
                if item.source_id not in finished:
                    todo.append(item)
            plan.page_ready(todo)
            yield from todo
        plan.read_to = listing.read_to()

    plan.items = items()
    return plan


def item_listing_plan(
    listed: Iterable,
    cursor: str,
    *,
    stamp: Callable[[Any], Any],
    page_items: Callable[[list], Iterable[SourceItem]],
    page_size: int,
) -> Plan:
    """A plan over the ERP's item listing (ErpItem records), which comes by item number, not by change.

    Every listed item moves the cursor (`stamp(item)` its change stamp; the ListingCursor is not in stamp
    order), so `read_to` is set only once the listing was read to its end. The listing is read `page_size`
    items at a time; `page_items(page)` yields the SourceItems of that page still to be sent (filter, bindings
    and checksums are the flow's), so one page's lookups are one query. They are announced with
    `Plan.page_ready` before the first is yielded (the engine reads their states in one query).
    """
    listing = ListingCursor(cursor, in_stamp_order=False)
    plan = Plan(items=())

    def items() -> Iterator[SourceItem]:
        for page in chunks(listed, page_size):
            for erp_item in page:
                listing.seen(erp_item.number, stamp(erp_item))
            todo = list(page_items(page))
            plan.page_ready(todo)
            yield from todo
        plan.read_to = listing.read_to()

    plan.items = items()
    return plan


def chunks(iterable: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most `size` elements; only one is held at a time."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


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
