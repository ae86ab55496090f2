"""Centra GraphQL Integration API client: the only code that speaks HTTP to Centra.

One method per named operation of queries.py. Reads return the raw GraphQL
nodes (dicts) with numbers parsed as Decimal; errors are the typed errors of
`integrations.http`.

Facts of the API this client relies on (api-notes.md):
- `POST <base>/graphql` (connection.base_url ends with /graphql),
  `Authorization: Bearer <token>`; answers are HTTP 200 even when they carry
  errors, so every answer is checked: top-level `errors` with
  extensions.category "authorization"/"authentication" → AuthError, other
  top-level errors → ValidationFailed; a mutation's non-empty `userErrors` →
  ValidationFailed ("path: message; …"). userWarnings are logged.
- Rate limits answer 429 with Retry-After: the whole connection pauses until
  then, whichever bucket ran out (integrations/pauses.py); short waits are
  waited out, long ones stop the run.
- Queries are reads sent as POST: they are retried after a 5xx or timeout.
  Mutations are retried after they may have reached Centra only when
  repeating them is harmless (absolute sets and updates); creates are not.
- Lists page with `limit` + `page` (1-based); a page shorter than the limit is
  the last one (Centra gives no other end-of-list signal: its offset lists
  state no total; `counters` count with other filters than ours). The limit
  (100) is within Centra's suggested 20–100 per page, where no quiet cut is
  expected. Ids go in GraphQL variables, never in a path: no key escaping.
- There is no updatedAt filter in Centra's documentation; `updatedAt {from}`
  (inclusive) is sent (the sandbox honours it) and the result is filtered here
  again (`updatedAt >= updated_from`, or `> updated_after`), so a Centra that
  ignored it costs only time. Flows read from their cursor minus an overlap
  (`updated_from`), so a record stamped in the cursor's second is read again.

Parts: transport.py runs operations, maps errors and pages lists (CentraTransport);
client_catalogue.py holds the catalogue calls (CentraCatalogueCalls); this module
the connection check, orders, customers and returns. Import them all from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from . import queries as q
from .client_catalogue import EDITABLE_FIELDS, STOCK_CHUNK, CentraCatalogueCalls
from .transport import (
    AUTH_CATEGORIES,
    DEFAULT_PAGE_SIZE,
    SYSTEM,
    CentraTransport,
    centra_error_message,
    errors_message,
    time_filter,
    user_errors_message,
)

__all__ = [
    "ATTRIBUTE_ELEMENT_KEY",
    "AUTH_CATEGORIES",
    "DEFAULT_PAGE_SIZE",
    "EDITABLE_FIELDS",
    "STOCK_CHUNK",
    "SYSTEM",
    "CentraClient",
    "centra_error_message",
    "errors_message",
    "time_filter",
    "user_errors_message",
]

ATTRIBUTE_ELEMENT_KEY = "text"


# --------------------------------------------------------------------------- client
class CentraClient(CentraCatalogueCalls, CentraTransport):
    """Centra for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock)."""

    # -- connection ---------------------------------------------------------
    def ping(self) -> str:
        """One cheap read for the admin's "Test connection", in words without the system's name (the message
        names the connection): "2 stores: Retail (DIRECT_TO_CONSUMER), Wholesale (WHOLESALE); 19/20 requests
        left per 10 s"."""
        data = self.execute(q.PING)
        stores = data.get("stores") or []
        names = ", ".join(f"{s.get('name')} ({s.get('type')})" for s in stores) or "none"
        requests_left = next(
            (
                r
                for r in data.get("rateLimits") or []
                if r.get("type") == "REQUEST_COUNT" and int(r.get("intervalSeconds") or 0) <= 10
            ),
            None,
        )
        quota = (
            f"; {requests_left['remainingQuota']}/{requests_left['quota']} requests left per "
            f"{requests_left['intervalSeconds']} s"
            if requests_left
            else ""
        )
        return f"{len(stores)} store{'s' if len(stores) != 1 else ''}: {names}{quota}."

    # -- orders -------------------------------------------------------------
    def orders_changed(
        self,
        *,
        statuses: list[str],
        created_from: date | datetime | None = None,
        updated_after: str = "",
        updated_from: date | datetime | str | None = None,
    ) -> Iterator[dict]:
        """Orders in these statuses, created on/after `created_from`, changed after `updated_after`
        (exclusive) and on/after `updated_from` (inclusive), oldest change first (updatedAt, then number)."""
        where: dict[str, Any] = {}
        if statuses:
            where["status"] = list(statuses)
        if created_from:
            where["createdAt"] = {"from": time_filter(created_from)}
        where.update(self._changed_where(updated_after, updated_from))
        return self._after(self.pages(q.ORDERS_CHANGED, "orders", {"where": where}), updated_after, updated_from)

    def order_get(self, number: str | int) -> dict | None:
        nodes = self.execute(q.ORDER_GET, {"number": int(number)}).get("orders") or []
        return next((n for n in nodes if str(n.get("number")) == str(number)), None)

    def order_attributes_set(self, number: str | int, attributes: dict[str, str]) -> None:
        """Attach dynamic attributes (ERP invoice number, date, status, PDF link…) to an order."""
        if not attributes:
            return
        self.mutate(
            q.ORDER_ATTRIBUTES_SET,
            {
                "input": {
                    "objectType": "Order",
                    "objectId": str(number),
                    "dynamicAttributes": [
                        {
                            "attributeTypeName": name,
                            "attributeElementKey": ATTRIBUTE_ELEMENT_KEY,
                            "attributeElementValue": str(value),
                        }
                        for name, value in attributes.items()
                    ],
                }
            },
            "assignAttributes",
            safe=True,  # setting the same values again changes nothing
        )

    def order_attributes_get(self, number: str | int) -> dict[str, str]:
        nodes = self.execute(q.ORDER_ATTRIBUTES_GET, {"number": int(number)}).get("orders") or []
        result: dict[str, str] = {}
        for node in nodes:
            for attribute in node.get("attributes") or []:
                elements = attribute.get("elements") or []
                element = next((e for e in elements if e.get("key") == ATTRIBUTE_ELEMENT_KEY), None) or (
                    elements[0] if elements else {}
                )
                result[str((attribute.get("type") or {}).get("name"))] = str(element.get("value") or "")
        return result

    # -- customers and returns -------------------------------------------------
    def customers_changed(
        self, *, updated_after: str = "", updated_from: date | datetime | str | None = None
    ) -> Iterator[dict]:
        """Customers changed after `updated_after` / on or after `updated_from`, oldest change first."""
        where = self._changed_where(updated_after, updated_from)
        nodes = self.pages(q.CUSTOMERS_CHANGED, "customers", {"where": where})
        return self._after(nodes, updated_after, updated_from)

    def customer_get(self, customer_id: str) -> dict | None:
        nodes = self.execute(q.CUSTOMER_GET, {"id": str(customer_id)}).get("customers") or []
        return next((n for n in nodes if str(n.get("id")) == str(customer_id)), None)

    def returns_changed(
        self, *, updated_after: str = "", updated_from: date | datetime | str | None = None
    ) -> Iterator[dict]:
        """Returns changed after `updated_after` / on or after `updated_from`, oldest change first."""
        where = self._changed_where(updated_after, updated_from)
        nodes = self.pages(q.RETURNS_CHANGED, "returns", {"where": where})
        return self._after(nodes, updated_after, updated_from)

    def return_get(self, return_id: str) -> dict | None:
        nodes = self.execute(q.RETURN_GET, {"id": str(return_id)}).get("returns") or []
        return next((n for n in nodes if str(n.get("id")) == str(return_id)), None)
