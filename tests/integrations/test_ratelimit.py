"""The shared rate limiter paces calls before the remote has to answer 429."""

import math
import threading
import time

import pytest
from django.db import connection as db_connection

from integrations.ratelimit import RateLimiter, guard_seconds, reserve_slot, slot_interval
from integrations.systems import SYSTEMS
from tests.fakes import FakeClock


@pytest.mark.django_db
def test_calls_are_evenly_spaced():
    clock = FakeClock()
    limiter = RateLimiter("conn:1", ((3, 9),), clock=clock)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == pytest.approx([0.0, 3.12, 3.12, 3.12])  # (9 s + its 0.36 s guard) / 3
    clock.sleep(60)  # idle: the next call goes at once
    assert limiter.acquire() == 0.0


@pytest.mark.django_db
def test_every_window_must_have_room():
    clock = FakeClock()
    limiter = RateLimiter("conn:2", ((25, 5), (30, 60)), clock=clock)
    starts = []
    for _ in range(40):
        limiter.acquire()
        starts.append(clock.time())
    # never more than 25 in 5 s nor 30 in 60 s
    for i in range(len(starts)):
        assert sum(1 for t in starts[i:] if t - starts[i] < 5 - 1e-9) <= 25
        assert sum(1 for t in starts[i:] if t - starts[i] < 60 - 1e-9) <= 30


@pytest.mark.django_db
def test_limiters_with_the_same_key_share_one_budget():
    clock = FakeClock()
    first = RateLimiter("conn:3", ((2, 10),), clock=clock)
    second = RateLimiter("conn:3", ((2, 10),), clock=clock)  # e.g. another worker
    assert first.acquire() == 0.0
    assert second.acquire() == pytest.approx(slot_interval(2, 10))  # waits for the slot the first one took
    other = RateLimiter("conn:4", ((2, 10),), clock=clock)
    assert other.acquire() == 0.0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_exceed_the_window():
    """Two threads (two database connections) race for slots: the row lock orders them. The slot each is granted
    (the `now` it asked at plus the wait it was told) is what is checked, not when the OS woke the thread."""
    count, period = 5, 0.5
    interval = slot_interval(count, period)
    granted: list[float] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(6):
                now = time.time()
                wait = reserve_slot("conn:threads", ((count, period),), now=now)
                with lock:
                    granted.append(now + wait)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted.sort()
    assert len(granted) == 12
    # no two slots closer than the interval, so never more than `count` in any window of `period` seconds
    assert min(b - a for a, b in zip(granted, granted[1:], strict=False)) >= interval - 1e-9
    for i in range(len(granted) - count):
        assert granted[i + count] - granted[i] >= period


@pytest.mark.django_db
def test_a_limiter_with_buckets_keeps_one_budget_per_endpoint_shared_by_its_instances():
    from integrations.ratelimit import endpoint_template

    clock = FakeClock()
    first = RateLimiter("conn:5", ((2, 10),), clock=clock, bucket_of=endpoint_template)
    second = RateLimiter("conn:5", ((2, 10),), clock=clock, bucket_of=endpoint_template)  # another worker
    assert first.acquire("/orders") == 0.0
    assert first.acquire("/customers") == 0.0  # another endpoint: its own budget
    assert first.acquire("/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6") == 0.0  # /orders/{id} apart
    assert second.acquire("/orders?$page=2") == pytest.approx(slot_interval(2, 10))  # the same endpoint, across workers


@pytest.mark.django_db
def test_a_limiter_without_buckets_ignores_the_path():
    clock = FakeClock()
    limiter = RateLimiter("conn:6", ((2, 10),), clock=clock)
    assert limiter.acquire("/orders") == 0.0
    assert limiter.acquire("/customers") == pytest.approx(slot_interval(2, 10))


