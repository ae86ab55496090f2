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
"""

from __future__ import annotations

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


class RateLimiter:
    """Paces calls of one remote account over one or more windows."""

    def __init__(self, key: str, windows: tuple[tuple[int, int], ...], clock: Clock = SYSTEM_CLOCK):
        self.key = key
        self.windows = windows
        self.clock = clock

    def acquire(self) -> float:
        """Block until a call may go out; returns the seconds waited."""
        if not self.windows:
            return 0.0
        wait = reserve_slot(self.key, self.windows, now=self.clock.time())
        if wait > 0:
            self.clock.sleep(wait)
        return wait
