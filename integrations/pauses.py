"""The remote's "wait", obeyed by every process: one pause per connection, kept in the database.

A 429 (or 503) that names a wait (Retry-After in seconds, as an HTTP date or a
unix timestamp, or a 429's rate-limit reset header such as Visma.net's
X-RateLimit-Reset) pauses the whole connection until then:
`Connection.paused_until` and `Connection.pause_reason`. Every HttpClient of
the connection (any flow, run, worker or process) checks it before sending:
- a short wait (at most RetryPolicy.max_retry_after, 120 s) is waited out,
  by every worker alike, so nobody sends during it;
- a longer one raises ConnectionPaused without sending anything; the sync
  engine then stops the run and leaves its records waiting (sync/pauses.py).
A pause only grows: a shorter answer never cuts a longer wait short. Nothing
has to end it: once `paused_until` is past it is only shown as the last pause.

Why the database: it is the one store every Koppla process shares (see
ratelimit.py). The check is one primary-key read, made again only when the
last one is older than RECHECK_SECONDS (1 s) or found a pause: a worker sees
another's pause within a second, its own at once, and a run of many calls a
second does not read the row for each (issue 18: constant work per record).
A call sent in that second into a pause just taken gets the remote's own 429,
which pauses and waits as any other.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.db.models import Q
from django.utils import timezone

from .http import SYSTEM_CLOCK, Clock, ConnectionPaused, parse_retry_after
from .models import Connection
from .systems import system_label  # noqa: F401  (sync.pauses imports it from here)

# A pause that ends within this many seconds counts as over (clock and rounding noise).
EPSILON = 0.001
# Headers that say when a rate-limit window resets (Visma.net: seconds until the reset).
RESET_HEADERS = ("X-RateLimit-Reset", "RateLimit-Reset")
# Answers whose wait means "nothing was done, come back then": they pause the connection.
PAUSE_STATUSES = frozenset({429, 503})
# How long a read of "not paused" holds before the row is read again (real seconds).
RECHECK_SECONDS = 1.0


def asked_wait(response: requests.Response, *, now: float) -> tuple[float, str] | None:
    """(seconds, header) a 429/503 answer asks us to wait, or None.

    Retry-After first (seconds, HTTP date or unix timestamp, RFC 9110 §10.2.3);
    a 429 without it falls back to a rate-limit reset header (seconds or a unix
    timestamp; Visma.net documents X-RateLimit-Reset as seconds).
    """
    if response.status_code not in PAUSE_STATUSES:
        return None
    names = ("Retry-After", *RESET_HEADERS) if response.status_code == 429 else ("Retry-After",)
    for name in names:
        seconds = parse_retry_after(response.headers.get(name), now=now)
        if seconds is not None:
            return seconds, f"{name}: {response.headers[name]}"
    return None


def clock_now() -> datetime:
    """Now on the clock the flows' clients wait with (integrations.clients.DEFAULT_CLOCK), aware UTC."""
    from . import clients

    return datetime.fromtimestamp(clients.DEFAULT_CLOCK.time(), UTC)


def until_text(until: datetime, *, now: datetime | None = None) -> str:
    """'14:05' in the site's time zone, as every time in the admin (with seconds when there are any; with
    the date when it is not today there)."""
    until = timezone.localtime(until)
    now = timezone.localtime(now or clock_now())
    text = until.strftime("%H:%M:%S" if until.second or until.microsecond else "%H:%M")
    if until.date() != now.date():
        text = f"{until:%Y-%m-%d} {text}"
    return text


def pause_message(*, system: str, until: datetime, now: datetime | None = None) -> str:
    """'Visma.net ERP asked us to wait until 14:05: nothing is sent to it before then.'"""
    return f"{system_label(system)} asked us to wait until {until_text(until, now=now)}: nothing is sent to it before then."


# --------------------------------------------------------------------------- writes
def connection_pause_start(*, connection_id: int, until: datetime, reason: str) -> datetime:
    """Pause a connection until `until` (unless a longer pause is in force); returns the end in force."""
    shorter = Q(paused_until__isnull=True) | Q(paused_until__lt=until)
    Connection.objects.filter(shorter, pk=connection_id).update(paused_until=until, pause_reason=reason[:300])
    in_force = Connection.objects.filter(pk=connection_id).values_list("paused_until", flat=True).first()
    return max(in_force, until) if in_force else until


