"""When a remote call is repeated: the clock, the retry policy and Retry-After (see http.py)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Protocol

import requests


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


# The longest wait a remote's answer can impose (seconds). A larger value (years, an overflowing
# timestamp, "inf") is read as this: the connection stays paused a day, visibly, and the remote
# says again if it still wants us to wait.
MAX_ASKED_WAIT = 24 * 3600.0


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds, an HTTP date, or a unix timestamp.

    None when the header is missing or unreadable (including NaN); otherwise 0 ≤ result ≤ MAX_ASKED_WAIT.
    """
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return min(MAX_ASKED_WAIT, max(0.0, moment.timestamp() - now))
    if number != number:  # NaN
        return None
    if number > 1_000_000_000:  # an absolute unix timestamp (Centra describes it so)
        number -= now
    return min(MAX_ASKED_WAIT, max(0.0, number))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    # A Retry-After longer than this is not waited out inside a worker: the
    # call fails with RateLimited and the record is retried later.
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before attempt `attempt + 1`: exponential, capped, with jitter."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1 + self.jitter * rng.random())


_NOT_SENT_MARKERS = ("NewConnectionError", "Connection refused", "Failed to resolve", "Name or service not known")


def may_have_reached_server(exc: Exception) -> bool:
    """False only when the request certainly never left: connect timeout, refused, DNS failure."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    return not any(marker in str(exc) for marker in _NOT_SENT_MARKERS)
