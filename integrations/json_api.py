"""Plumbing shared by the JSON API clients whose errors carry a numeric code (Fortnox, Visma eAccounting).

- `operation(METHOD, path)` marks a client method with the API operation it calls; contract tests read
  `method.operation` to list the calls a client makes.
- `segment(key)` quotes a key as one path segment (article numbers may hold '/').
- `CodedJsonClient` sends through the connection's HttpClient (integrations/http.py: timeouts, retries,
  rate limits, redaction), parses JSON with numbers as Decimal, keeps the system's error code on the raised
  RemoteError as `code`, and raises a "not found" code as NotFound whatever the HTTP status (both systems
  answer some missing records with 400: api-notes fortnox-eaccounting.md § A and § B).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from integrations.http import HttpClient, NotFound, RemoteError


def operation(method: str, path: str) -> Callable:
    """Mark a client method with the API operation it calls (read by contract tests as `fn.operation`)."""

    def decorate(fn: Callable) -> Callable:
        fn.operation = (method, path)
        return fn

    return decorate


def segment(key: str) -> str:
    """A key as one path segment: every reserved character quoted ('/' too)."""
    return quote(str(key), safe="")


def json_read(response: requests.Response) -> Any:
    """The response's JSON with numbers as Decimal; None when the body is empty."""
    if not response.content:
        return None
    return response.json(parse_float=Decimal)


class CodedJsonClient:
    """Base of a client whose API puts a numeric code in its error bodies.

    Subclasses set `http` (an HttpClient) in __init__ and, as class attributes, `error_code` (a staticmethod: redacted error
    body → int | None) and `not_found_codes` (codes that mean "no such record")."""

    http: HttpClient
    error_code: ClassVar[Callable[[Any], int | None]]
    not_found_codes: ClassVar[Collection[int]] = frozenset()

    def request(self, method: str, path: str, **kwargs) -> Any:
        """Send; returns the parsed JSON (None when empty).

        Raises the HttpClient's RemoteError with the system's `code` set (None when the body has none); a code
        in `not_found_codes` is raised as NotFound (its `code` set too), chained to the original error."""
        try:
            response = self.http.request(method, path, **kwargs)
        except RemoteError as exc:
            exc.code = self.error_code(exc.body)
            if exc.code in self.not_found_codes and not isinstance(exc, NotFound):
                missing = NotFound(
                    exc.message, system=exc.system, status=exc.status, method=exc.method, url=exc.url, body=exc.body
                )
                missing.code = exc.code
                raise missing from exc
            raise
        return self._json(response)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        return json_read(response)

    def _get(self, path: str, params: dict | None = None) -> Any:
        """GET with the params that are not None or "" (an empty filter is left out, not sent blank)."""
        return self.request("GET", path, params={k: v for k, v in (params or {}).items() if v not in (None, "")})
