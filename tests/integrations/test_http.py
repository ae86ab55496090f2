"""The resilient HTTP layer: retries, Retry-After, unsafe POSTs, redaction, typed errors."""

import random

import pytest
import requests
import responses

from integrations.http import (
    AuthError,
    HttpClient,
    NotFound,
    RateLimited,
    Redactor,
    RemoteDown,
    RetryPolicy,
    ValidationFailed,
    parse_retry_after,
    record_calls,
)
from tests.fakes import FakeClock

BASE = "https://api.example.test"


class StaticAuth:
    def __init__(self, token="tok-static-123456", refreshed_token=None):
        self.token = token
        self.refreshed_token = refreshed_token
        self.refreshes = 0

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self):
        self.refreshes += 1
        if self.refreshed_token:
            self.token = self.refreshed_token
            return True
        return False


def make_client(clock=None, policy=None, auth=None, secrets=()):
    return HttpClient(
        system="test",
        base_url=BASE,
        session_key=f"test-{random.random()}",
        auth=auth,
        clock=clock or FakeClock(),
        policy=policy or RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, jitter=0.0),
        rng=random.Random(1),
        redactor=Redactor(lambda: list(secrets)),
    )


@responses.activate
def test_retry_after_seconds_is_honoured_without_sleeping():
    clock = FakeClock()
    responses.get(f"{BASE}/items", status=429, headers={"Retry-After": "7"})
    responses.get(f"{BASE}/items", status=503, headers={"Retry-After": "3"})
    responses.get(f"{BASE}/items", json={"ok": True})
    response = make_client(clock).request("GET", "/items")
    assert response.json() == {"ok": True}
    assert clock.sleeps == [7.0, 3.0]
    assert len(responses.calls) == 3


@responses.activate
def test_retry_after_http_date_and_unix_timestamp():
    clock = FakeClock(start=1_800_000_000.0)
    http_date = "Fri, 15 Jan 2027 08:00:10 GMT"  # 1800000010
    responses.get(f"{BASE}/a", status=429, headers={"Retry-After": http_date})
    responses.get(f"{BASE}/a", status=429, headers={"Retry-After": str(1_800_000_010 + 5)})
    responses.get(f"{BASE}/a", json={})
    make_client(clock).request("GET", "/a")
    assert clock.sleeps == [10.0, 5.0]


def test_parse_retry_after_edge_cases():
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("garbage", now=0) is None
    assert parse_retry_after("-3", now=0) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=2_000_000_000) == 0.0


@responses.activate
def test_exponential_backoff_with_jitter_when_no_retry_after():
    clock = FakeClock()
    for _ in range(3):
        responses.get(f"{BASE}/x", status=502)
    responses.get(f"{BASE}/x", json={})
    client = make_client(clock, policy=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0, jitter=0.5))
    client.request("GET", "/x")
    assert len(clock.sleeps) == 3
    bases = [1.0, 2.0, 3.0]  # doubling, capped at max_delay
    for slept, base in zip(clock.sleeps, bases, strict=True):
        assert base <= slept <= base * 1.5


@responses.activate
def test_gives_up_after_max_attempts_with_remote_down():
    clock = FakeClock()
    responses.get(f"{BASE}/x", status=503)
    with pytest.raises(RemoteDown) as exc:
        make_client(clock).request("GET", "/x")
    assert exc.value.status == 503
    assert len(responses.calls) == 4
    assert len(clock.sleeps) == 3


@responses.activate
def test_long_retry_after_is_not_waited_out_in_a_worker():
    clock = FakeClock()
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as exc:
        make_client(clock).request("GET", "/x")
    assert exc.value.retry_after == 3600
    assert clock.sleeps == []


@responses.activate
def test_a_gateway_timeout_asking_a_long_wait_may_still_have_done_the_write():
    """A 504 after the remote did the work says Retry-After like a 503 would: only 429/503 prove nothing was done."""
    responses.post(f"{BASE}/invoices", status=504, headers={"Retry-After": "600"})
    with pytest.raises(RemoteDown) as exc:
        make_client(FakeClock()).request("POST", "/invoices", json_body={"n": 1})
    assert exc.value.maybe_sent is True and exc.value.retry_after == 600
    assert len(responses.calls) == 1


