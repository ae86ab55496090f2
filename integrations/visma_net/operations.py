"""What the Visma.net client's operations send and read back, besides the payloads of schemas.py.

The `@operation(METHOD, path)` marker, filter times, the new record's number from a Location
header, VAT rates of a category on a date, action results, and the query-parameter and
exact-match helpers the client uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote, urlsplit

import requests

from integrations.http import RemoteError

from .keys import key_decode


def operation(method: str, path: str) -> Callable:
    """Mark a client method with the API operation it calls (read by contract tests and build_subset.py)."""

    def decorate(fn: Callable) -> Callable:
        fn.visma_operation = (method, path)
        return fn

    return decorate


def filter_time(moment: datetime | date) -> str:
    """A lastModifiedDateTime filter value: UTC, `yyyy-MM-ddTHH:mm:ss.FFF` (a format the spec accepts)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return moment.isoformat()


def number_from_location(response: requests.Response) -> str:
    """The new record's number: the last segment of the Location header (a `b64(...)` key decoded)."""
    location = response.headers.get("Location", "")
    number = unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]) if location else ""
    try:
        number = key_decode(number)
    except ValueError:
        pass  # not ours to judge: keep what the ERP wrote
    if not number:
        raise RemoteError(
            f"Visma.net answered {response.status_code} to a create without a Location header: "
            "the record may exist; search for it before trying again.",
            system="visma_net",
            status=response.status_code,
            method=response.request.method if response.request else "",
            url=response.url,
            maybe_sent=True,
        )
    return number


def vat_category_rate(category: dict, *, on: date | None = None) -> Decimal:
    """The VAT rate (percent) of a VatCategoryDto on a date: the sum of its lines' rates in force then."""
    on_text = (on or date.today()).isoformat()
    total = Decimal("0")
    for line in category.get("vatCategoryLines") or []:
        rates = sorted(
            (r for r in line.get("vatRates") or [] if str(r.get("startDate") or "")[:10] <= on_text),
            key=lambda r: str(r.get("startDate") or ""),
        )
        if rates:
            total += Decimal(str(rates[-1].get("vatRate") or 0))
    return total


@dataclass(frozen=True)
class ActionResult:
    """What an action (release) answered: actionResult Done/Queued/InProcess (Failed is raised)."""

    action_id: str
    result: str
    error: str = ""


def _clean(params: dict | None) -> dict | None:
    """Drop None; booleans as the lower-case words the API expects."""
    if not params:
        return None
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items() if v is not None}


def _first_exact(records: Iterator[dict], field: str, value: str) -> dict | None:
    for record in records:
        if str(record.get(field) or "") == value:
            return record
    return None
