"""The shared rate limiter paces calls before the remote has to answer 429."""

import threading
import time

import pytest
from django.db import connection as db_connection

from integrations.ratelimit import RateLimiter
from tests.fakes import FakeClock


@pytest.mark.django_db
def test_calls_are_evenly_spaced():
    clock = FakeClock()
    limiter = RateLimiter("conn:1", ((3, 9),), clock=clock)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == pytest.approx([0.0, 3.0, 3.0, 3.0])
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
    assert second.acquire() == pytest.approx(5.0)  # waits for the slot the first one took
    other = RateLimiter("conn:4", ((2, 10),), clock=clock)
    assert other.acquire() == 0.0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_exceed_the_window():
    count, period = 5, 0.5
    starts: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter = RateLimiter("conn:threads", ((count, period),))
        try:
            for _ in range(6):
                limiter.acquire()
                with lock:
                    starts.append(time.time())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 12
    # Each start is read after its slot, by a thread the OS may run a little late: allow that much jitter.
    for i in range(len(starts) - count):
        assert starts[i + count] - starts[i] >= period - 0.05


@pytest.mark.django_db
def test_a_limiter_with_buckets_keeps_one_budget_per_endpoint_shared_by_its_instances():
    from integrations.ratelimit import endpoint_template

    clock = FakeClock()
    first = RateLimiter("conn:5", ((2, 10),), clock=clock, bucket_of=endpoint_template)
    second = RateLimiter("conn:5", ((2, 10),), clock=clock, bucket_of=endpoint_template)  # another worker
    assert first.acquire("/orders") == 0.0
    assert first.acquire("/customers") == 0.0  # another endpoint: its own budget
    assert first.acquire("/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6") == 0.0  # /orders/{id} apart
    assert second.acquire("/orders?$page=2") == pytest.approx(5.0)  # the same endpoint, across workers


@pytest.mark.django_db
def test_a_limiter_without_buckets_ignores_the_path():
    clock = FakeClock()
    limiter = RateLimiter("conn:6", ((2, 10),), clock=clock)
    assert limiter.acquire("/orders") == 0.0
    assert limiter.acquire("/customers") == pytest.approx(5.0)
