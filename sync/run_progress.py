"""A run's progress while it still reads its listing page by page (the total is known only at its end).

The engine observes the listing (integrations.listing) and keeps the run's `message` at
"Listing: 3 pages read, 250 records so far" ("… 250 of 320 records" when the remote states its
total) until the run ends and its notes replace it; the lists show it as the run's progress.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import nullcontext

from django.utils import timezone

from integrations.listing import listing_observed

from .models import SyncRun

LISTING_PREFIX = "Listing: "
_LISTED = re.compile(r"(\d+) of (\d+) records")


class ListingProgress:
    """Counts the pages and records of one run's listing and writes them to the run as they are read."""

    def __init__(self, run: SyncRun, *, active: bool = True):
        self.run = run
        self.active = active
        self.pages = 0
        self.records = 0
        self.total: int | None = None

    def page_read(self, records: int, total: int | None) -> None:
        self.pages += 1
        self.records += records
        if total is not None:
            self.total = total
        SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(
            message=self.text(), heartbeat_at=timezone.now()
        )

    def text(self) -> str:
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''} read"
        if self.total is not None:
            return f"{LISTING_PREFIX}{pages}, {self.records} of {self.total} records"
        return f"{LISTING_PREFIX}{pages}, {self.records} records so far"

    def observing(self):
        """The block in which pages read count for this run's listing (none when not `active`)."""
        return listing_observed(self.page_read) if self.active else nullcontext()

    def observe(self, items: Iterable) -> Iterator:
        """`items`, with the pages read while each next item is fetched counted (not those a record's
        processing reads for its own look-ups)."""
        if not self.active:
            yield from items
            return
        iterator = iter(items)
        while True:
            with self.observing():
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item


def duration_text(seconds: float) -> str:
    """A length of time as an ops person says it, for a run's time left and its duration.

    `seconds` (≥ 0; a negative one counts as 0) → "59 s", "1 min" (61 s), "1 h 30 min" (90 min),
    "17 h", "1 d 6 h", "2 d". Rounded to the nearest unit shown: seconds below a minute, minutes
    below an hour, hours and minutes below 10 h, hours below a day, then days and hours.
    """
    whole = max(int(seconds + 0.5), 0)
    if whole < 60:
        return f"{whole} s"
    minutes = int(seconds / 60 + 0.5)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 10 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    hours = int(seconds / 3600 + 0.5)
    if hours < 24:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def time_left_text(*, done: int, total: int, elapsed: float) -> str:
    """ "about 3 min left": the time the `total - done` records still to do take at the pace so far
    (`elapsed` seconds for `done`); "" when nothing is done yet or nothing is left."""
    if done <= 0 or total <= done or elapsed <= 0:
        return ""
    return f"about {duration_text(max(elapsed / done * (total - done), 1))} left"


def listing_text(run, *, now=None) -> str:
    """A running run's listing progress for the lists: "listing: 3 pages read, 250 records so far (120 done)",
    with the time left when the remote stated its total ("… 250 of 320 records (120 done, about 1 min
    left)"); "" when no listing page was read yet."""
    message = run.message or ""
    if not message.startswith(LISTING_PREFIX):
        return ""
    text = "listing: " + message[len(LISTING_PREFIX) :]
    extra = [f"{run.done} done"] if run.done else []
    listed = _LISTED.search(message)
    if listed and run.started_at:
        read, total = int(listed.group(1)), int(listed.group(2))
        elapsed = ((now or timezone.now()) - run.started_at).total_seconds()
        if elapsed >= 1 and (left := time_left_text(done=read, total=total, elapsed=elapsed)):
            extra.append(left)
    return text + (f" ({', '.join(extra)})" if extra else "")
