"""Centra GraphQL Integration API emulator, served at /sandbox/centra/graphql.

A stateful fake of the parts Koppla uses (schema.graphql), executed with
graphql-core. Objects live in SandboxObject rows of system "centra"; ids come
from SandboxCounter rows.

Behaviour, as Centra documents it (api-notes.md), and where the documentation
is silent, as decided here:
- `POST /graphql` with a JSON body {"query", "variables", "operationName"};
  `Authorization: Bearer <token>`. A missing header answers HTTP 401 (our
  choice: the request never reaches GraphQL); an unknown, revoked or expired
  token answers HTTP 200 with a top-level error whose extensions.category is
  "authorization" (Centra reports permission problems that way, with 200).
- Every answer carries `extensions {complexity, permissionsUsed, appVersion}`.
- Rate limits: token buckets per token (REQUEST_COUNT per request,
  MUTATION_COUNT per mutation field), answered with HTTP 429 and a
  `Retry-After` header in delta-seconds (Centra calls it a timestamp without
  giving its format; the client accepts seconds, dates and unix timestamps).
  Enforced only when settings.SANDBOX_RATE_LIMITS["centra"] is set: True for
  Centra's default quotas (20 requests / 10 s, 10 000 / h; 100 mutations /
  10 s, 1 000 / h), a (count, seconds) pair for one REQUEST_COUNT window, or
  {"REQUEST_COUNT": {"TEN_SECONDS": 20, "ONE_HOUR": 10000}, ...}.
  The `rateLimits` query reports the buckets in force (Centra's defaults when
  none is configured).
- Faults (SandboxFault rows, system "centra") match the GraphQL operation
  name, e.g. "OrdersChanged" or "ProductCreate|VariantCreate".
- Mutations answer HTTP 200; invalid input comes back as `userErrors`
  ({message, path}) and changes nothing. Unknown ids use Centra's wording
  "Could not find <Type> with ID <id>.".
- Lists page with `limit` + `page` (1-based); without `limit` the whole list
  comes back; a limit above MAX_LIMIT is refused. A page shorter than the
  limit is the last one.
- Filters: orders by id, number (list), status (list), storeType,
  createdAt {from, to}; ASSUMPTION: `updatedAt {from, to}` on orders,
  customers and returns (Centra documents no updatedAt filter: a GAP in the
  notes); `from` and `to` are inclusive. Dates are accepted as
  "2026-03-01", "2026-03-01 10:00:00" (UTC) or ISO 8601 with an offset.
- Times are returned in UTC as "YYYY-MM-DDTHH:MM:SS+00:00".
- Money (`MonetaryValue.value`) is written as a JSON number with two decimals.
- The shop's base currency is SEK. Every MonetaryValue carries `conversionRate`: ASSUMPTION (Centra names
  the field without its direction) SEK per 1 unit of its currency, value × conversionRate = the value in
  SEK; an order's amounts all carry the order's rate (stored on grandTotal, else CONVERSION_RATES).
- SKU is read-only: productNumber + variantNumber + sizeNumber, no separator,
  for products created through the API. Orders seeded by the demo carry the
  SKU they were given (the demo uses the ERP item numbers).
- assignAttributes(objectType: Order, objectId: <order number>) stores
  dynamic attributes on the order; ASSUMPTION: it does not move updatedAt.
- Sizes need no size chart here: any size name may be activated on a variant.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import router, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError, OperationDefinitionNode, OperationType, build_schema, graphql_sync, parse
from graphql.error import GraphQLSyntaxError

from integrations.sandbox import store
from integrations.sandbox.faults import fault_before, pick_fault, timeout_response
from integrations.sandbox.models import SandboxFault, SandboxObject

SYSTEM = "centra"
SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
MAX_LIMIT = 500
CENT = Decimal("0.01")
APP_VERSION = "sandbox"

# kinds of SandboxObject rows
TOKEN = "token"
ORDER = "order"
RETURN = "return"
CUSTOMER = "customer"
PRODUCT = "product"
VARIANT = "variant"
SIZE = "size"
STOCK_CHANGE = "stock_change"

STORES = [
    {"id": "1", "name": "Retail", "type": "DIRECT_TO_CONSUMER"},
    {"id": "2", "name": "Wholesale", "type": "WHOLESALE"},
]
STORE_BY_TYPE = {s["type"]: s for s in STORES}
CURRENCY_IDS = {"SEK": "1", "EUR": "2", "NOK": "3", "DKK": "4", "GBP": "5", "USD": "6", "CHF": "7", "JPY": "8"}
PRICELISTS = [
    {
        "id": str(index),
        "name": f"Retail {code}",
        "currency": {"id": CURRENCY_IDS[code], "code": code},
        "store": STORES[0],
    }
    for index, code in enumerate(("SEK", "EUR", "NOK", "DKK", "GBP"), start=1)
]
BASE_CURRENCY = "SEK"
# The shop's conversion rates (SEK per 1 unit), deliberately not the Fortnox demo company's sell rates.
CONVERSION_RATES = {
    "SEK": "1",
    "EUR": "11.4823",
    "NOK": "0.9871",
    "DKK": "1.5392",
    "GBP": "13.4127",
    "USD": "10.6105",
    "CHF": "12.0436",
    "JPY": "0.07124",
}
WAREHOUSES = [{"id": "1", "name": "Main"}]

DEFAULT_QUOTAS: dict[tuple[str, str], int] = {
    ("REQUEST_COUNT", "TEN_SECONDS"): 20,
    ("REQUEST_COUNT", "ONE_HOUR"): 10_000,
    ("QUERY_COMPLEXITY", "TEN_SECONDS"): 150_000,
    ("QUERY_COMPLEXITY", "ONE_HOUR"): 20_000_000,
    ("MUTATION_COUNT", "TEN_SECONDS"): 100,
    ("MUTATION_COUNT", "ONE_HOUR"): 1_000,
}
INTERVALS = {"TEN_SECONDS": 10, "ONE_HOUR": 3600}
PERMISSIONS = {
    "orders": "Order:read",
    "customers": "Customer:read",
    "returns": "Return:read",
    "products": "Product:read",
    "stores": "Store:read",
    "pricelists": "Pricelist:read",
    "warehouses": "Warehouse:read",
    "createProduct": "Product:write",
    "updateProduct": "Product:write",
    "createProductVariant": "ProductVariant:write",
    "updateProductVariant": "ProductVariant:write",
    "createProductSize": "ProductSize:write",
    "updateProductSize": "ProductSize:write",
    "setPrices": "Price:write",
    "setStock": "StockChange:write",
    "assignAttributes": "Attribute:write",
}

# The rate-limit clock (seconds). Tests may replace it, e.g. with a FakeClock's `time`.
clock: Callable[[], float] = time.time


# --------------------------------------------------------------------------- errors
class ApiError(GraphQLError):
    """A top-level GraphQL error with Centra's extensions.category."""

    def __init__(self, message: str, category: str = "graphql"):
        super().__init__(message, extensions={"category": category})


