"""Leases: a lock in the database held across remote calls, with expiry for holders that died."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from sync import leases
from sync.leases import (
    LeaseBusy,
    LeaseError,
    LeaseLost,
    lease_acquire,
    lease_hold,
    lease_release,
    lease_renew,
)
from sync.models import Lease
from tests.fakes import FakeClock

pytestmark = pytest.mark.django_db

KEY = "customer:1:anna@example.com"


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    """Waiting for a lease advances a fake clock instead of sleeping."""
    clock = FakeClock()
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", clock)
    return clock


def expire(key: str = KEY) -> None:
    """What a crashed holder leaves behind once its TTL has passed."""
    Lease.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_free_key_is_acquired_and_a_held_one_is_refused():
    assert lease_acquire(key=KEY, holder="worker-a", ttl=timedelta(minutes=5))
    lease = Lease.objects.get(key=KEY)
    assert lease.holder == "worker-a"
    assert timedelta(minutes=4) < lease.expires_at - timezone.now() <= timedelta(minutes=5)

    assert not lease_acquire(key=KEY, holder="worker-b")
    assert not lease_acquire(key=KEY, holder="worker-a")  # not re-entrant: a second holder id is another holder
    assert Lease.objects.get(key=KEY).holder == "worker-a"
    assert lease_acquire(key="customer:1:other@example.com", holder="worker-b")  # other keys are independent


def test_an_expired_lease_is_taken_over_and_its_old_holder_can_no_longer_renew_or_release_it():
    assert lease_acquire(key=KEY, holder="crashed")
    expire()

    assert lease_acquire(key=KEY, holder="worker-b")

    assert Lease.objects.get(key=KEY).holder == "worker-b"
    assert not lease_renew(key=KEY, holder="crashed")
    assert not lease_release(key=KEY, holder="crashed")
    assert Lease.objects.get(key=KEY).holder == "worker-b"


def test_only_the_holder_releases_and_a_released_key_is_free_again():
    assert lease_acquire(key=KEY, holder="worker-a")

    assert not lease_release(key=KEY, holder="worker-b")
    assert Lease.objects.filter(key=KEY).exists()
    assert lease_release(key=KEY, holder="worker-a")
    assert not Lease.objects.filter(key=KEY).exists()
    assert lease_acquire(key=KEY, holder="worker-b")


def test_hold_releases_the_lease_when_the_block_fails():
    with pytest.raises(RuntimeError, match="remote call failed"):
        with lease_hold(key=KEY) as lease:
            assert Lease.objects.get(key=KEY).holder == lease.holder
            raise RuntimeError("remote call failed")
    assert not Lease.objects.filter(key=KEY).exists()


def test_a_waiter_gives_up_after_its_bounded_wait_with_who_holds_it(fake_clock):
    assert lease_acquire(key=KEY, holder="host-1:4242:abc")
    start = fake_clock.now

    with pytest.raises(LeaseBusy) as exc:
        with lease_hold(key=KEY, wait=3.0):
            pytest.fail("the block must not run while another worker holds the key")

    assert "host-1:4242:abc" in str(exc.value) and "waited 3 s" in str(exc.value)
    assert fake_clock.now - start == pytest.approx(3.0)  # bounded, and it polled more than once
    assert len(fake_clock.sleeps) > 3 and max(fake_clock.sleeps) <= leases.MAX_POLL * 1.5
    assert Lease.objects.get(key=KEY).holder == "host-1:4242:abc"  # the waiter left it alone


def test_a_waiter_gets_the_lease_as_soon_as_its_holder_releases_it(monkeypatch):
    assert lease_acquire(key=KEY, holder="worker-a")

    class ReleasingClock(FakeClock):
        def sleep(self, seconds):
            super().sleep(seconds)
            if len(self.sleeps) == 2:
                lease_release(key=KEY, holder="worker-a")

    clock = ReleasingClock()
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", clock)

    with lease_hold(key=KEY, wait=10) as lease:
        assert Lease.objects.get(key=KEY).holder == lease.holder
    assert len(clock.sleeps) == 2
    assert not Lease.objects.filter(key=KEY).exists()


def test_a_waiter_takes_over_a_lease_whose_holder_died():
    assert lease_acquire(key=KEY, holder="crashed")
    expire()

    with lease_hold(key=KEY, wait=0) as lease:
        assert Lease.objects.get(key=KEY).holder == lease.holder != "crashed"


def test_renew_extends_the_lease_and_fails_once_another_holder_took_it_over():
    with lease_hold(key=KEY, ttl=timedelta(minutes=5)) as lease:
        Lease.objects.filter(key=KEY).update(expires_at=timezone.now() + timedelta(seconds=5))
        lease.renew()
        assert Lease.objects.get(key=KEY).expires_at - timezone.now() > timedelta(minutes=4)

        expire()
        assert lease_acquire(key=KEY, holder="worker-b")
        with pytest.raises(LeaseLost, match="taken over by another worker"):
            lease.renew()
    assert Lease.objects.get(key=KEY).holder == "worker-b"  # leaving the block did not release b's lease


def test_a_lease_is_refused_inside_a_transaction():
    with pytest.raises(LeaseError, match="must not be taken inside a database transaction"):
        with transaction.atomic():
            with lease_hold(key=KEY):
                pytest.fail("must not get here")
    assert not Lease.objects.filter(key=KEY).exists()


def test_long_keys_are_stored_hashed_and_do_not_collide():
    prefix = "customer:1:" + "x" * 300
    first, second = prefix + "@a.example", prefix + "@b.example"

    assert lease_acquire(key=first, holder="worker-a")
    assert lease_acquire(key=second, holder="worker-b")
    assert not lease_acquire(key=first, holder="worker-c")
    assert all(len(key) <= 255 for key in Lease.objects.values_list("key", flat=True))
    assert lease_release(key=first, holder="worker-a") and lease_release(key=second, holder="worker-b")


@pytest.mark.django_db
def test_confirm_trusts_a_fresh_lease_and_renews_one_held_half_its_ttl(monkeypatch):
    """A write under a lease held briefly needs no statement; one held long checks it is still ours."""
    import time as real_time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sync.leases import LeaseLost, lease_acquire, lease_hold

    with lease_hold(key="confirm:1") as lease:
        with CaptureQueriesContext(connection) as fresh:
            lease.confirm()
        assert len(fresh) == 0
        later = real_time.monotonic() + lease.ttl.total_seconds()
        monkeypatch.setattr("sync.leases.time.monotonic", lambda: later)
        Lease.objects.filter(key="confirm:1").update(expires_at=timezone.now() - timedelta(seconds=1))
        assert lease_acquire(key="confirm:1", holder="other-worker")
        with pytest.raises(LeaseLost):
            lease.confirm()
