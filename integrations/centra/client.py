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
STOCK_CHUNK = 100  # product variants per setStock call
AUTH_CATEGORIES = frozenset({"authorization", "authentication"})
EDITABLE_FIELDS = frozenset({"name", "description", "status"})
ATTRIBUTE_ELEMENT_KEY = "text"


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


def _amount(value: Decimal | int | str) -> float:
    """A money input for GraphQL's Float (exact for amounts with two decimals)."""
    return float(Decimal(str(value)))


# --------------------------------------------------------------------------- client
class CentraClient:
    """Centra for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock)."""

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

    # -- connection ---------------------------------------------------------
    def ping(self) -> str:
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
        return f"Centra: {len(stores)} store(s): {names}{quota}."

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

    # -- catalog --------------------------------------------------------------
    def warehouse_list(self) -> list[dict]:
        return list(self.execute(q.WAREHOUSES).get("warehouses") or [])

    def pricelists(self) -> list[dict]:
        if self._pricelists is None:
            self._pricelists = list(self.execute(q.PRICELISTS).get("pricelists") or [])
        return self._pricelists

    def product_find(self, product_number: str) -> dict | None:
        nodes = self.execute(q.PRODUCT_FIND, {"productNumber": product_number}).get("products") or []
        return next((n for n in nodes if n.get("productNumber") == product_number), None)

    def products_list(self) -> Iterator[dict]:
        return self.pages(q.PRODUCTS_LIST, "products")

    def product_create(self, *, product_number: str, name: str, status: str = "ACTIVE", description: str = "") -> dict:
        result = self.mutate(
            q.PRODUCT_CREATE,
            {"input": {"productNumber": product_number, "name": name, "status": status, "description": description}},
            "createProduct",
            safe=False,
        )
        return result["product"]

    def product_update(self, product_id: str, *, fields: dict) -> dict:
        result = self.mutate(
            q.PRODUCT_UPDATE,
            {"id": str(product_id), "input": _editable(fields, "product")},
            "updateProduct",
            safe=True,
        )
        return result["product"]

    def variant_create(self, *, product_id: str, variant_number: str, name: str, sizes: list[dict]) -> dict:
        """A variant with its sizes, in one call. sizes: [{"name", "size_number", "ean"}]."""
        product_sizes = [
            {
                "size": {"name": size["name"]},
                "sizeNumber": size.get("size_number") or None,
                "EAN": size.get("ean") or None,
            }
            for size in sizes
        ]
        result = self.mutate(
            q.VARIANT_CREATE,
            {
                "input": {
                    "product": {"id": str(product_id)},
                    "variantNumber": variant_number,
                    "name": name,
                    "status": "ACTIVE",
                    "productSizes": product_sizes,
                }
            },
            "createProductVariant",
            safe=False,
        )
        return result["productVariant"]

    def variant_update(self, variant_id: str, *, fields: dict) -> dict:
        result = self.mutate(
            q.VARIANT_UPDATE,
            {"id": str(variant_id), "input": _editable(fields, "variant")},
            "updateProductVariant",
            safe=True,
        )
        return result["productVariant"]

    def size_create(self, *, variant_id: str, name: str, size_number: str, ean: str = "") -> dict:
        result = self.mutate(
            q.SIZE_CREATE,
            {
                "input": {
                    "productVariant": {"id": str(variant_id)},
                    "size": {"name": name},
                    "sizeNumber": size_number or None,
                    "EAN": ean or None,
                }
            },
            "createProductSize",
            safe=False,
        )
        return result["productSize"]

    def size_update(self, size_id: str, *, fields: dict) -> dict:
        """fields among ean (or EAN) and size_number (or sizeNumber)."""
        names = {"ean": "EAN", "EAN": "EAN", "size_number": "sizeNumber", "sizeNumber": "sizeNumber"}
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise ValueError(f"size_update cannot change {', '.join(unknown)}; only EAN and size number.")
        result = self.mutate(
            q.SIZE_UPDATE,
            {"id": str(size_id), "input": {names[k]: v for k, v in fields.items()}},
            "updateProductSize",
            safe=True,
        )
        return result["productSize"]

    def price_set(self, *, variant_id: str, amount: Decimal, currency: str) -> None:
        """Set the variant's price on the retail store's pricelist in that currency."""
        pricelist = self._pricelist_for(currency)
        self.mutate(
            q.PRICES_SET,
            {
                "input": {
                    "pricelist": {"id": str(pricelist["id"])},
                    "individualVariantPrices": [
                        {
                            "productVariant": {"id": str(variant_id)},
                            "price": {"value": _amount(amount), "currencyIsoCode": currency},
                        }
                    ],
                }
            },
            "setPrices",
            safe=True,  # an absolute price
        )

    def _pricelist_for(self, currency: str) -> dict:
        candidates = [p for p in self.pricelists() if (p.get("currency") or {}).get("code") == currency]
        retail = [p for p in candidates if (p.get("store") or {}).get("type") == "DIRECT_TO_CONSUMER"]
        chosen = sorted(retail or candidates, key=lambda p: (len(str(p["id"])), str(p["id"])))
        if not chosen:
            have = ", ".join(sorted({(p.get("currency") or {}).get("code", "?") for p in self.pricelists()})) or "none"
            raise ValidationFailed(
                f"Centra has no pricelist in {currency} (pricelists exist in: {have}): add one in Centra, "
                "or untick 'update product price' on the integration to stop sending prices.",
                system=SYSTEM,
            )
        return chosen[0]

    def stock_set(self, *, warehouse_id: str, levels: list[tuple[str, str, int]], description: str = "") -> list[str]:
        """Set absolute physical stock: levels = (variant id, size name, quantity). Returns stock change ids."""
        by_variant: dict[str, list[dict]] = {}
        for variant_id, size_name, quantity in levels:
            by_variant.setdefault(str(variant_id), []).append({"size": {"name": size_name}, "quantity": int(quantity)})
        variants = list(by_variant.items())
        change_ids: list[str] = []
        for start in range(0, len(variants), STOCK_CHUNK):
            chunk = variants[start : start + STOCK_CHUNK]
            result = self.mutate(
                q.STOCK_SET,
                {
                    "input": {
                        "warehouse": {"id": str(warehouse_id)},
                        "description": description or "Stock from the ERP",
                        "stockQuantityType": "PHYSICAL",
                        "productVariants": [
                            {"productVariant": {"id": variant_id}, "sizeStockLevels": sizes}
                            for variant_id, sizes in chunk
                        ],
                    }
                },
                "setStock",
                safe=True,  # absolute levels: repeating sets the same numbers
            )
            change_ids += [str(c["id"]) for c in result.get("stockChanges") or []]
        return change_ids


def _editable(fields: dict, what: str) -> dict:
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"{what} update cannot change {', '.join(unknown)}; only name, description and status.")
    return dict(fields)
