"""A rate limiter shared by every worker process, kept in the database.

Why the database and not Redis: the ORM is the one store every Koppla process
already shares (web, q2 workers on the ORM broker, on SQLite or PostgreSQL),
so the limiter needs no extra service and works the same in the demo and in
production. Each call costs one short row-locked UPDATE, small next to the
remote round trip it paces.

Algorithm: evenly spaced slots. A window of `count` calls per `period`
seconds gives an interval T = period / count; each row stores the earliest
time the next call may start. Reserving a slot takes the latest of those times
over all windows of the connection, moves every window past it by its own T,
and tells the caller how long to wait, so concurrent workers queue up in
slots instead of racing into a 429. Evenly spaced calls never put more than
`count` calls into any interval of `period` seconds (a burst allowance would:
a full burst followed by the steady rate doubles the calls in one window).

Buckets: a system that counts its quota per endpoint (Visma eAccounting: 600 per minute for each
endpoint, api-notes § B) names a `bucket_of(path)` function; each endpoint (path template, e.g.
"/orders", "/orders/{id}") then has its own rows, still shared by every worker. Without it (every
other system) one budget covers all calls of the connection, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from .http import SYSTEM_CLOCK, Clock
from .models import RateLimitState


def _locked_state(key: str) -> RateLimitState:
    try:
        return RateLimitState.objects.select_for_update().get(key=key)
    except RateLimitState.DoesNotExist:
        try:
            with transaction.atomic():
                RateLimitState.objects.create(key=key, tat=0.0)
        except IntegrityError:
            pass  # another worker created it first
        return RateLimitState.objects.select_for_update().get(key=key)


def reserve_slot(key: str, windows: tuple[tuple[int, float], ...], *, now: float) -> float:
    """Take the next slot over all windows; return the seconds to wait before using it."""
    with transaction.atomic():
        # Lock in a fixed order so two workers never deadlock on the same rows.
        keyed = sorted((f"{key}:{count}/{period}", count, period) for count, period in windows)
        states = [(_locked_state(name), period / count) for name, count, period in keyed]
        start = max([now, *(state.tat for state, _ in states)])
        for state, interval in states:
            state.tat = start + interval
            state.save(update_fields=["tat"])
    return start - now


# A path segment that is a record's key, not a resource name: a UUID, a number, a date or a timestamp.
_KEY_SEGMENT = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9][0-9.:T+-]*Z?)$"
)


def endpoint_template(path: str) -> str:
    """The endpoint a request path belongs to, keys replaced by "{id}": "/orders/3f…9a?$page=2" → "/orders/{id}".

    `path` is the path as the client passes it (relative to the API root, or a full URL); the query is
    dropped and the case folded, so "/Orders" and "/orders" share one bucket."""
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    segments = [s for s in path.lower().split("/") if s]
    return "/" + "/".join("{id}" if _KEY_SEGMENT.match(s) else s for s in segments)


class RateLimiter:
    """Paces calls of one remote account over one or more windows (per endpoint with `bucket_of`)."""

    def __init__(
        self,
        key: str,
        windows: tuple[tuple[int, int], ...],
        clock: Clock = SYSTEM_CLOCK,
        *,
        bucket_of: Callable[[str], str] | None = None,
    ):
        self.key = key
        self.windows = windows
        self.clock = clock
        self.bucket_of = bucket_of

    def acquire(self, path: str = "") -> float:
        """Block until a call to `path` may go out; returns the seconds waited.

        `path` only matters with `bucket_of`: the call then takes a slot of its endpoint's own budget."""
        if not self.windows:
            return 0.0
        key = self.key if self.bucket_of is None else f"{self.key}:{self.bucket_of(path)}"
        wait = reserve_slot(key, self.windows, now=self.clock.time())
        if wait > 0:
            self.clock.sleep(wait)
        return wait
