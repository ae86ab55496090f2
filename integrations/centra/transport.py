"""The plumbing of the Centra client: one GraphQL operation, its errors, and `limit`/`page` lists.

`CentraTransport` runs an operation (`execute`), a mutation with its userErrors
(`mutate`) and pages through a list (`pages`); the facts of the API it relies on
are in client.py's docstring. CentraClient (client.py) builds on it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import requests

from integrations.clients import http_client_for
from integrations.http import (
    SYSTEM_CLOCK,
    AuthError,
    Clock,
    RemoteError,
    RetryPolicy,
    ValidationFailed,
    response_error_text,
)
from integrations.listing import listing_page_read
from integrations.models import Connection

from . import queries as q

logger = logging.getLogger("koppla.centra")

SYSTEM = "centra"
DEFAULT_PAGE_SIZE = 100
AUTH_CATEGORIES = frozenset({"authorization", "authentication"})


# --------------------------------------------------------------------------- errors
def errors_message(errors: Any) -> str:
    """The messages of a GraphQL `errors` list, joined ('' when there are none)."""
    if not isinstance(errors, list):
        return ""
    messages = []
    for error in errors:
        if isinstance(error, dict):
            message = str(error.get("message") or "").strip()
            where = ".".join(str(p) for p in error.get("path") or [])
            messages.append(f"{where}: {message}" if where and message else message)
        elif error:
            messages.append(str(error))
    return "; ".join(m for m in messages if m)


def user_errors_message(errors: list[dict]) -> str:
    """'path: message' for each userError, joined with '; '."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("path") or [])
        message = str(error.get("message") or "").strip() or "invalid input"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def centra_error_message(response: requests.Response) -> str:
    """error_parser for HttpClient: the GraphQL error messages of an HTTP error answer."""
    try:
        body = response.json()
    except ValueError:
        return response_error_text(response)  # e.g. a gateway's HTML page: its title, not its markup
    if isinstance(body, dict):
        message = errors_message(body.get("errors")) or str(body.get("message") or "")
        if message:
            return message
    return json.dumps(body)[:500]


def _categories(errors: list) -> set[str]:
    return {str((error.get("extensions") or {}).get("category") or "") for error in errors if isinstance(error, dict)}


# --------------------------------------------------------------------------- values
def time_filter(moment: date | datetime | str) -> str:
    """A DateTimeTz filter value: ISO 8601 with an offset (a date means its midnight, UTC)."""
    if isinstance(moment, str):
        return moment
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC).isoformat()


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- transport
class CentraTransport:
    """Centra's GraphQL endpoint for one Connection: operations, mutations and paged lists."""

    def __init__(
        self,
        connection: Connection,
        *,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ):
        self.connection = connection
        self.page_size = page_size
        self.http = http_client_for(
            connection, error_parser=centra_error_message, clock=clock or SYSTEM_CLOCK, policy=policy
        )
        self._pricelists: list[dict] | None = None

    # -- plumbing -----------------------------------------------------------
    def execute(self, document: str, variables: dict | None = None, *, safe: bool = True) -> dict:
        """Run one operation; returns `data`. `safe`: may be repeated after it may have reached Centra."""
        operation = q.operation_name(document)
        body = {"query": document, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        response = self.http.request("POST", self.http.base_url, json_body=body, retry_unsafe=safe)
        try:
            payload = response.json(parse_float=Decimal)
        except ValueError:
            raise RemoteError(
                f"Centra answered {operation or 'a request'} with something that is not JSON: "
                f"{response_error_text(response)}",
                system=SYSTEM,
                status=response.status_code,
                method="POST",
                url=self.http.redactor.url(response.url),
                body=self.http.redactor.body(response.content, response.headers.get("Content-Type", "")),
            ) from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            message = self.http.redactor.text(errors_message(errors) or "Centra reported an error without a message.")
            auth = bool(_categories(errors) & AUTH_CATEGORIES)
            cls = AuthError if auth else ValidationFailed
            if auth:
                message = f"{message} Check the API token and its permissions on the Centra connection."
            raise cls(
                f"{operation or 'Centra'}: {message}" if not auth else message,
                system=SYSTEM,
                status=response.status_code,
                method="POST",
                url=self.http.redactor.url(response.url),
                body=self.http.redactor.data(payload),
            )
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise RemoteError(
                f"Centra answered {operation or 'a request'} without data.",
                system=SYSTEM,
                status=response.status_code,
                method="POST",
                url=self.http.redactor.url(response.url),
            )
        return data

    def mutate(self, document: str, variables: dict, field: str, *, safe: bool) -> dict:
        """Run a mutation; returns its payload, or ValidationFailed with the userErrors."""
        data = self.execute(document, variables, safe=safe)
        result = data.get(field) or {}
        errors = result.get("userErrors") or []
        if errors:
            raise ValidationFailed(
                f"Centra refused {field}: {user_errors_message(errors)}",
                system=SYSTEM,
                status=200,
                method="POST",
                url=self.http.redactor.url(self.http.base_url),
                body=self.http.redactor.data({"userErrors": errors, "variables": variables}),
            )
        for warning in result.get("userWarnings") or []:
            logger.info("Centra %s warning: %s", field, warning.get("message"))
        return result

    def pages(self, document: str, field: str, variables: dict | None = None) -> Iterator[dict]:
        """Every node of a `limit`/`page` list, page by page, until a short (or empty) page."""
        page = 1
        previous_first = None
        while True:
            data = self.execute(document, {**(variables or {}), "limit": self.page_size, "page": page})
            nodes = data.get(field) or []
            if not nodes:
                return
            if previous_first is not None and nodes[0] == previous_first:
                raise RemoteError(
                    f"Centra returned page {page} of {field} twice: it does not page this request.", system=SYSTEM
                )
            previous_first = nodes[0]
            listing_page_read(records=len(nodes))
            yield from nodes
            if len(nodes) < self.page_size:
                return
            page += 1

    @staticmethod
    def _changed_where(updated_after: str, updated_from: date | datetime | str | None) -> dict:
        """The updatedAt filter: from the later of the two bounds (Centra's `from` is inclusive)."""
        bounds = [time_filter(b) for b in (updated_after, updated_from) if b]
        if not bounds:
            return {}
        return {"updatedAt": {"from": max(bounds, key=_moment)}}

    @staticmethod
    def _after(
        nodes: Iterable[dict], updated_after: str, updated_from: date | datetime | str | None = None
    ) -> Iterator[dict]:
        """Nodes stamped strictly after `updated_after` and at or after `updated_from` (either may be empty)."""
        if not updated_after and not updated_from:
            yield from nodes
            return
        after = _moment(updated_after) if updated_after else None
        start = _moment(time_filter(updated_from)) if updated_from else None
        for node in nodes:
            if not node.get("updatedAt"):
                continue
            moment = _moment(node["updatedAt"])
            if (after is None or moment > after) and (start is None or moment >= start):
                yield node
