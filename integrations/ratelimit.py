"""A rate limiter shared by every worker process, kept in the database.

Why the database and not Redis: the ORM is the one store every Koppla process
already shares (web, q2 workers on the ORM broker, on SQLite or PostgreSQL),
so the limiter needs no extra service and works the same in the demo and in
production. Each call costs one short row-locked UPDATE, small next to the
remote round trip it paces.

Windows are the remote's quotas as it states them (integrations/systems.py, or a
connection's own rate limit): `count` calls per `period` seconds, counted by the
remote per tenant, token or endpoint. The limiter keeps the budget of each window
just under it by itself (see the guard below), so a window is written as the
remote's quota, never as a hand-lowered budget.

Algorithm: evenly spaced slots. A window of `count` calls per `period`
seconds gives an interval T = (period + guard) / count; each row stores the
earliest time the next call may start. Reserving a slot takes the latest of those
times over all windows of the connection, moves every window past it by its own T,
and tells the caller how long to wait, so concurrent workers queue up in
slots instead of racing into a 429. Evenly spaced calls never put more than
`count` calls into any interval of `period` seconds, whether the remote counts a
sliding window (Fortnox, Visma.net), fixed windows (eAccounting's minute) or a token
bucket refilled at count / period (Centra); a burst allowance would not: a full
burst followed by the steady rate doubles the calls in one window.

The guard: the remote counts a call when it arrives, not when Koppla granted its
slot; between the two lie the worker's scheduling and the network, which vary from
call to call. Calls k and k + count are granted period + guard apart, so that
variation may reach `guard` before two of them land in one of the remote's windows.
guard = GUARD_SHARE (4 %) of the window, at most GUARD_MAX_SECONDS (0.5 s): the share
of the quota used is period / (period + guard), at least 96.2 % (Fortnox's 25 / 5 s:
4.8 calls a second, the pace the softwerkab Fortnox SDK settled on after 429s at
5 a second, api-notes § A2; eAccounting's 600 / 60 s: 99.2 %). Measured by
bench/quota_share.py against every sandbox with two worker processes.

Buckets: a system that counts its quota per endpoint (Visma eAccounting: 600 per minute for each
endpoint, api-notes § B) names a `bucket_of(path)` function; each endpoint (path template, e.g.
"/orders", "/orders/{id}") then has its own rows, still shared by every worker. Without it (every
other system) one budget covers all calls of the connection, as before. The wait a 429 of such a
system names (Retry-After, or its text) is that endpoint's alone: `hold(path, seconds)` moves the
endpoint's next slot past it for every worker (integrations/http.py), and the other endpoints go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import IntegrityError, connection, transaction

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


# The guard (module docstring): a share of the window, at most this many seconds.
GUARD_SHARE = 0.04
GUARD_MAX_SECONDS = 0.5


def guard_seconds(period: float) -> float:
    """Seconds the limiter adds to a window of `period` seconds: 4 % of it, at most 0.5 s."""
    return min(GUARD_SHARE * period, GUARD_MAX_SECONDS)


def slot_interval(count: int, period: float) -> float:
    """Seconds between two granted slots of a window of `count` calls per `period` seconds: (period + guard) / count.

    E.g. Fortnox 25 / 5 s → 0.208 s (4.8 calls a second), eAccounting 600 / 60 s → 0.1008 s."""
    return (period + guard_seconds(period)) / count


def _reserve_single(name: str, interval: float, *, now: float) -> float | None:
    """The slot of a one-window budget in one statement: the row moves past max(now, its time) and says where
    the slot starts (None when the row does not exist yet). One atomic UPDATE … RETURNING (PostgreSQL, and
    SQLite ≥ 3.35) takes the row's lock for its own duration only, so concurrent workers still queue in slots."""
    table = connection.ops.quote_name(RateLimitState._meta.db_table)
    key, tat = connection.ops.quote_name("key"), connection.ops.quote_name("tat")
    # Quoted identifiers only; every value is a parameter.
    sql = f"UPDATE {table} SET {tat} = (CASE WHEN {tat} > %s THEN {tat} ELSE %s END) + %s WHERE {key} = %s RETURNING {tat}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, interval, name])
        row = cursor.fetchone()
    return None if row is None else float(row[0]) - interval


def reserve_slot(key: str, windows: tuple[tuple[int, float], ...], *, now: float) -> float:
    """Take the next slot over all windows; return the seconds to wait before using it.

    A budget of one window (most remotes) costs one statement per call; several windows are read and moved
    under their row locks, taken in a fixed order."""
    if len(windows) == 1:
        count, period = windows[0]
        start = _reserve_single(f"{key}:{count}/{period}", slot_interval(count, period), now=now)
        if start is not None:
            return max(start, now) - now
    with transaction.atomic():
        # Lock in a fixed order so two workers never deadlock on the same rows.
        keyed = sorted((f"{key}:{count}/{period}", count, period) for count, period in windows)
        states = [(_locked_state(name), slot_interval(count, period)) for name, count, period in keyed]
        start = max([now, *(state.tat for state, _ in states)])
        for state, interval in states:
            state.tat = start + interval
            state.save(update_fields=["tat"])
    return start - now


def hold_slots(key: str, windows: tuple[tuple[int, float], ...], *, until: float) -> None:
    """Start no slot of `key`'s windows before `until` (unix seconds): the remote asked to wait until then.

    A later hold never cuts an earlier, longer one short; slots after it follow at their usual interval."""
    with transaction.atomic():
        for name in sorted(f"{key}:{count}/{period}" for count, period in windows):
            state = _locked_state(name)
            if state.tat < until:
                state.tat = until
                state.save(update_fields=["tat"])


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

    @property
    def per_endpoint(self) -> bool:
        """True when each endpoint has its own budget (the remote counts its quota per endpoint)."""
        return self.bucket_of is not None

    def _key(self, path: str) -> str:
        return self.key if self.bucket_of is None else f"{self.key}:{self.bucket_of(path)}"

    def hold(self, path: str, seconds: float) -> None:
        """Let no call to `path`'s bucket start within `seconds` from now, in any worker (a 429's wait)."""
        if self.windows:
            hold_slots(self._key(path), self.windows, until=self.clock.time() + seconds)

    def acquire(self, path: str = "") -> float:
        """Block until a call to `path` may go out; returns the seconds waited.

        `path` only matters with `bucket_of`: the call then takes a slot of its endpoint's own budget."""
        if not self.windows:
            return 0.0
        wait = reserve_slot(self._key(path), self.windows, now=self.clock.time())
        if wait > 0:
            self.clock.sleep(wait)
        return wait