# --------------------------------------------------------------------------- the quota used to the full, never beyond
def _granted(windows, *, calls: int, workers: int = 2, idle_every: int = 0) -> list[float]:
    """Slot start times of `calls` calls asked in turn by `workers` limiters of one connection (fake clock)."""
    clock = FakeClock()
    limiters = [RateLimiter("conn:share", windows, clock=clock) for _ in range(workers)]
    starts = []
    for index in range(calls):
        if idle_every and index and index % idle_every == 0:
            clock.sleep(7.3)  # a pause in the work: the limiter must not make up for it with a burst
        limiters[index % workers].acquire()
        starts.append(clock.time())
    return starts


def _most_in_any_window(starts: list[float], period: float, *, late: float = 0.0) -> int:
    """Most calls the remote counts in one sliding window [t, t + period) when each call may reach it up to `late`
    seconds after its slot: the worst case puts the window's first call `late` behind and the rest on time."""
    most = 0
    for index, start in enumerate(starts):
        most = max(most, sum(1 for at in starts[index:] if at < start + late + period))
    return most


@pytest.mark.django_db
@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_the_limiter_never_grants_more_than_the_quota_in_any_window_of_the_remote(system):
    windows = SYSTEMS[system].rate_limits
    count, period = min(windows, key=lambda window: window[1])  # the short window is the one a run meets
    starts = _granted(((count, period),), calls=3 * count + 1, idle_every=count + 3)

    # Sliding windows (Fortnox, Visma.net, Centra's token bucket as it is emulated), arrivals on time or as late
    # as the guard allows: never more than the quota.
    assert _most_in_any_window(starts, period) <= count
    assert _most_in_any_window(starts, period, late=guard_seconds(period) * 0.99) <= count
    # Fixed windows aligned on the period (eAccounting's minute): never more than the quota either.
    for offset in (0.0, period / 3):
        buckets: dict[int, int] = {}
        for at in starts:
            buckets[int((at + offset) // period)] = buckets.get(int((at + offset) // period), 0) + 1
        assert max(buckets.values()) <= count


@pytest.mark.django_db
@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_the_limiter_grants_at_least_95_percent_of_the_quota_when_asked_without_pause(system):
    count, period = min(SYSTEMS[system].rate_limits, key=lambda window: window[1])
    starts = _granted(((count, period),), calls=2 * count + 1)

    share = (len(starts) - 1) / (starts[-1] - starts[0]) * period / count
    assert share >= 0.95
    assert share == pytest.approx(period / (period + guard_seconds(period)))
    # every window is full but for the guard, none holds fewer (Fortnox 24, eAccounting 595 of 600)
    fewest = min(sum(1 for at in starts if s <= at < s + period) for s in starts if s + period <= starts[-1])
    assert fewest >= math.floor(period / slot_interval(count, period)) >= 0.95 * count


def test_the_guard_is_four_percent_of_a_window_at_most_half_a_second():
    assert guard_seconds(5) == pytest.approx(0.2)  # Fortnox: 25 per 5.2 s, 4.8 a second
    assert guard_seconds(10) == pytest.approx(0.4)
    assert guard_seconds(60) == pytest.approx(0.5)  # eAccounting: 600 per 60.5 s, 99.2 %
    assert slot_interval(25, 5) == pytest.approx(0.208)


@pytest.mark.django_db
def test_a_hold_delays_its_endpoint_for_every_limiter_and_never_shortens():
    from integrations.ratelimit import endpoint_template

    clock = FakeClock()
    first = RateLimiter("conn:hold", ((600, 60),), clock=clock, bucket_of=endpoint_template)
    second = RateLimiter("conn:hold", ((600, 60),), clock=clock, bucket_of=endpoint_template)  # another worker
    assert first.per_endpoint and not RateLimiter("conn:x", ((1, 1),)).per_endpoint

    first.hold("/orders", 7.0)  # eAccounting said: try /orders again in 7 seconds
    second.hold("/orders?$page=2", 2.0)  # a shorter wait told later does not cut it short

    assert second.acquire("/customers") == 0.0  # another endpoint goes on
    assert second.acquire("/orders") == pytest.approx(7.0)
    assert first.acquire("/orders") == pytest.approx(slot_interval(600, 60))  # then the usual pace