@responses.activate
def test_post_is_not_repeated_after_it_may_have_reached_the_server():
    responses.post(f"{BASE}/invoices", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(RemoteDown) as exc:
        make_client().request("POST", "/invoices", json_body={"n": 1})
    assert exc.value.maybe_sent is True
    assert len(responses.calls) == 1

    responses.post(f"{BASE}/orders", status=504)
    with pytest.raises(RemoteDown) as exc:
        make_client().request("POST", "/orders", json_body={})
    assert exc.value.maybe_sent is True
    assert len([c for c in responses.calls if c.request.url.endswith("/orders")]) == 1


@responses.activate
def test_post_is_retried_when_it_never_reached_the_server_or_was_refused():
    responses.post(f"{BASE}/invoices", body=requests.ConnectTimeout("connect timeout"))
    responses.post(f"{BASE}/invoices", status=429, headers={"Retry-After": "1"})
    responses.post(f"{BASE}/invoices", status=201, headers={"Location": f"{BASE}/invoices/7"})
    response = make_client().request("POST", "/invoices", json_body={})
    assert response.status_code == 201
    assert len(responses.calls) == 3


@responses.activate
def test_caller_may_declare_a_post_safe_to_repeat():
    responses.post(f"{BASE}/graphql", body=requests.ReadTimeout("read timed out"))
    responses.post(f"{BASE}/graphql", json={"data": {}})
    assert make_client().request("POST", "/graphql", json_body={}, retry_unsafe=True).json() == {"data": {}}


@responses.activate
@pytest.mark.parametrize(
    "status, error",
    [(400, ValidationFailed), (422, ValidationFailed), (401, AuthError), (403, AuthError), (404, NotFound)],
)
def test_status_codes_map_to_typed_errors(status, error):
    responses.get(f"{BASE}/thing", status=status, json={"message": f"remote says {status}"})
    with pytest.raises(error) as exc:
        make_client().request("GET", "/thing")
    assert exc.value.message == f"remote says {status}"
    assert exc.value.status == status


@responses.activate
def test_401_refreshes_credentials_once_and_retries():
    auth = StaticAuth(token="old-token-abcdef", refreshed_token="new-token-abcdef")
    responses.get(f"{BASE}/me", status=401, json={"message": "expired"})
    responses.get(f"{BASE}/me", json={"me": 1})
    assert make_client(auth=auth).request("GET", "/me").json() == {"me": 1}
    assert auth.refreshes == 1
    assert responses.calls[1].request.headers["Authorization"] == "Bearer new-token-abcdef"


@responses.activate
def test_401_after_refresh_is_an_auth_error():
    auth = StaticAuth(token="old-token-abcdef", refreshed_token="new-token-abcdef")
    responses.get(f"{BASE}/me", status=401, json={"message": "nope"})
    with pytest.raises(AuthError):
        make_client(auth=auth).request("GET", "/me")
    assert auth.refreshes == 1
    assert len(responses.calls) == 2


@responses.activate
def test_recorded_calls_never_contain_tokens_or_secrets():
    token = "tok-very-secret-998877"
    client_secret = "client-secret-445566"
    responses.post(
        f"{BASE}/token",
        json={"access_token": token, "refresh_token": "rt-112233445566", "note": f"echo {client_secret}"},
        headers={"Set-Cookie": "session=abcdef123456"},
    )
    client = make_client(auth=StaticAuth(token=token), secrets=[token, client_secret, "rt-112233445566"])
    with record_calls() as calls:
        client.request(
            "POST",
            f"/token?api_key={client_secret}&page=2",
            data={"grant_type": "refresh_token", "client_secret": client_secret, "code": "auth-code-123"},
        )
    assert len(calls) == 1
    text = repr(calls)
    for secret in (token, client_secret, "rt-112233445566", "auth-code-123"):
        assert secret not in text
    call = calls[0]
    assert call["request_headers"]["Authorization"] == "***"
    assert call["request_body"]["grant_type"] == "refresh_token"
    assert "page=2" in call["url"]
    assert call["status"] == 200 and call["method"] == "POST"


@responses.activate
def test_every_attempt_is_recorded():
    responses.get(f"{BASE}/r", status=503)
    responses.get(f"{BASE}/r", json={"x": 1})
    with record_calls() as calls:
        make_client().request("GET", "/r")
    assert [(c["status"], c["attempt"]) for c in calls] == [(503, 1), (200, 2)]


@responses.activate
def test_error_messages_are_redacted_too():
    secret = "leaky-token-000111"
    responses.get(f"{BASE}/x", status=400, json={"message": f"bad token {secret}"})
    with pytest.raises(ValidationFailed) as exc:
        make_client(secrets=[secret]).request("GET", "/x")
    assert secret not in str(exc.value) and "***" in exc.value.message
