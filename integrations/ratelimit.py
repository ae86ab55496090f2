"""A rate limiter shared by every worker process, kept in the database.

Why the database and not Redis: the ORM is the one store every Koppla process
already shares (web, q2 workers on the ORM broker, on SQLite or PostgreSQL),
so the limiter needs no extra service and works the same in the demo and in
production. Each call costs one short row-locked UPDATE, small next to the
remote round trip it paces.

Algorithm: GCRA (generic cell rate algorithm). For a window of `count` calls
per `period` seconds the emission interval is T = period / count and a burst
of up to `count` calls is allowed. The row stores the theoretical arrival time
(TAT); reserving a slot moves it by T and tells the caller how long to wait,
so concurrent workers queue up in slots instead of racing into a 429.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .http import SYSTEM_CLOCK, Clock
from .models import RateLimitState


def reserve_slot(key: str, *, count: int, period: float, now: float) -> float:
    """Take the next slot of the window; return the seconds to wait before using it."""
    interval = period / count
    with transaction.atomic():
        try:
            state = RateLimitState.objects.select_for_update().get(key=key)
        except RateLimitState.DoesNotExist:
            try:
                with transaction.atomic():
                    RateLimitState.objects.create(key=key, tat=0.0)
            except IntegrityError:
                pass  # another worker created it first
            state = RateLimitState.objects.select_for_update().get(key=key)
        new_tat = max(state.tat, now) + interval
        wait = max(0.0, new_tat - now - period)
        state.tat = new_tat
        state.save(update_fields=["tat"])
    return wait


class RateLimiter:
    """Paces calls of one remote account over one or more windows."""

    def __init__(self, key: str, windows: tuple[tuple[int, int], ...], clock: Clock = SYSTEM_CLOCK):
        self.key = key
        self.windows = windows
        self.clock = clock

    def acquire(self) -> float:
        """Block until a call may go out; returns the seconds waited."""
        now = self.clock.time()
        wait = max(
            (
                reserve_slot(f"{self.key}:{count}/{period}", count=count, period=period, now=now)
                for count, period in self.windows
            ),
            default=0.0,
        )
        if wait > 0:
            self.clock.sleep(wait)
        return wait
