"""Telling whoever reads a remote listing how far the reading got, page by page.

A sync run reads what changed as a listing of pages (Centra's `limit`/`page`, Visma.net's
`pageNumber`/`pageSize`); until the last page it does not know how many records there are.
The clients' pagers call `listing_page_read` after each page; the engine listens with
`listing_observed` while it reads its listing (not while it processes a record, whose own
look-ups may page too) and shows "listing: 3 pages read, 250 records so far" on the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PageObserver = Callable[[int, int | None], None]  # (records on the page, the remote's stated total or None)

_observers: ContextVar[tuple[PageObserver, ...]] = ContextVar("koppla_listing_observers", default=())


@contextmanager
def listing_observed(observer: PageObserver) -> Iterator[None]:
    """Call `observer(records, total)` for every listing page read inside the block."""
    token = _observers.set((*_observers.get(), observer))
    try:
        yield
    finally:
        _observers.reset(token)


def listing_page_read(*, records: int, total: int | None = None) -> None:
    """One page of a listing was read: `records` on it; `total` when the remote states the listing's size."""
    for observer in _observers.get():
        observer(records, total)