def user_error(message: str, *path_parts: Any) -> dict:
    return {"message": message, "path": [str(p) for p in path_parts]}


def not_found(kind: str, key: Any) -> str:
    return f"Could not find {kind} with ID {key}."


def _error_body(message: str, category: str) -> dict:
    return {"errors": [{"message": message, "extensions": {"category": category}}]}


def _fault_body(status: int, message: str) -> dict:
    return _error_body(message, "rateLimit" if status == 429 else "internal")


# --------------------------------------------------------------------------- values
def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime | date | str | None = None) -> str:
    """A time as Centra's DateTimeTz output (UTC here): 2026-03-01T10:15:00+00:00."""
    if isinstance(moment, str):
        moment = parse_time(moment)
    elif isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    moment = moment or now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(value: str) -> datetime:
    """A DateTimeTz input: a date, 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601 with an offset."""
    text = str(value).strip()
    try:
        if len(text) == 10:
            moment = datetime.fromisoformat(text + "T00:00:00")
        else:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            f"'{value}' is not a date or time: use 2026-03-01, 2026-03-01 10:00:00 or ISO 8601 with an offset."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def dec(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError(f"'{value}' is not a number.") from None


def money_text(value: Any) -> str:
    """An amount as stored: a string with two decimals (exact)."""
    return str(dec(value).quantize(CENT, rounding=ROUND_HALF_UP))


def conversion_rate(currency: str) -> float:
    """The shop's rate for `currency` (SEK per 1 unit; CONVERSION_RATES, 1 for an unknown code)."""
    return float(CONVERSION_RATES.get(currency, "1"))


def money(value: Any, currency: str, rate: Any = None) -> dict:
    amount = money_text(value)
    return {
        "value": amount,
        "currency": {"id": CURRENCY_IDS.get(currency, "0"), "code": currency},
        "formattedValue": f"{amount} {currency}",
        "conversionRate": conversion_rate(currency) if rate in (None, "") else float(dec(rate)),
    }


def _is_money(obj: dict) -> bool:
    return (
        "value" in obj
        and not isinstance(obj["value"], (dict, list, bool))
        and set(obj) <= {"value", "currency", "formattedValue", "conversionRate"}
    )


def money_fill(obj: Any, currency: str, rate: Any = None) -> Any:
    """Complete every MonetaryValue ({value}) inside a node with its currency, formatted value and conversion
    rate (its own, else `rate`, else the currency's in CONVERSION_RATES)."""
    if isinstance(obj, dict):
        if _is_money(obj):
            code = (obj.get("currency") or {}).get("code") or currency
            return money(obj["value"], code, obj.get("conversionRate") or (rate if code == currency else None))
        return {k: (v if k.startswith("_") else money_fill(v, currency, rate)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [money_fill(v, currency, rate) for v in obj]
    return obj


def public(data: dict) -> dict:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _sku(product: dict, variant: dict, size: dict) -> str:
    return "".join(
        str(p or "") for p in (product.get("productNumber"), variant.get("variantNumber"), size.get("sizeNumber"))
    )


def _ean_problem(ean: str | None) -> str:
    if not ean:
        return ""
    if not re.fullmatch(r"\d{8}|\d{12,14}", ean):
        return f"EAN '{ean}' is not a valid GTIN: it must have 8, 12, 13 or 14 digits."
    return ""


# --------------------------------------------------------------------------- storage
def _get(kind: str, key: Any) -> dict | None:
    return store.obj_get(SYSTEM, kind, str(key))


def _put(kind: str, key: Any, data: dict) -> dict:
    return store.obj_put(SYSTEM, kind, str(key), data)


def _all(kind: str) -> list[dict]:
    return list(store.obj_list(SYSTEM, kind))


def _next_id(name: str) -> str:
    return str(store.counter_next(SYSTEM, name))


def _atomic():
    return transaction.atomic(using=router.db_for_write(SandboxObject))


# --------------------------------------------------------------------------- rate limits
_rate_lock = threading.Lock()
_usage: dict[tuple[str, str], list[tuple[float, int]]] = {}


def rate_limits_reset() -> None:
    with _rate_lock:
        _usage.clear()


def rate_limits_config() -> dict[tuple[str, str], int] | None:
    """The enforced quotas {(type, interval): quota}, or None when the sandbox does not limit."""
    setting = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(SYSTEM)
    if not setting:
        return None
    if setting is True:
        return dict(DEFAULT_QUOTAS)
    if isinstance(setting, (tuple, list)):
        count, period = setting
        interval = "TEN_SECONDS" if int(period) <= 10 else "ONE_HOUR"
        return {("REQUEST_COUNT", interval): int(count)}
    return {(kind, interval): int(quota) for kind, per in setting.items() for interval, quota in per.items()}


def _interval_seconds(interval: str, quota_key: tuple[str, str]) -> float:
    setting = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(SYSTEM)
    if isinstance(setting, (tuple, list)) and quota_key[0] == "REQUEST_COUNT":
        return float(setting[1])
    return float(INTERVALS[interval])


def _used(token: str, kind: str, seconds: float, at: float) -> tuple[int, float | None]:
    """(cost used in the last `seconds`, time of the oldest hit in that window)."""
    hits = [(t, c) for t, c in _usage.get((token, kind), []) if 0 <= at - t < seconds]
    return sum(c for _, c in hits), (hits[0][0] if hits else None)


def rate_limit_take(token: str, costs: dict[str, int]) -> tuple[float, str] | None:
    """Charge the buckets; (seconds to wait, which bucket) when one is exhausted (nothing is charged then)."""
    quotas = rate_limits_config()
    at = clock()
    with _rate_lock:
        for kind in costs:
            _usage[(token, kind)] = [(t, c) for t, c in _usage.get((token, kind), []) if 0 <= at - t < 3600]
        if quotas:
            for (kind, interval), quota in quotas.items():
                cost = costs.get(kind, 0)
                if not cost:
                    continue
                seconds = _interval_seconds(interval, (kind, interval))
                used, oldest = _used(token, kind, seconds, at)
                if used + cost > quota:
                    wait = (oldest + seconds - at) if oldest is not None else seconds
                    return max(1.0, wait), f"{kind} ({quota} per {int(seconds)} s)"
        for kind, cost in costs.items():
            if cost:
                _usage.setdefault((token, kind), []).append((at, cost))
    return None


def rate_limits_report(token: str) -> list[dict]:
    quotas = rate_limits_config() or DEFAULT_QUOTAS
    at = clock()
    rows = []
    with _rate_lock:
        for (kind, interval), quota in quotas.items():
            seconds = _interval_seconds(interval, (kind, interval))
            used, _ = _used(token, kind, seconds, at)
            used = min(used, quota)
            rows.append(
                {
                    "type": kind,
                    "intervalSeconds": int(seconds),
                    "quota": quota,
                    "usedQuota": used,
                    "remainingQuota": quota - used,
                }
            )
    return rows


# --------------------------------------------------------------------------- listing
def _id_key(value: Any) -> tuple:
    text = str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


SORT_KEYS: dict[str, Callable[[dict], Any]] = {
    "id": lambda d: _id_key(d.get("id")),
    "number": lambda d: int(d.get("number") or 0),
    "createdAt": lambda d: parse_time(d["createdAt"]) if d.get("createdAt") else datetime.min.replace(tzinfo=UTC),
    "updatedAt": lambda d: parse_time(d["updatedAt"]) if d.get("updatedAt") else datetime.min.replace(tzinfo=UTC),
    "orderDate": lambda d: parse_time(d["orderDate"]) if d.get("orderDate") else datetime.min.replace(tzinfo=UTC),
}


def _sorted(rows: list[dict], sort: Iterable[str] | None, default: str = "id_ASC") -> list[dict]:
    keys = list(sort or [default])
    for item in reversed(keys):
        field, _, direction = item.rpartition("_")
        rows.sort(key=SORT_KEYS[field], reverse=direction == "DESC")
    return rows


def _paged(rows: list[dict], limit: int | None, page: int | None) -> list[dict]:
    if limit is None:
        if page not in (None, 1):
            raise ApiError("page needs limit.")
        return rows
    if limit < 1 or limit > MAX_LIMIT:
        raise ApiError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}.")
    page = page or 1
    if page < 1:
        raise ApiError(f"page must be 1 or more, not {page}.")
    return rows[(page - 1) * limit : page * limit]


def _in_range(value: str | None, window: dict | None) -> bool:
    if not window:
        return True
    if not value:
        return False
    moment = parse_time(value)
    if window.get("from") and moment < parse_time(window["from"]):
        return False
    return not (window.get("to") and moment > parse_time(window["to"]))


def _string_match(value: str | None, match: dict | None) -> bool:
    if not match:
        return True
    text = str(value or "")
    if match.get("equals") is not None and text != match["equals"]:
        return False
    return not (match.get("contains") is not None and match["contains"].lower() not in text.lower())


# --------------------------------------------------------------------------- query resolvers
def _token(info) -> str:
    return info.context["token"]


def resolve_rate_limits(_root, info):
    return rate_limits_report(_token(info))


def resolve_stores(_root, info, where=None):
    wanted = (where or {}).get("type")
    return [s for s in STORES if not wanted or s["type"] == wanted]


def resolve_pricelists(_root, info):
    return PRICELISTS


def resolve_warehouses(_root, info):
    return WAREHOUSES


def resolve_orders(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    ids = {str(i) for i in where.get("id") or []}
    numbers = {int(n) for n in where.get("number") or []}
    statuses = set(where.get("status") or [])
    store_type = where.get("storeType")
    rows = []
    for order in _all(ORDER):
        if ids and str(order.get("id")) not in ids:
            continue
        if numbers and int(order["number"]) not in numbers:
            continue
        if statuses and order.get("status") not in statuses:
            continue
        if store_type and order["store"]["type"] != store_type:
            continue
        if order.get("isOnHold"):
            continue  # Centra does not return orders on hold
        if not _in_range(order.get("createdAt"), where.get("createdAt")):
            continue
        if not _in_range(order.get("updatedAt"), where.get("updatedAt")):
            continue
        rows.append(order)
    return _paged(_sorted(rows, sort), limit, page)


def resolve_customers(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    ids = {str(i) for i in where.get("id") or []}
    rows = [
        c
        for c in _all(CUSTOMER)
        if (not ids or str(c["id"]) in ids)
        and _string_match(c.get("email"), where.get("email"))
        and _in_range(c.get("updatedAt"), where.get("updatedAt"))
    ]
    return _paged(_sorted(rows, sort), limit, page)


def resolve_returns(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    ids = {str(i) for i in where.get("id") or []}
    rows = [
        r
        for r in _all(RETURN)
        if (not ids or str(r["id"]) in ids)
        and (not where.get("storeType") or r["_storeType"] == where["storeType"])
        and (not where.get("customerId") or str(r.get("_customerId")) == str(where["customerId"]))
        and _in_range(r.get("updatedAt"), where.get("updatedAt"))
    ]
    return _paged(_sorted(rows, sort), limit, page)


def _catalog() -> tuple[list[dict], dict[str, list[dict]], dict[str, list[dict]]]:
    products = _all(PRODUCT)
    variants: dict[str, list[dict]] = {}
    for variant in _all(VARIANT):
        variants.setdefault(str(variant["_product"]), []).append(variant)
    sizes: dict[str, list[dict]] = {}
    for size in _all(SIZE):
        sizes.setdefault(str(size["_variant"]), []).append(size)
    return products, variants, sizes


def _size_node(product: dict, variant: dict, size: dict) -> dict:
    return {**public(size), "SKU": _sku(product, variant, size)}


def _variant_node(product: dict, variant: dict, sizes: list[dict]) -> dict:
    node = public(variant)
    node["prices"] = [
        {"pricelist": _pricelist(pricelist_id), "price": money(amount, _pricelist(pricelist_id)["currency"]["code"])}
        for pricelist_id, amount in sorted((variant.get("_prices") or {}).items())
    ]
    node["productSizes"] = [_size_node(product, variant, s) for s in sorted(sizes, key=SORT_KEYS["id"])]
    return node


def _product_node(product: dict, variants: dict[str, list[dict]], sizes: dict[str, list[dict]]) -> dict:
    node = public(product)
    node["variants"] = [
        _variant_node(product, v, sizes.get(str(v["id"]), []))
        for v in sorted(variants.get(str(product["id"]), []), key=SORT_KEYS["id"])
    ]
    return node


def product_node(product_id: str) -> dict | None:
    product = _get(PRODUCT, product_id)
    if product is None:
        return None
    variants = [v for v in _all(VARIANT) if str(v["_product"]) == str(product_id)]
    variant_ids = {str(v["id"]) for v in variants}
    sizes: dict[str, list[dict]] = {}
    for size in _all(SIZE):
        if str(size["_variant"]) in variant_ids:
            sizes.setdefault(str(size["_variant"]), []).append(size)
    return _product_node(product, {str(product_id): variants}, sizes)


def variant_node(variant_id: str) -> dict | None:
    variant = _get(VARIANT, variant_id)
    if variant is None:
        return None
    product = _get(PRODUCT, variant["_product"]) or {}
    sizes = [s for s in _all(SIZE) if str(s["_variant"]) == str(variant_id)]
    return _variant_node(product, variant, sizes)


def size_node(size_id: str) -> dict | None:
    size = _get(SIZE, size_id)
    if size is None:
        return None
    variant = _get(VARIANT, size["_variant"]) or {}
    product = _get(PRODUCT, variant.get("_product")) or {}
    return _size_node(product, variant, size)


def resolve_products(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    ids = {str(i) for i in where.get("id") or []}
    statuses = set(where.get("status") or [])
    products, variants, sizes = _catalog()
    rows = [
        p
        for p in products
        if (not ids or str(p["id"]) in ids)
        and (not statuses or p.get("status") in statuses)
        and _string_match(p.get("name"), where.get("name"))
        and _string_match(p.get("productNumber"), where.get("productNumber"))
    ]
    rows = _paged(_sorted(rows, sort), limit, page)
    return [_product_node(p, variants, sizes) for p in rows]


def resolve_order_attributes(order, info):
    return [
        {"type": {"name": name}, "elements": [{"key": k, "value": v} for k, v in elements.items()]}
        for name, elements in (order.get("_attributes") or {}).items()
    ]


def _order_type(order, info, _type):
    return "WholesaleOrder" if order["store"]["type"] == "WHOLESALE" else "DirectToConsumerOrder"


def _return_type(node, info, _type):
    return "WholesaleReturn" if node.get("_storeType") == "WHOLESALE" else "DirectToConsumerReturn"


# --------------------------------------------------------------------------- mutation resolvers
def _payload(errors: list[dict], **data) -> dict:
    if errors:  # a refused mutation returns no object (lists stay empty lists)
        data = {k: ([] if isinstance(v, list) else None) for k, v in data.items()}
    return {**data, "userErrors": errors, "userWarnings": []}


def _pricelist(pricelist_id: str) -> dict:
    return next((p for p in PRICELISTS if p["id"] == str(pricelist_id)), None)


def _product_number_taken(number: str | None, except_id: str | None = None) -> dict | None:
    if not number:
        return None
    return next((p for p in _all(PRODUCT) if p.get("productNumber") == number and str(p["id"]) != str(except_id)), None)


def resolve_create_product(_root, info, input):
    errors = []
    name = (input.get("name") or "").strip()
    if not name:
        errors.append(user_error("Product name must not be empty.", "input", "name"))
    taken = _product_number_taken(input.get("productNumber"))
    if taken:
        errors.append(
            user_error(
                f"Product number {input['productNumber']} is already used by product {taken['id']}.",
                "input",
                "productNumber",
            )
        )
    if errors:
        return _payload(errors, product=None)
    product_id = _next_id("product_id")
    moment = stamp()
    _put(
        PRODUCT,
        product_id,
        {
            "id": product_id,
            "productNumber": input.get("productNumber"),
            "name": name,
            "description": input.get("description") or "",
            "status": input.get("status") or "INACTIVE",
            "createdAt": moment,
            "updatedAt": moment,
        },
    )
    return _payload([], product=product_node(product_id))


def resolve_update_product(_root, info, id, input):
    product = _get(PRODUCT, id)
    if product is None:
        return _payload([user_error(not_found("Product", id), "id")], product=None)
    errors = []
    if "name" in input and not (input["name"] or "").strip():
        errors.append(user_error("Product name must not be empty.", "input", "name"))
    taken = _product_number_taken(input.get("productNumber"), except_id=id)
    if taken:
        errors.append(
            user_error(
                f"Product number {input['productNumber']} is already used by product {taken['id']}.",
                "input",
                "productNumber",
            )
        )
    if errors:
        return _payload(errors, product=None)
    for key in ("name", "description", "status", "productNumber"):
        if key in input and input[key] is not None:
            product[key] = input[key]
    product["updatedAt"] = stamp()
    _put(PRODUCT, id, product)
    return _payload([], product=product_node(id))


def _size_inputs_check(sizes: list[dict], existing: set[str], where: tuple) -> list[dict]:
    errors = []
    seen = set(existing)
    for index, size in enumerate(sizes):
        name = (size.get("size") or {}).get("name", "").strip()
        if not name:
            errors.append(user_error("Size name must not be empty.", *where, index, "size", "name"))
        elif name in seen:
            errors.append(user_error(f'Size "{name}" is already active on this variant.', *where, index, "size"))
        seen.add(name)
        problem = _ean_problem(size.get("EAN"))
        if problem:
            errors.append(user_error(problem, *where, index, "EAN"))
    return errors


def _size_store(variant_id: str, size: dict) -> str:
    size_id = _next_id("size_id")
    _put(
        SIZE,
        size_id,
        {
            "id": size_id,
            "sizeNumber": size.get("sizeNumber"),
            "EAN": size.get("EAN") or "",
            "size": {"name": size["size"]["name"].strip()},
            "_variant": str(variant_id),
            "_stock": {},
        },
    )
    return size_id


def _unit_cost(value: dict | None) -> dict | None:
    if not value:
        return None
    return money(value["value"], value["currencyIsoCode"])


def _touch_product(product_id: str) -> None:
    product = _get(PRODUCT, product_id)
    if product:
        product["updatedAt"] = stamp()
        _put(PRODUCT, product_id, product)


def resolve_create_product_variant(_root, info, input):
    product_id = str(input["product"]["id"])
    product = _get(PRODUCT, product_id)
    if product is None:
        return _payload([user_error(not_found("Product", product_id), "input", "product", "id")], productVariant=None)
    errors = []
    name = (input.get("name") or "").strip()
    if not name:
        errors.append(user_error("Variant name must not be empty.", "input", "name"))
    number = input.get("variantNumber")
    if number and any(v.get("variantNumber") == number for v in _all(VARIANT) if str(v["_product"]) == product_id):
        errors.append(
            user_error(f"Variant number {number} is already used on product {product_id}.", "input", "variantNumber")
        )
    sizes = input.get("productSizes") or []
    errors += _size_inputs_check(sizes, set(), ("input", "productSizes"))
    if errors:
        return _payload(errors, productVariant=None)
    variant_id = _next_id("variant_id")
    _put(
        VARIANT,
        variant_id,
        {
            "id": variant_id,
            "variantNumber": number,
            "name": name,
            "description": input.get("description") or "",
            "status": input.get("status") or "INACTIVE",
            "unitCost": _unit_cost(input.get("unitCost")),
            "_product": product_id,
            "_prices": {},
        },
    )
    for size in sizes:
        _size_store(variant_id, size)
    _touch_product(product_id)
    return _payload([], productVariant=variant_node(variant_id))


def resolve_update_product_variant(_root, info, id, input):
    variant = _get(VARIANT, id)
    if variant is None:
        return _payload([user_error(not_found("ProductVariant", id), "id")], productVariant=None)
    if "name" in input and not (input["name"] or "").strip():
        return _payload([user_error("Variant name must not be empty.", "input", "name")], productVariant=None)
    number = input.get("variantNumber")
    if number and any(
        v.get("variantNumber") == number and str(v["id"]) != str(id)
        for v in _all(VARIANT)
        if v["_product"] == variant["_product"]
    ):
        return _payload(
            [
                user_error(
                    f"Variant number {number} is already used on product {variant['_product']}.",
                    "input",
                    "variantNumber",
                )
            ],
            productVariant=None,
        )
    for key in ("name", "description", "status", "variantNumber"):
        if key in input and input[key] is not None:
            variant[key] = input[key]
    if input.get("unitCost"):
        variant["unitCost"] = _unit_cost(input["unitCost"])
    _put(VARIANT, id, variant)
    _touch_product(variant["_product"])
    return _payload([], productVariant=variant_node(id))


def resolve_create_product_size(_root, info, input):
    variant_id = str(input["productVariant"]["id"])
    variant = _get(VARIANT, variant_id)
    if variant is None:
        return _payload(
            [user_error(not_found("ProductVariant", variant_id), "input", "productVariant", "id")], productSize=None
        )
    existing = {s["size"]["name"] for s in _all(SIZE) if str(s["_variant"]) == variant_id}
    errors = _size_inputs_check([input], existing, ("input",))
    if errors:
        for error in errors:  # a single size: drop the list index from the path
            error["path"] = [p for p in error["path"] if p != "0"]
        return _payload(errors, productSize=None)
    size_id = _size_store(variant_id, input)
    _touch_product(variant["_product"])
    return _payload([], productSize=size_node(size_id))


def resolve_update_product_size(_root, info, id, input):
    size = _get(SIZE, id)
    if size is None:
        return _payload([user_error(not_found("ProductSize", id), "id")], productSize=None)
    problem = _ean_problem(input.get("EAN"))
    if problem:
        return _payload([user_error(problem, "input", "EAN")], productSize=None)
    for key in ("EAN", "sizeNumber"):
        if key in input and input[key] is not None:
            size[key] = input[key]
    _put(SIZE, id, size)
    variant = _get(VARIANT, size["_variant"]) or {}
    if variant:
        _touch_product(variant["_product"])
    return _payload([], productSize=size_node(id))


def resolve_set_prices(_root, info, input):
    pricelist = _pricelist(input["pricelist"]["id"])
    if pricelist is None:
        return _payload([user_error(not_found("Pricelist", input["pricelist"]["id"]), "input", "pricelist", "id")])
    errors, changes = [], []
    for index, item in enumerate(input["individualVariantPrices"]):
        where = ("input", "individualVariantPrices", index)
        variant_id = str(item["productVariant"]["id"])
        variant = _get(VARIANT, variant_id)
        if variant is None:
            errors.append(user_error(not_found("ProductVariant", variant_id), *where, "productVariant", "id"))
            continue
        price = item["price"]
        if price["currencyIsoCode"] != pricelist["currency"]["code"]:
            errors.append(
                user_error(
                    f"Pricelist {pricelist['id']} ({pricelist['name']}) is in {pricelist['currency']['code']}, "
                    f"not {price['currencyIsoCode']}.",
                    *where,
                    "price",
                    "currencyIsoCode",
                )
            )
            continue
        if dec(price["value"]) < 0:
            errors.append(user_error("A price cannot be negative.", *where, "price", "value"))
            continue
        changes.append((variant_id, money_text(price["value"])))
    if errors:
        return _payload(errors)
    for variant_id, amount in changes:
        variant = _get(VARIANT, variant_id)
        variant.setdefault("_prices", {})[pricelist["id"]] = amount
        _put(VARIANT, variant_id, variant)
    return _payload([])


def resolve_set_stock(_root, info, input):
    warehouse_id = str(input["warehouse"]["id"])
    if not any(w["id"] == warehouse_id for w in WAREHOUSES):
        return _payload([user_error(not_found("Warehouse", warehouse_id), "input", "warehouse", "id")], stockChanges=[])
    sizes_by_variant: dict[str, dict[str, dict]] = {}
    for size in _all(SIZE):
        sizes_by_variant.setdefault(str(size["_variant"]), {})[size["size"]["name"]] = size
    errors, changes = [], []
    for v_index, item in enumerate(input["productVariants"]):
        variant_id = str(item["productVariant"]["id"])
        where = ("input", "productVariants", v_index)
        if _get(VARIANT, variant_id) is None:
            errors.append(user_error(not_found("ProductVariant", variant_id), *where, "productVariant", "id"))
            continue
        for s_index, level in enumerate(item["sizeStockLevels"]):
            name = level["size"]["name"]
            size = sizes_by_variant.get(variant_id, {}).get(name)
            if size is None:
                errors.append(
                    user_error(
                        f'Size "{name}" is not active on product variant {variant_id}.',
                        *where,
                        "sizeStockLevels",
                        s_index,
                        "size",
                        "name",
                    )
                )
            elif level["quantity"] < 0:
                errors.append(
                    user_error("Stock quantity cannot be negative.", *where, "sizeStockLevels", s_index, "quantity")
                )
            else:
                changes.append((str(size["id"]), level["quantity"]))
    if errors:
        return _payload(errors, stockChanges=[])
    for size_id, quantity in changes:
        size = _get(SIZE, size_id)
        size.setdefault("_stock", {})[warehouse_id] = quantity
        _put(SIZE, size_id, size)
    change_id = _next_id("stock_change_id")
    _put(
        STOCK_CHANGE,
        change_id,
        {
            "id": change_id,
            "warehouse": warehouse_id,
            "description": input.get("description") or "",
            "lines": len(changes),
        },
    )
    return _payload([], stockChanges=[{"id": change_id}])


def resolve_assign_attributes(_root, info, input):
    object_type, object_id = input["objectType"], str(input["objectId"])
    kind = ORDER if object_type == "Order" else CUSTOMER
    data = _get(kind, object_id)
    if data is None:
        return _payload([user_error(not_found(object_type, object_id), "input", "objectId")])
    errors = []
    for index, attribute in enumerate(input["dynamicAttributes"]):
        if not attribute["attributeTypeName"].strip():
            errors.append(user_error("attributeTypeName must not be empty.", "input", "dynamicAttributes", index))
    if errors:
        return _payload(errors)
    attributes = data.setdefault("_attributes", {})
    for attribute in input["dynamicAttributes"]:
        attributes.setdefault(attribute["attributeTypeName"], {})[attribute["attributeElementKey"]] = attribute[
            "attributeElementValue"
        ]
    _put(kind, object_id, data)
    return _payload([])


# --------------------------------------------------------------------------- schema
def _build_schema():
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    query, mutation = schema.query_type.fields, schema.mutation_type.fields
    for name, resolver in {
        "rateLimits": resolve_rate_limits,
        "stores": resolve_stores,
        "pricelists": resolve_pricelists,
        "warehouses": resolve_warehouses,
        "orders": resolve_orders,
        "customers": resolve_customers,
        "returns": resolve_returns,
        "products": resolve_products,
    }.items():
        query[name].resolve = resolver
    for name, resolver in {
        "createProduct": resolve_create_product,
        "updateProduct": resolve_update_product,
        "createProductVariant": resolve_create_product_variant,
        "updateProductVariant": resolve_update_product_variant,
        "createProductSize": resolve_create_product_size,
        "updateProductSize": resolve_update_product_size,
        "setPrices": resolve_set_prices,
        "setStock": resolve_set_stock,
        "assignAttributes": resolve_assign_attributes,
    }.items():
        mutation[name].resolve = resolver
    for type_name in ("DirectToConsumerOrder", "WholesaleOrder"):
        schema.type_map[type_name].fields["attributes"].resolve = resolve_order_attributes
    schema.type_map["Order"].resolve_type = _order_type
    schema.type_map["Return"].resolve_type = _return_type
    return schema


SCHEMA = _build_schema()


# --------------------------------------------------------------------------- the endpoint
_MONEY_MARK = "\u0000money:"


def _format_money(data: Any) -> Any:
    """Mark MonetaryValue numbers so they are written with two decimals."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "value" and isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = _MONEY_MARK + str(Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP))
            else:
                out[key] = _format_money(value)
        return out
    if isinstance(data, list):
        return [_format_money(v) for v in data]
    return data


def _json_response(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    text = json.dumps(_format_money(body), ensure_ascii=False)
    text = re.sub(r'"\\u0000money:(-?\d+\.\d{2})"', r"\1", text)
    return HttpResponse(text, status=status, content_type="application/json", headers=headers)


def _operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations if o.name and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def _token_check(token: str) -> str:
    """'' when the token is valid, else why not."""
    data = _get(TOKEN, token)
    if data is None or data.get("revoked"):
        return "The access token is not valid: it is unknown or has been revoked."
    if data.get("expiresAt") and parse_time(data["expiresAt"]) <= now():
        return f"The access token expired at {data['expiresAt']}."
    return ""


def _count(name: str) -> None:
    store.counter_next(SYSTEM, f"op:{name}"[:40], start=1)


@csrf_exempt
def graphql_view(request):
    if request.method != "POST":
        return _json_response(_error_body("Send GraphQL requests with POST.", "graphql"), status=405)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ValueError("no query")
    except ValueError:
        return _json_response(
            _error_body('The body must be JSON: {"query": "...", "variables": {...}}.', "graphql"), status=400
        )
    source = body["query"]
    variables = body.get("variables") or {}
    try:
        document = parse(source)
    except GraphQLSyntaxError as exc:
        return _json_response({"errors": [{**exc.formatted, "extensions": {"category": "graphql"}}]})
    operation = _operation(document, body.get("operationName"))
    operation_name = (operation.name.value if operation and operation.name else "") or "anonymous"

    fault = pick_fault(SYSTEM, operation_name)
    if fault is not None:
        early = fault_before(fault, request, _fault_body)
        if early is not None:
            return early

    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return _json_response(
            _error_body("Authorization header with a Bearer access token is missing.", "authentication"), status=401
        )
    token = header[7:].strip()
    problem = _token_check(token)
    if problem:
        return _json_response(
            {**_error_body(problem, "authorization"), "extensions": {"complexity": 0, "permissionsUsed": []}}
        )

    is_mutation = operation is not None and operation.operation == OperationType.MUTATION
    fields = [s.name.value for s in operation.selection_set.selections if hasattr(s, "name")] if operation else []
    costs = {"REQUEST_COUNT": 1, "QUERY_COMPLEXITY": 10 * max(1, len(fields)), "MUTATION_COUNT": 0}
    if is_mutation:
        costs["MUTATION_COUNT"] = len(fields)
    limited = rate_limit_take(token, costs)
    if limited is not None:
        wait, bucket = limited
        seconds = max(1, math.ceil(wait))
        return _json_response(
            _error_body(f"Rate limit exceeded: {bucket}. Try again in {seconds} s.", "rateLimit"),
            status=429,
            headers={"Retry-After": str(seconds)},
        )

    with _atomic():
        result = graphql_sync(
            SCHEMA,
            source,
            variable_values=variables,
            operation_name=body.get("operationName"),
            context_value={"token": token, "request": request},
        )
        if result.errors and is_mutation:
            transaction.set_rollback(True, using=router.db_for_write(SandboxObject))
    _count(operation_name)
    if is_mutation:
        _count("mutations")
        for field in fields:
            _count(field)
    out: dict[str, Any] = {}
    if result.errors:
        out["errors"] = [_formatted(error) for error in result.errors]
    if result.data is not None:
        out["data"] = result.data
    out["extensions"] = {
        "complexity": costs["QUERY_COMPLEXITY"],
        "permissionsUsed": sorted({PERMISSIONS[f] for f in fields if f in PERMISSIONS}),
        "appVersion": APP_VERSION,
    }
    response = _json_response(out)
    if fault is not None and fault.kind == SandboxFault.Kind.TIMEOUT_AFTER_WRITE:
        return timeout_response(request)
    return response


def _formatted(error: GraphQLError) -> dict:
    formatted = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    if "category" not in extensions:
        original = error.original_error
        extensions["category"] = (
            "internal" if original is not None and not isinstance(original, GraphQLError) else "graphql"
        )
    formatted["extensions"] = extensions
    return formatted


app_name = "centra"
urlpatterns = [path("graphql", graphql_view, name="graphql")]


# --------------------------------------------------------------------------- helpers for tests and the demo
def reset() -> None:
    """Forget every object, token and counter of the emulated Centra."""
    store.system_reset(SYSTEM)
    rate_limits_reset()


def api_token_register(token: str, *, expires_at: datetime | None = None, description: str = "") -> dict:
    """Make `token` a valid Integration API token (Centra's default expiry is 30 days; None = no expiry here)."""
    return _put(
        TOKEN,
        token,
        {"description": description, "expiresAt": stamp(expires_at) if expires_at else None, "revoked": False},
    )


def api_token_revoke(token: str) -> None:
    data = _get(TOKEN, token)
    if data is not None:
        data["revoked"] = True
        _put(TOKEN, token, data)


def _address(value: dict | None) -> dict | None:
    if value is None:
        return None
    address = dict(value)
    country = address.get("country")
    if isinstance(country, str):
        country = {"code": country}
    if country:
        from mappings.countries import COUNTRIES

        code = country["code"]
        address["country"] = {
            "id": country.get("id") or code,
            "code": code,
            "name": country.get("name") or COUNTRIES.get(code, code),
        }
    return address


def order_build(node: dict) -> dict:
    """An order node completed with the defaults Centra would show (ids, names, currencies, times)."""
    order = dict(node)
    number = int(order["number"])
    order["number"] = number
    order.setdefault("id", hashlib.md5(f"order-{number}".encode(), usedforsecurity=False).hexdigest())
    store_type = (order.get("store") or {}).get("type", "DIRECT_TO_CONSUMER")
    order["store"] = dict(STORE_BY_TYPE[store_type])
    currency = (order.get("grandTotal") or {}).get("currency", {}).get("code") or order.pop("_currency", "SEK")
    created = stamp(order.get("createdAt"))
    order["createdAt"] = created
    order["updatedAt"] = stamp(order.get("updatedAt") or created)
    order["orderDate"] = stamp(order.get("orderDate") or created)
    order.setdefault("status", "CONFIRMED")
    order.setdefault("isOnHold", False)
    order.setdefault("discountsApplied", [])
    order.setdefault("shippingPriceGroup", None)
    order.setdefault("paymentMethod", None)
    order["billingAddress"] = _address(order.get("billingAddress"))
    order["shippingAddress"] = _address(order.get("shippingAddress") or order.get("billingAddress"))
    lines = []
    for index, line in enumerate(order.get("lines") or [], start=1):
        line = dict(line)
        line.setdefault("id", f"{number}{index:02d}")
        line.setdefault("discountPercent", 0)
        line.setdefault("productVariantName", "")
        line.setdefault("unitOriginalPrice", line.get("unitPrice"))
        lines.append(line)
    order["lines"] = lines
    if store_type == "WHOLESALE":
        order.pop("customer", None)
        order.setdefault("buyer", None)
        order.setdefault("account", None)
        order.setdefault("purchaseOrderNumber", "")
    else:
        for key in ("buyer", "account", "purchaseOrderNumber"):
            order.pop(key, None)
        order.setdefault("customer", None)
    order.setdefault("_attributes", {})
    return money_fill(order, currency, (order.get("grandTotal") or {}).get("conversionRate"))


def order_put(node: dict) -> dict:
    """Store an order (as Centra would return it; missing defaults are filled in)."""
    order = order_build(node)
    existing = _get(ORDER, order["number"])
    if existing and existing.get("_attributes") and not node.get("_attributes"):
        order["_attributes"] = existing["_attributes"]
    return _put(ORDER, order["number"], order)


def orders_bulk_put(nodes: Iterable[dict]) -> int:
    """Store many orders at once (demo seed)."""
    rows = [SandboxObject(system=SYSTEM, kind=ORDER, key=str(o["number"]), data=order_build(o)) for o in nodes]
    SandboxObject.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def order_set(number: int | str, *, at: datetime | None = None, **fields) -> dict:
    """Change an order as a shop user would (status, isOnHold…); moves updatedAt."""
    order = _get(ORDER, number)
    if order is None:
        raise KeyError(f"No order {number}")
    order.update(fields)
    order["updatedAt"] = stamp(at)
    return _put(ORDER, number, order)


def orders(*, private: bool = False) -> list[dict]:
    """The stored orders by number; `private=True` keeps the demo's private keys (`_vatByRate`, ...)."""
    return [o if private else public(o) for o in _sorted(_all(ORDER), ["number_ASC"])]


def order_get(number: int | str) -> dict | None:
    order = _get(ORDER, number)
    return public(order) if order else None


def order_attributes(number: int | str) -> dict[str, str]:
    """{attribute type name: value} of an order (the first element's value of each attribute)."""
    order = _get(ORDER, number) or {}
    return {name: next(iter(elements.values()), "") for name, elements in (order.get("_attributes") or {}).items()}


def return_build(node: dict) -> dict:
    data = dict(node)
    data["id"] = str(data["id"])
    order = _get(ORDER, data["order"]["number"]) if data.get("order") else None
    store_type = data.pop("_storeType", None) or (order["store"]["type"] if order else "DIRECT_TO_CONSUMER")
    currency = (data.get("currency") or {}).get("code") or (order["grandTotal"]["currency"]["code"] if order else "SEK")
    data["_storeType"] = store_type
    data["_customerId"] = ((order or {}).get("customer") or {}).get("id")
    data["currency"] = {"id": CURRENCY_IDS.get(currency, "0"), "code": currency}
    data["order"] = {"number": int(data["order"]["number"]), "store": dict(STORE_BY_TYPE[store_type])}
    created = stamp(data.get("createdAt"))
    data["createdAt"] = created
    data["updatedAt"] = stamp(data.get("updatedAt") or created)
    data.setdefault("status", "PENDING")
    data.setdefault("refunded", False)
    data.setdefault("shippingCost", {"value": "0"})
    lines = []
    for index, line in enumerate(data.get("lines") or [], start=1):
        line = dict(line)
        line.setdefault("id", f"{data['id']}{index:02d}")
        lines.append(line)
    data["lines"] = lines
    if "grandTotal" not in data:
        total = sum((dec(line["lineValue"]["value"]) for line in lines), Decimal("0")) + dec(
            data["shippingCost"]["value"]
        )
        data["grandTotal"] = {"value": money_text(total)}
    return money_fill(data, currency, ((order or {}).get("grandTotal") or {}).get("conversionRate"))


def return_put(node: dict) -> dict:
    """Store a return (RETURN node fields; `order.number` must name a stored order for its store and currency)."""
    data = return_build(node)
    return _put(RETURN, data["id"], data)


def returns() -> list[dict]:
    return [public(r) for r in _sorted(_all(RETURN), ["id_ASC"])]


def customer_put(node: dict) -> dict:
    data = dict(node)
    data["id"] = str(data["id"])
    data["billingAddress"] = _address(data.get("billingAddress"))
    data["updatedAt"] = stamp(data.get("updatedAt"))
    data.setdefault("firstName", "")
    data.setdefault("lastName", "")
    return _put(CUSTOMER, data["id"], data)


def customers() -> list[dict]:
    return [public(c) for c in _sorted(_all(CUSTOMER), ["id_ASC"])]


def products() -> list[dict]:
    items, variants, sizes = _catalog()
    return [_product_node(p, variants, sizes) for p in _sorted(items, ["id_ASC"])]


def product_get_by_number(product_number: str) -> dict | None:
    product = next((p for p in _all(PRODUCT) if p.get("productNumber") == product_number), None)
    return product_node(product["id"]) if product else None


def stock_levels(warehouse_id: str = "1") -> dict[tuple[str, str], int]:
    """{(variant id, size name): physical quantity} in a warehouse, for sizes that have stock set."""
    return {
        (str(s["_variant"]), s["size"]["name"]): s["_stock"][warehouse_id]
        for s in _all(SIZE)
        if warehouse_id in (s.get("_stock") or {})
    }


def call_count(name: str) -> int:
    """Requests served for an operation name, or mutation fields executed (e.g. 'createProduct')."""
    return store.counter_peek(SYSTEM, f"op:{name}"[:40]) or 0


def mutation_count() -> int:
    """Mutation requests served (each may carry several mutations)."""
    return call_count("mutations")


def webhook_send(
    *,
    url_or_path: str = "",
    path: str = "",
    secret: str,
    events: list[dict],
    at: datetime | float | int | None = None,
    client=None,
):
    """POST events to a webhook receiver as the Centra Webhook plugin does, through django.test.Client.

    Body `payload=<urlencoded JSON {"events": [...]}>` (form-encoded), header
    `X-Centra-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
    Events without a "date" get the send time in the plugin's format.
    """
    from django.test import Client

    target = url_or_path or path
    if not target:
        raise ValueError("webhook_send needs url_or_path (or path).")
    parts = urlsplit(target)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if at is None:
        moment = now()
    elif isinstance(at, datetime):
        moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(float(at), UTC)
    timestamp = int(moment.timestamp())
    sent = [{**event, "date": event.get("date") or moment.strftime("%Y-%m-%d %H:%M:%S.%f")} for event in events]
    body = urlencode({"payload": json.dumps({"events": sent}, separators=(",", ":"))}).encode()
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return (client or Client()).post(
        target,
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_CENTRA_SIGNATURE=f"t={timestamp},v1={signature}",
    )


def seed(**kwargs) -> dict:
    """The demo shop (see demo_data.seed)."""
    from .demo_data import seed as demo_seed

    return demo_seed(**kwargs)
