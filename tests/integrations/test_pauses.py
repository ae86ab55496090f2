"""The remote's "wait" pauses the whole connection, for every client of it, in any process."""

import threading
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import responses
from django.db import connection as db_connection

from integrations.clients import http_client_for
from integrations.http import ConnectionPaused, RateLimited, RetryPolicy
from integrations.models import Connection
from integrations.pauses import connection_pause_start, until_text
from integrations.services import connection_test
from tests.factories import ConnectionFactory
from tests.fakes import FakeClock

START = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
URL = "https://centra.example.com/api/orders"


@pytest.fixture
def conn(db):
    return ConnectionFactory(system="centra", secrets={"api_token": "pause-test-token-123"})


def worker(conn, clock=None):
    """One client of the connection, as a flow in some worker process builds it."""
    connection = Connection.objects.get(pk=conn.pk)  # its own copy of the row
    return http_client_for(
        connection, clock=clock or FakeClock(START), policy=RetryPolicy(max_attempts=3, jitter=0.0)
    )


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(START + seconds, UTC)


@responses.activate
def test_a_long_retry_after_pauses_the_connection_for_every_client(conn):
    responses.get(URL, status=429, headers={"Retry-After": "3600"}, json={"message": "Too many requests"})
    first = worker(conn)
    with pytest.raises(ConnectionPaused) as caught:
        first.request("GET", URL)
    assert caught.value.until == at(3600)
    assert isinstance(caught.value, RateLimited)  # callers that knew RateLimited still understand it
    conn.refresh_from_db()
    assert conn.paused_until == at(3600)
    assert conn.pause_reason == "HTTP 429 to GET /api/orders with Retry-After: 3600"

    other_clock = FakeClock(START + 60)
    second = worker(conn, other_clock)  # another worker, a minute later
    with pytest.raises(ConnectionPaused) as held:
        second.request("GET", URL)
    assert len(responses.calls) == 1, "a paused connection must not be called"
    assert other_clock.sleeps == []  # a long pause is not slept through in a worker
    assert held.value.until == at(3600)
    assert "until 10:00" in held.value.message  # 09:00 UTC in the site's time zone (Stockholm)

    responses.replace(responses.GET, URL, json={"ok": True})
    other_clock.now = START + 3600  # the pause is over: calls go out again
    assert second.request("GET", URL).json() == {"ok": True}
    assert len(responses.calls) == 2


@responses.activate
def test_a_short_wait_is_waited_out_by_every_worker_before_it_sends(conn):
    responses.get(URL, status=429, headers={"Retry-After": "30"})
    responses.get(URL, json={"n": 1})
    first_clock, second_clock = FakeClock(START), FakeClock(START + 10)
    first, second = worker(conn, first_clock), worker(conn, second_clock)

    assert first.request("GET", URL).json() == {"n": 1}
    assert first_clock.sleeps == [30.0]
    sent_before = len(responses.calls)
    second.request("GET", URL)  # 10 s into the 30 s wait the remote asked for
    # the rest of the shared pause first (then, maybe, the rate limiter's own spacing)
    assert second_clock.sleeps[0] == 20.0, "the second worker must wait out the rest of the shared pause"
    assert len(responses.calls) == sent_before + 1


@responses.activate
def test_retry_after_as_an_http_date_pauses_until_that_moment(conn):
    until = at(2 * 3600)
    responses.get(URL, status=429, headers={"Retry-After": format_datetime(until, usegmt=True)})
    with pytest.raises(ConnectionPaused) as caught:
        worker(conn).request("GET", URL)
    assert caught.value.until == until
    conn.refresh_from_db()
    assert conn.paused_until == until
    assert "Retry-After: Fri, 15 Jan 2027 10:00:00 GMT" in conn.pause_reason


@responses.activate
@pytest.mark.parametrize("reset", ["900", str(int(START) + 900)])  # seconds (Visma.net) or a unix timestamp
def test_a_429_without_retry_after_pauses_until_the_rate_limit_reset(conn, reset):
    responses.get(URL, status=429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    with pytest.raises(ConnectionPaused) as caught:
        worker(conn).request("GET", URL)
    assert caught.value.until == at(900)
    assert len(responses.calls) == 1
    conn.refresh_from_db()
    assert conn.paused_until == at(900) and f"X-RateLimit-Reset: {reset}" in conn.pause_reason


@responses.activate
def test_a_503_with_retry_after_pauses_too(conn):
    responses.get(URL, status=503, headers={"Retry-After": "600"})
    with pytest.raises(ConnectionPaused):
        worker(conn).request("GET", URL)
    conn.refresh_from_db()
    assert conn.paused_until == at(600)


def test_a_shorter_answer_never_cuts_a_longer_pause_short(conn):
    assert connection_pause_start(connection_id=conn.pk, until=at(3600), reason="long") == at(3600)
    assert connection_pause_start(connection_id=conn.pk, until=at(10), reason="short") == at(3600)
    conn.refresh_from_db()
    assert (conn.paused_until, conn.pause_reason) == (at(3600), "long")
    assert connection_pause_start(connection_id=conn.pk, until=at(7200), reason="longer") == at(7200)


@responses.activate
def test_testing_a_paused_connection_says_until_when_and_leaves_its_status(conn, monkeypatch):
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock(START))
    Connection.objects.filter(pk=conn.pk).update(status="connected")
    connection_pause_start(connection_id=conn.pk, until=at(3600), reason="HTTP 429 to POST /graphql")
    result = connection_test(connection=Connection.objects.get(pk=conn.pk))
    assert not result.ok
    assert result.message.startswith("Centra asked us to wait until 10:00")
    assert len(responses.calls) == 0
    conn.refresh_from_db()
    assert conn.status == "connected"


def test_until_text_is_short_today_and_dated_otherwise():
    now = at(0)
    # In the site's time zone (Europe/Stockholm, UTC+1 in January), as every other time on the page.
    assert until_text(at(3600), now=now) == "10:00"
    assert until_text(at(3630), now=now) == "10:00:30"
    assert until_text(at(86400), now=now) == "2027-01-16 09:00"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@responses.activate
def test_a_pause_taken_by_one_worker_holds_workers_in_other_database_sessions():
    conn = ConnectionFactory(system="centra", secrets={"api_token": "pause-test-token-123"})
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    outcome = {}

    def run(name):
        try:
            client = worker(conn)
            try:
                client.request("GET", URL)
            except ConnectionPaused as exc:
                outcome[name] = exc.until
        finally:
            db_connection.close()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    first.join()
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join()
    assert outcome == {"first": at(3600), "second": at(3600)}
    assert len(responses.calls) == 1, "the second worker sent a request to a paused connection"


@responses.activate
@pytest.mark.parametrize("asked", ["1e300", "inf", "31536000000", "99999999999999999999"])
def test_an_absurdly_long_wait_pauses_the_connection_for_a_day_and_sends_nothing_more(conn, asked):
    responses.get(URL, status=429, headers={"Retry-After": asked}, json={"message": "Too many requests"})
    with pytest.raises(ConnectionPaused) as caught:
        worker(conn).request("GET", URL)
    assert caught.value.until == at(24 * 3600)
    with pytest.raises(ConnectionPaused):
        worker(conn, FakeClock(START + 60)).request("GET", URL)
    assert len(responses.calls) == 1


@pytest.mark.parametrize("asked", ["NaN", "-inf", "soon", ""])
def test_an_unreadable_wait_is_no_wait_at_all(asked):
    from integrations.http import parse_retry_after

    assert parse_retry_after(asked, now=START) in (None, 0.0)
