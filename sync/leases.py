"""Leases: a named lock in the database, held across remote calls without an open transaction.

Why: a remote object keyed by something two flows or workers can reach at once
(an ERP customer per e-mail, the shop catalogue of an integration) must be
looked up, searched for and created by one of them at a time. The remote APIs
have no idempotency key, and remote calls are never made inside a database
transaction, so a row lock cannot be held across them. A lease can: it is a
committed row in `sync.models.Lease`, visible to every process on SQLite and
PostgreSQL alike, and it expires, so a worker that died holding one blocks
nothing for longer than its TTL.

API (services; keyword-only):

- `lease_hold(*, key, ttl=DEFAULT_TTL, wait=DEFAULT_WAIT)`: context manager.
  Yields a `LeaseHandle`; releases the lease on exit, whatever happens inside.
  Raises `LeaseBusy` when another holder keeps the key for longer than `wait`
  seconds, `LeaseError` when called inside a transaction (other processes would
  not see the lease before the commit).
- `LeaseHandle.renew()`: pushes the expiry `ttl` further; call it right before
  a remote write and during long work. Raises `LeaseLost` when the lease
  expired and another holder took it over (then do not write).
- `lease_acquire`, `lease_release`, `lease_renew`: the single steps, for tests
  and for callers that manage the holder id themselves.

Shapes and units: `key` is any string (keys over 255 characters are stored
as a prefix plus their SHA-256); `ttl` a `timedelta`; `wait` seconds (float);
holders are `"<host>:<pid>:<random>"`. Expiry uses the application clock
(`django.utils.timezone.now`), so workers' clocks must agree to well within a
TTL (NTP); waiting uses the flows' clock (`integrations.clients.DEFAULT_CLOCK`,
a fake one in tests).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from .models import Lease

logger = logging.getLogger("koppla.sync")

# Long enough for a search and a create with the HTTP client's retries; short
# enough that a crashed worker's lease frees its key within minutes.
DEFAULT_TTL = timedelta(minutes=5)
# How long a waiter polls before it gives up (seconds); the caller then fails
# its record as retryable.
DEFAULT_WAIT = 15.0
FIRST_POLL, MAX_POLL = 0.05, 0.5  # seconds between attempts, doubling

KEY_LENGTH = 255


class LeaseError(Exception):
    """A lease could not be used as asked."""


class LeaseBusy(LeaseError):
    """Another holder kept the key for longer than the caller was willing to wait."""

    def __init__(self, *, key: str, holder: str, expires_at: datetime | None, waited: float):
        self.key, self.holder, self.expires_at, self.waited = key, holder, expires_at, waited
        until = f" until {timezone.localtime(expires_at):%H:%M:%S}" if expires_at else ""
        super().__init__(f"{key} is held by {holder or 'another worker'}{until}; waited {waited:.0f} s")


class LeaseLost(LeaseError):
    """The lease expired while held and another holder took it over."""


@dataclass(frozen=True)
class LeaseHandle:
    key: str
    holder: str
    ttl: timedelta
    acquired: float = field(default_factory=time.monotonic)  # this process's monotonic clock at the acquire

    def confirm(self) -> None:
        """LeaseLost unless the lease is surely still ours before a write under it: held for less than half its
        TTL by this process's clock (no other worker can have taken it over), else renewed now."""
        if time.monotonic() - self.acquired < self.ttl.total_seconds() / 2:
            return
        self.renew()

    def renew(self) -> None:
        """Extend the lease by its TTL from now; LeaseLost when it is no longer ours."""
        if not lease_renew(key=self.key, holder=self.holder, ttl=self.ttl):
            raise LeaseLost(
                f"The lock on {self.key} expired after {self.ttl} and was taken over by another worker; "
                "nothing more is written under it."
            )


def holder_id() -> str:
    """A holder id unique to this call: host, process and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def stored_key(key: str) -> str:
    """The key as stored: unchanged up to 255 characters, else a prefix and its SHA-256."""
    if len(key) <= KEY_LENGTH:
        return key
    return f"{key[: KEY_LENGTH - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


def _assert_no_transaction() -> None:
    """A lease taken inside a transaction is invisible to others until commit: refuse (test wrappers aside)."""
    if connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    ):
        raise LeaseError(
            "A lease must not be taken inside a database transaction: other workers would not see it before "
            "the commit, and remote calls would run inside the transaction."
        )


def lease_acquire(*, key: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Take the key for `holder` until now + ttl: True when taken (a new row, or an expired one taken over)."""
    key = stored_key(key)
    now = timezone.now()
    try:
        with transaction.atomic():
            Lease.objects.create(key=key, holder=holder, acquired_at=now, expires_at=now + ttl)
        return True
    except IntegrityError:
        pass
    # Someone holds (or held) it: take it over only if it expired. The condition is
    # re-checked by the database row by row, so of two takers exactly one wins.
    taken = Lease.objects.filter(key=key, expires_at__lte=now).update(
        holder=holder, acquired_at=now, expires_at=now + ttl
    )
    if taken:
        logger.warning("Took over the expired lease %s (its holder stopped without releasing it).", key)
    return bool(taken)


def lease_release(*, key: str, holder: str) -> bool:
    """Give the key up; only its holder can (False when it was not ours any more)."""
    return Lease.objects.filter(key=stored_key(key), holder=holder).delete()[0] > 0


def lease_renew(*, key: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Push the expiry to now + ttl; False when the key is not held by `holder` any more."""
    return Lease.objects.filter(key=stored_key(key), holder=holder).update(expires_at=timezone.now() + ttl) == 1


def _busy(key: str, waited: float) -> LeaseBusy:
    row = Lease.objects.filter(key=stored_key(key)).values_list("holder", "expires_at").first()
    holder, expires_at = row if row else ("", None)
    return LeaseBusy(key=key, holder=holder, expires_at=expires_at, waited=waited)


@contextmanager
def lease_hold(*, key: str, ttl: timedelta = DEFAULT_TTL, wait: float = DEFAULT_WAIT) -> Iterator[LeaseHandle]:
    """Hold `key` for the block (see the module docstring); LeaseBusy after `wait` seconds of waiting."""
    from integrations import clients  # the flows' clock, looked up per call so tests can swap it

    _assert_no_transaction()
    clock = clients.DEFAULT_CLOCK
    holder = holder_id()
    started = clock.time()
    delay = FIRST_POLL
    while not lease_acquire(key=key, holder=holder, ttl=ttl):
        waited = clock.time() - started
        if waited >= wait:
            raise _busy(key, waited)
        clock.sleep(min(delay * (1 + random.random() / 2), wait - waited))
        delay = min(delay * 2, MAX_POLL)
    try:
        yield LeaseHandle(key=key, holder=holder, ttl=ttl)
    finally:
        try:
            if not lease_release(key=key, holder=holder):
                logger.warning("The lease %s had expired and was taken over before %s released it.", key, holder)
        except DatabaseError:  # the TTL frees it; do not hide what happened inside the block
            logger.exception("Could not release the lease %s; it frees itself at its expiry.", key)