# --------------------------------------------------------------------------- reads
def connections_paused(*, connections, now: datetime | None = None) -> ConnectionPaused | None:
    """The pause in force on any of `connections` (the one that ends last), as the error a call would raise."""
    now = now or clock_now()
    ids = [c.pk for c in connections if c is not None]
    paused = Connection.objects.filter(pk__in=ids, paused_until__gt=now).order_by("-paused_until").first()
    if paused is None:
        return None
    return ConnectionPaused(
        pause_message(system=paused.system, until=paused.paused_until, now=now),
        until=paused.paused_until,
        reason=paused.pause_reason,
        system=paused.system,
        status=429,
        retry_after=(paused.paused_until - now).total_seconds(),
    )


# --------------------------------------------------------------------------- the gate
class ConnectionPause:
    """The pause of one connection as its HttpClient sees it: `wait()` before sending, `start()` on an answer."""

    def __init__(self, connection: Connection, *, clock: Clock = SYSTEM_CLOCK, max_rounds: int = 20):
        self.connection_id = connection.pk
        self.system = connection.system
        self.clock = clock
        self.max_rounds = max_rounds
        self._clear_since: float | None = None  # time.monotonic() of the last read that found no pause

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.time(), UTC)

    def start(self, *, until: datetime, reason: str) -> datetime:
        """Store the wait the remote asked for; returns when the connection's pause ends."""
        self._clear_since = None
        return connection_pause_start(connection_id=self.connection_id, until=until, reason=reason)

    def answered(self, response: requests.Response, method: str, url: str, *, client, retry_after: float | None):
        """Pause the connection for the wait an answer asks for; returns the seconds to wait before a retry.

        Raises ConnectionPaused (the answer's message and body) when the wait is
        longer than the client's policy lets a worker wait.
        """
        asked = asked_wait(response, now=self.clock.time())
        reader = getattr(client, "wait_reader", None)
        if asked is None and reader is not None and response.status_code in PAUSE_STATUSES:
            said = reader(response)  # the wait the answer names in its body (eAccounting's "Try again in N seconds")
            asked = (said, f"its text: try again in {said:g} seconds") if said is not None else None
        if asked is None:
            return retry_after
        seconds, header = asked
        path = urlsplit(client.redactor.url(url)).path
        reason = f"HTTP {response.status_code} to {method} {path} with {header}"
        until = self.start(until=datetime.fromtimestamp(self.clock.time() + seconds, UTC), reason=reason)
        if seconds <= client.policy.max_retry_after:
            return seconds
        error = client._error(response, method, url, retry_after=seconds)
        raise ConnectionPaused(
            error.message,
            until=until,
            reason=reason[:300],
            system=error.system,
            status=error.status,
            method=method,
            url=error.url,
            body=error.body,
            retry_after=seconds,
        )

    def wait(self, *, max_wait: float) -> float:
        """Block while the connection is paused for at most `max_wait` s; returns the seconds waited.

        Raises ConnectionPaused, before anything is sent, when the pause lasts longer.
        """
        waited = 0.0
        if self._clear_since is not None and time.monotonic() - self._clear_since < RECHECK_SECONDS:
            return waited  # read less than a second ago: not paused
        for _ in range(self.max_rounds):
            row = Connection.objects.filter(pk=self.connection_id).values_list("paused_until", "pause_reason").first()
            until, reason = row if row else (None, "")
            left = until.timestamp() - self.clock.time() if until else 0.0
            if left < EPSILON:
                self._clear_since = time.monotonic()
                return waited
            if left > max_wait:
                break
            self.clock.sleep(left)  # another worker may have made it longer meanwhile: look again
            waited += left
        now = self._now()
        raise ConnectionPaused(
            pause_message(system=self.system, until=until, now=now),
            until=until,
            reason=reason,
            system=self.system,
            status=429,
            retry_after=max(0.0, until.timestamp() - now.timestamp()),
        )
