"""The one way Koppla talks HTTP to a remote system.

`HttpClient` wraps a `requests.Session` per connection and owns:
- connect/read timeouts;
- retries with exponential backoff and jitter on 429, 502, 503, 504 and
  connection errors, honouring `Retry-After` (seconds, HTTP date or a unix
  timestamp); a request that may have reached the server (read timeout, 502,
  504) is retried only when it is idempotent or the caller says it is safe;
- the connection's pause (see pauses.py): the wait a 429/503 asks for is
  stored for the whole connection and checked before every request, so no
  worker sends anything before it ends; where the remote counts its quota per
  endpoint (the limiter's `per_endpoint`), a 429's wait of up to
  `max_retry_after` holds only that endpoint's budget, for every worker;
- the shared rate limiter (see ratelimit.py), so workers slow down before the
  remote answers 429;
- one token refresh and retry on 401 when the auth can refresh;
- recording of every exchange with secrets redacted (see `record_calls`, redaction.py);
- typed errors mapped from each system's own error shape (`error_parser`).

The errors live in remote_errors.py and the clock, retry policy and Retry-After reading in
retry.py; both are importable from here as before.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from .error_text import error_text
from .redaction import Redactor
from .remote_errors import (
    AuthError,
    ConfigurationError,
    ConnectionPaused,
    NotFound,
    RateLimited,
    RemoteDown,
    RemoteError,
    ValidationFailed,
)
from .retry import (
    MAX_ASKED_WAIT,
    SYSTEM_CLOCK,
    Clock,
    RetryPolicy,
    SystemClock,
    may_have_reached_server,
    parse_retry_after,
)
from .systems import system_label

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_ASKED_WAIT",
    "SYSTEM_CLOCK",
    "Auth",
    "AuthError",
    "Clock",
    "ConfigurationError",
    "ConnectionPaused",
    "ErrorParser",
    "HttpClient",
    "NotFound",
    "RateLimited",
    "Redactor",
    "RemoteDown",
    "RemoteError",
    "RetryPolicy",
    "SystemClock",
    "ValidationFailed",
    "WaitReader",
    "default_error_parser",
    "may_have_reached_server",
    "parse_retry_after",
    "record_calls",
    "record_response_hook",
    "response_error_text",
    "session_for",
]

logger = logging.getLogger("koppla.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


# --------------------------------------------------------------------------- recording
_recorders: ContextVar[tuple[list, ...]] = ContextVar("koppla_http_recorders", default=())


@contextlib.contextmanager
def record_calls() -> Iterator[list[dict]]:
    """Collect every remote exchange made inside the block (already redacted)."""
    calls: list[dict] = []
    token = _recorders.set((*_recorders.get(), calls))
    try:
        yield calls
    finally:
        _recorders.reset(token)


def _emit(exchange: dict) -> None:
    for calls in _recorders.get():
        calls.append(exchange)
    logger.debug(
        "%s %s -> %s in %s ms", exchange["method"], exchange["url"], exchange.get("status"), exchange["duration_ms"]
    )


def record_response_hook(redactor: Redactor, *, system: str) -> Callable:
    """A requests response hook that records exchanges made by other session users (e.g. OAuth2Session)."""

    def hook(response: requests.Response, *args, **kwargs):
        request = response.request
        _emit(
            {
                "system": system,
                "method": request.method,
                "url": redactor.url(request.url),
                "status": response.status_code,
                "duration_ms": int(response.elapsed.total_seconds() * 1000),
                "attempt": 1,
                "at": timezone.localtime().isoformat(timespec="seconds"),
                "request_headers": redactor.headers(request.headers),
                "request_body": redactor.body(request.body, request.headers.get("Content-Type", "")),
                "response_body": redactor.body(response.content, response.headers.get("Content-Type", "")),
            }
        )
        return response

    return hook


# --------------------------------------------------------------------------- sessions
_local = threading.local()


def session_for(key: str, base_url: str) -> requests.Session:
    """One session per connection (per thread: requests.Session is not thread-safe)."""
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    session = sessions.get(key)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = "Koppla/0.1 (+https://github.com/koppla)"
        if getattr(settings, "SANDBOX_ENABLED", False):
            from integrations.sandbox.inprocess import mount_inprocess

            mount_inprocess(session)
        sessions[key] = session
    return session


# --------------------------------------------------------------------------- client
class Auth(Protocol):
    def headers(self) -> dict[str, str]: ...

    def refresh(self) -> bool:
        """Get new credentials after a 401; True when a retry makes sense."""
        ...


ErrorParser = Callable[[requests.Response], str]
# Seconds a 429/503 asks to wait when it says so in its body, not in a header (eAccounting's "Try again in
# 55 seconds."); None when the body names no wait.
WaitReader = Callable[[requests.Response], float | None]


def response_error_text(response: requests.Response) -> str:
    """A non-JSON error answer (plain text, or a gateway's HTML page) as one readable sentence."""
    return error_text(
        response.text or "",
        status=response.status_code,
        reason=response.reason or "",
        content_type=response.headers.get("Content-Type", ""),
    )


def default_error_parser(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response_error_text(response)
    if isinstance(body, dict):
        for key in ("message", "Message", "error_description", "error", "ExceptionMessage"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    return json.dumps(body)[:500]


@dataclass
class HttpClient:
    system: str
    base_url: str
    session_key: str
    auth: Auth | None = None
    limiter: Any = None  # integrations.ratelimit.RateLimiter
    pause: Any = None  # integrations.pauses.ConnectionPause: the connection's shared "wait"
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = SYSTEM_CLOCK
    rng: random.Random = field(default_factory=random.Random)
    timeout: tuple[float, float] | None = None
    error_parser: ErrorParser = default_error_parser
    redactor: Redactor = field(default_factory=Redactor)
    wait_reader: WaitReader | None = None

    def __post_init__(self):
        if self.timeout is None:
            self.timeout = (
                float(getattr(settings, "HTTP_CONNECT_TIMEOUT", 5)),
                float(getattr(settings, "HTTP_READ_TIMEOUT", 30)),
            )

    @property
    def session(self) -> requests.Session:
        return session_for(self.session_key, self.base_url)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: dict | None = None,
        retry_unsafe: bool = False,
        allow_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send a request; returns the response or raises a RemoteError subclass.

        `retry_unsafe=True` lets a non-idempotent request be retried after it may
        have reached the server (e.g. a GraphQL query sent as POST).
        `allow_statuses` are error statuses returned to the caller instead of raised.
        """
        method = method.upper()
        url = self.url(path)
        safe_to_repeat = method in IDEMPOTENT_METHODS or retry_unsafe
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if self.pause is not None:
                self.pause.wait(max_wait=self.policy.max_retry_after)  # ConnectionPaused for a long one
            if self.limiter is not None:
                self.limiter.acquire(path)
            request_headers = {**(self.auth.headers() if self.auth else {}), **(headers or {})}
            started = self.clock.time()
            response = None
            try:
                response = self.session.request(
                    method, url, params=params, json=json_body, data=data, headers=request_headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reached = may_have_reached_server(exc)
                self._record(method, url, params, json_body, data, request_headers, None, started, attempt, error=exc)
                if (not reached or safe_to_repeat) and attempt < self.policy.max_attempts:
                    self.clock.sleep(self.policy.backoff(attempt, self.rng))
                    continue
                kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                raise RemoteDown(
                    f"{system_label(self.system)} {kind} after {attempt} attempt(s): {type(exc).__name__}",
                    system=self.system,
                    method=method,
                    url=self.redactor.url(url),
                    maybe_sent=reached,
                ) from exc
            self._record(method, url, params, json_body, data, request_headers, response, started, attempt)
            status = response.status_code

            if status in self.policy.retry_statuses:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self.clock.time())
                if retry_after is None and self.wait_reader is not None:
                    retry_after = self.wait_reader(response)
                endpoint_wait = (
                    status == 429
                    and getattr(self.limiter, "per_endpoint", False)
                    and retry_after is not None
                    and retry_after <= self.policy.max_retry_after
                )
                if endpoint_wait:  # the quota of this endpoint alone: hold its bucket for every worker
                    self.limiter.hold(path, retry_after)
                elif self.pause is not None:  # share the wait; ConnectionPaused when it is long
                    retry_after = self.pause.answered(response, method, url, client=self, retry_after=retry_after)
                not_processed = status in (429, 503)
                if retry_after is not None and retry_after > self.policy.max_retry_after:
                    # a 502/504 may come after the remote did the work: only 429/503 say it did not
                    raise self._error(response, method, url, retry_after=retry_after, maybe_sent=not not_processed)
                if (not_processed or safe_to_repeat) and attempt < self.policy.max_attempts:
                    self.clock.sleep(retry_after if retry_after is not None else self.policy.backoff(attempt, self.rng))
                    continue
                raise self._error(response, method, url, retry_after=retry_after, maybe_sent=not not_processed)

            if status == 401 and self.auth is not None and not refreshed and status not in allow_statuses:
                refreshed = True
                if self.auth.refresh():
                    attempt -= 1  # a refreshed retry is not a failed attempt
                    continue

            if status >= 400 and status not in allow_statuses:
                raise self._error(response, method, url)
            return response

    # -- helpers ------------------------------------------------------------
    def _error(self, response, method, url, *, retry_after=None, maybe_sent=False) -> RemoteError:
        status = response.status_code
        message = self.error_parser(response) or response.reason or f"HTTP {status}"
        message = self.redactor.text(message)
        cls = (
            AuthError
            if status in (401, 403)
            else NotFound
            if status == 404
            else RateLimited
            if status == 429
            else ValidationFailed
            if status in (400, 409, 412, 422)
            else RemoteDown
            if status >= 500
            else RemoteError
        )
        body = self.redactor.body(response.content, response.headers.get("Content-Type", ""))
        return cls(
            message,
            system=self.system,
            status=status,
            method=method,
            url=self.redactor.url(url),
            body=body,
            retry_after=retry_after,
            maybe_sent=maybe_sent,
        )

    def _record(self, method, url, params, json_body, data, headers, response, started, attempt, error=None):
        full_url = url
        if params:
            full_url = f"{url}?{urlencode(params, doseq=True)}"
        if json_body is not None:
            request_body = self.redactor.data(json_body)
        elif data is not None:
            request_body = self.redactor.body(
                urlencode(data) if isinstance(data, dict) else data, "application/x-www-form-urlencoded"
            )
        else:
            request_body = None
        exchange = {
            "system": self.system,
            "method": method,
            "url": self.redactor.url(full_url),
            "status": response.status_code if response is not None else None,
            "duration_ms": int((self.clock.time() - started) * 1000),
            "attempt": attempt,
            "at": timezone.localtime().isoformat(timespec="seconds"),
            "request_headers": self.redactor.headers(headers),
            "request_body": request_body,
            "response_body": (
                self.redactor.body(response.content, response.headers.get("Content-Type", ""))
                if response is not None
                else None
            ),
        }
        if response is not None:
            location = response.headers.get("Location")
            if location:
                exchange["response_location"] = self.redactor.url(location)
        if error is not None:
            exchange["error"] = f"{type(error).__name__}: {self.redactor.text(str(error))[:300]}"
        _emit(exchange)
