"""Visma eAccounting API v2 emulator: the resources Koppla uses, served at /sandbox/eaccounting/v2/….

Shaped after the official spec (spec/sandbox-subset.json, built from visma-eaccounting-v2.openapi.yaml
by spec/build_sandbox_subset.py) and, where the spec is silent, after the shared api-notes § B. The
connection's base URL is …/sandbox/eaccounting/v2 (as https://eaccountingapi.vismaonline.com/v2);
the identity server lives in oauth_sandbox.py (…/sandbox/eaccounting/identity/connect/…).

Protocol
- `Authorization: Bearer <access token>`; missing, unknown or expired: 401
  `{"Message": "Authorization has been denied for this request."}` with `WWW-Authenticate: Bearer`
  (ASSUMPTION: ASP.NET's default answer; the spec documents no 401 body). Every call needs scope
  `ea:api`; reads need `ea:sales` or `ea:sales_readonly`, writes `ea:sales` (the spec's operation
  descriptions), else 403 ErrorCode 4002 (NoAccessToModule).
- Field names, types and enums as the spec's schemas (PascalCase). Lists answer
  `{"Meta": {CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults, ServerTimeUtc}, "Data": […]}`,
  paged by `$page` (1-based) and `$pagesize` (default 50, at most 1000; more is refused with 2000, an
  ASSUMPTION: the notes give the maximum, not the answer). A page past the end is empty;
  TotalNumberOfPages is 0 when nothing matches. Default order: creation. A `Link` header names the
  next and previous pages (rel="next", rel="prev").
- `$filter` (OData subset; the spec lists no query parameters on /orders, SPEC-GAP, notes § B):
  `Field op value` joined by `and`; op eq, ne, gt, ge, lt, le; values 'text' (quote doubled inside),
  numbers, true/false, null, GUIDs, dates and date-times (bare, quoted or datetime'…'; no zone = UTC).
  Text compares case-insensitively (ASSUMPTION: SQL Server's default collation), date-time fields as
  instants. `or`, functions and unknown fields answer 400 ErrorCode 2000 saying so. `$orderby`:
  `Field [asc|desc]` on one scalar field (ModifiedUtc, ChangedUtc, Number…). /customerinvoices also
  takes the spec's `modifiedSinceUtc` (ModifiedUtc ≥ that instant).
- Errors: the spec's CommonExtendedBadRequest `{"ErrorCode", "DeveloperErrorMessage", "ErrorId",
  "Errors": [{"Field", "ErrorCode", "Message", "Key"}]}` with the codes of notes § B: 2000 validation
  (400), 3000 not found (404 for the resource in the path, ASSUMPTION; 400 for an id in the body), 4000
  conflict, e.g. a duplicate article Number or CustomerNumber (400: the only error status the spec
  lists), 4002 no access to module (403), 4010 quota (429). POST/PUT check the schema's required
  fields, types, maxLength and enums and the referenced ids (TermsOfPaymentId, CodingId, UnitId);
  read-only fields sent are ignored, unknown fields too (model binding). PUT replaces the whole
  object (notes § B): what is left out goes back to its default.
- Quota: QUOTA (600) requests per 60 s sliding window per company AND per endpoint (path template:
  /orders and /orders/{id} count apart) when settings.SANDBOX_RATE_LIMITS["eaccounting"] is set (True
  or (count, seconds)); beyond it 429 with `Retry-After` and `{"ErrorCode": 4010,
  "DeveloperErrorMessage": "API calls quota exceeded! maximum admitted 600 per Minute. Try again in
  N seconds.", "ErrorId": …}` (notes § B; SPEC-GAP: no 429 in the spec). A refused call does not count.
  `clock` can be replaced by a fake one in tests.
- Faults: SandboxFault rows of system "eaccounting" (integrations/sandbox/faults.py) matched against
  "METHOD /sandbox/eaccounting/v2/…": 5xx, 429 (same 4010 body, Retry-After as the fault says),
  slow answers, timeouts before the work or after a create (lost answer: the object exists).

Money (ASSUMPTIONS where the spec only says "2 decimals"), amounts in the document currency, half-up:
- rates are fractions (0.25 = 25 %), as DiscountPercentage's 0..1 range in the spec: row VatRate,
  invoice row PercentVat, VatSpecification VatPercent, article coding VatRatePercent, VatCode VatRate;
- row Amount (orders) / AmountNoVat and Amount (invoices) = round(Quantity × UnitPrice ×
  (1 − DiscountPercentage), 2), excluding VAT. IncludesVat is false on every document: the spec makes
  it true only for private customers of a company with ShowPricesExclVatPC, which the demo company does
  not have (company_settings_set can switch it on, but the sandbox does not emulate prices including
  VAT). VAT per rate = round(Σ row amounts at that rate × rate, 2);
- order Amount = Σ row amounts (excluding VAT), VatAmount = Σ VAT per rate, RoundingsAmount = the
  rounding of Amount + VatAmount to whole kronor for SEK documents (company DomesticCurrencyRounding 1),
  else 0; to pay = Amount + VatAmount + RoundingsAmount;
- invoice TotalAmountInvoiceCurrency = to pay (including VAT and roundings), TotalVatAmountInvoiceCurrency,
  TotalAmount / TotalVatAmount / TotalRoundings = those × CurrencyRate (base currency SEK);
- shipping is a row of the service article FREIGHT_NUMBER ("FRAKT"); a discount is a row's
  DiscountPercentage;
- the row VAT rate comes from the article's account coding; it is 0 for a company customer with a VAT
  number in another EU country (reverse charge) and for customers outside the EU.

Documents
- Orders (read only): Status 1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced. An order has no paid status
  and no link to its invoice: the customer invoice made from it names it in `CreatedFromOrderId`
  (spec), so `GET /customerinvoices?$filter=CreatedFromOrderId eq <order id>` finds it.
- Customer invoices (read only): PaymentStatus 0 Paid (RemainingAmount 0, PaymentDate set), 1 Unpaid,
  2 Overdue (unpaid and DueDate before today, computed when read). A credit invoice has
  IsCreditInvoice true, negative amounts and ReferringInvoiceId = the credited invoice; the credited
  one lists it in CreditedBy[].CreditInvoiceId.
- ModifiedUtc / ChangedUtc move on every change ("2026-11-02T10:15:30.123Z") of that object only:
  paying or crediting an invoice moves the invoice's ModifiedUtc, not its order's (ASSUMPTION, as the
  resources are separate), so "paid since" is read from /customerinvoices, not from /orders.

Test and seed helpers (no HTTP): customer_save, article_save, reference_put, company_settings_set,
order_build / order_create / orders_bulk_put / order_put / order_set, invoice_from_order, invoice_pay,
credit_invoice_create (full or partial), quota_reset; `clock` for the quota window.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db import router, transaction
from django.http import JsonResponse
from django.urls import path

from integrations.sandbox import store
from integrations.sandbox.faults import sandbox_endpoint
from integrations.sandbox.models import SandboxObject
from integrations.text_length import text_length

from . import oauth_sandbox

SYSTEM = "eaccounting"
QUOTA = (600, 60)
DEFAULT_PAGESIZE = 50
MAX_PAGESIZE = 1000
CENT = Decimal("0.01")
BASE_CURRENCY = "SEK"
FREIGHT_NUMBER = "FRAKT"
EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())

# kinds of SandboxObject rows
COMPANY = "company"
UNIT = "unit"
VAT_CODE = "vatcode"
TERMS = "termsofpayment"
CODING = "articleaccountcoding"
ARTICLE = "article"
CUSTOMER = "customer"
ORDER = "order"
INVOICE = "customerinvoice"

# error codes (notes § B)
VALIDATION = 2000
NOT_FOUND = 3000
CONFLICT = 4000
NO_ACCESS = 4002
QUOTA_EXCEEDED = 4010

# The quota clock (seconds). Tests may replace it, e.g. with a FakeClock's `time`.
clock: Callable[[], float] = time.time


# --------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error answer of the emulated API (CommonExtendedBadRequest)."""

    def __init__(self, status: int, code: int, message: str, errors: list[tuple[str, str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []

    def response(self) -> JsonResponse:
        return JsonResponse(error_body(self.code, self.message, self.errors), status=self.status)


def error_body(code: int, message: str, errors: list[tuple[str, str, str]] | None = None) -> dict:
    """The spec's CommonExtendedBadRequest; `errors` as (field, error kind, message)."""
    return {
        "ErrorCode": code,
        "DeveloperErrorMessage": message,
        "ErrorId": str(uuid.uuid4()),
        "Errors": [{"Field": f, "ErrorCode": k, "Message": m, "Key": f} for f, k, m in errors] if errors else None,
    }


def quota_message(count: int, seconds: int) -> str:
    return f"API calls quota exceeded! maximum admitted {count} per Minute. Try again in {seconds} seconds."


def quota_response(count: int, seconds: int) -> JsonResponse:
    """The 429 of an exceeded quota: code 4010 in words and a Retry-After header (notes § B)."""
    return JsonResponse(
        error_body(QUOTA_EXCEEDED, quota_message(count, seconds)) | {"Errors": None},
        status=429,
        headers={"Retry-After": str(seconds)},
    )


def _invalid(message: str, errors: list[tuple[str, str, str]] | None = None) -> ApiError:
    return ApiError(400, VALIDATION, message, errors)


def _field_invalid(field: str, kind: str, message: str) -> ApiError:
    return _invalid(f"Validation failed: {message}", [(field, kind, message)])


def _fault_body(status: int, message: str) -> dict:
    if status == 429:
        return error_body(QUOTA_EXCEEDED, quota_message(QUOTA[0], 1))
    return error_body(0, message)


# --------------------------------------------------------------------------- values
def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    """A ModifiedUtc / ChangedUtc value: UTC with milliseconds and Z, fixed width."""
    moment = (moment or utc_now()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day_value(day: date) -> str:
    """A date field (OrderDate, InvoiceDate…) as the API returns it: midnight, no zone."""
    return f"{day.isoformat()}T00:00:00"


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def num(value: Decimal) -> int | float:
    """A JSON number for a Decimal (int when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


def dec(value) -> Decimal:
    """A stored or sent number (int, float, Decimal or numeric string) as Decimal."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def parse_moment(text: str) -> datetime | None:
    """A date or date-time ("2026-11-02", "2026-11-02T10:00:00", "…Z", "…+01:00") as an aware UTC datetime."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def public(data: dict) -> dict:
    """A stored object without the emulator's private keys (those starting with "_")."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


# --------------------------------------------------------------------------- storage
def _get(kind: str, key) -> dict | None:
    return store.obj_get(SYSTEM, kind, key)


def _plain(value):
    """Stored JSON: a number a client sent (read as Decimal) kept as a JSON number."""
    if isinstance(value, Decimal):
        return num(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _put(kind: str, data: dict) -> dict:
    return store.obj_put(SYSTEM, kind, data["Id"], _plain(data))


def _all(kind: str) -> list[dict]:
    return list(store.obj_list(SYSTEM, kind))


def _atomic():
    return transaction.atomic(using=router.db_for_write(SandboxObject))


def _where(kind: str, **lookups) -> list[dict]:
    """Objects of a kind whose JSON fields match, e.g. _where(ARTICLE, Number="1001")."""
    rows = SandboxObject.objects.filter(system=SYSTEM, kind=kind, **{f"data__{k}": v for k, v in lookups.items()})
    return list(rows.order_by("id").values_list("data", flat=True))


def _must(kind: str, key: str, what: str) -> dict:
    data = _get(kind, key) if key else None
    if data is None:
        raise ApiError(404, NOT_FOUND, f"{what} with id '{key}' was not found.")
    return data


def new_id() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- the spec
SPEC_PATH = Path(__file__).with_name("spec") / "sandbox-subset.json"


@functools.cache
def _schemas() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"]


def spec_properties(schema: str) -> dict:
    """The properties of a component schema of the official spec, e.g. "OrderApi"."""
    return _schemas()[schema]["properties"]


def spec_required(schema: str) -> list[str]:
    return list(_schemas()[schema].get("required", []))


def _types(prop: dict) -> set[str]:
    if "$ref" in prop:
        target = _schemas()[prop["$ref"].rsplit("/", 1)[1]]
        return _types(target)
    kind = prop.get("type", "object")
    return set(kind) if isinstance(kind, list) else {kind}


def writable(schema: str, body: dict) -> dict:
    """Check `body` against the schema (required, types, lengths, enums, ranges) and keep its writable fields.

    Raises ApiError 2000 listing every bad field. Unknown and read-only fields are dropped, as model binding does.
    """
    props = spec_properties(schema)
    problems: list[tuple[str, str, str]] = []
    for name in spec_required(schema):
        if props.get(name, {}).get("readOnly"):
            continue
        if body.get(name) is None or (name in props and "string" in _types(props[name]) and body.get(name) == ""):
            problems.append((name, "Required", f"The {name} field is required."))
    kept: dict = {}
    for name, value in body.items():
        prop = props.get(name)
        if prop is None or prop.get("readOnly"):
            continue
        problem = _value_problem(name, prop, value)
        if problem:
            problems.append(problem)
        else:
            kept[name] = value
    if problems:
        raise _invalid("Validation failed: " + " ".join(m for _, _, m in problems), problems)
    return kept


def _value_problem(name: str, prop: dict, value) -> tuple[str, str, str] | None:
    types = _types(prop)
    if value is None:
        return None if "null" in types else (name, "Required", f"The {name} field may not be null.")
    if "string" in types:
        if not isinstance(value, str):
            return name, "InvalidType", f"{name} must be text."
        if prop.get("format") == "uuid" and value:
            try:
                uuid.UUID(value)
            except ValueError:
                return name, "InvalidValue", f"{name} '{value}' is not a GUID."
        if prop.get("format") == "date-time" and value and parse_moment(value) is None:
            return name, "InvalidValue", f"{name} '{value}' is not a date (YYYY-MM-DD)."
        if "maxLength" in prop and text_length(value) > prop["maxLength"]:  # .NET counts UTF-16 code units
            return (
                name,
                "MaxLength",
                f"{name} may be at most {prop['maxLength']} characters long (is {text_length(value)}).",
            )
        return None
    if types & {"number", "integer"}:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return name, "InvalidType", f"{name} must be a number."
        number = dec(value)
        if "integer" in types and "number" not in types and number != number.to_integral_value():
            return name, "InvalidType", f"{name} must be a whole number."
        if "minimum" in prop and number < dec(prop["minimum"]) or "maximum" in prop and number > dec(prop["maximum"]):
            return name, "InvalidValue", f"{name} must be between {prop.get('minimum')} and {prop.get('maximum')}."
        if "enum" in prop and value not in prop["enum"]:
            return name, "InvalidValue", f"{name} must be one of {prop['enum']}."
        return None
    if "boolean" in types and not isinstance(value, bool):
        return name, "InvalidType", f"{name} must be true or false."
    if "array" in types and not isinstance(value, list):
        return name, "InvalidType", f"{name} must be a list."
    return None


# --------------------------------------------------------------------------- quota
_quota_lock = threading.Lock()
_hits: dict[str, list[float]] = {}


def quota_reset() -> None:
    with _quota_lock:
        _hits.clear()


def _quota_limits() -> tuple[int, int] | None:
    limits = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(SYSTEM)
    if not limits:
        return None
    return QUOTA if limits is True else tuple(limits)


def _quota_take(key: str) -> tuple[int, int] | None:
    """Count a call of `key` (company|endpoint); (limit, seconds to wait) when over the window (not counted)."""
    limits = _quota_limits()
    if limits is None:
        return None
    count, period = limits
    at = clock()
    with _quota_lock:
        hits = [t for t in _hits.get(key, []) if 0 <= at - t < period]
        if len(hits) >= count:
            _hits[key] = hits
            return count, max(1, math.ceil(period - (at - hits[0])))
        hits.append(at)
        _hits[key] = hits
    return None


# --------------------------------------------------------------------------- lists: $filter, $orderby, paging
_CONDITION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$", re.IGNORECASE)


def _split_outside_quotes(text: str, word: str) -> list[str]:
    """Split `text` on ` word ` (case-insensitive) where it is not inside a quoted literal."""
    parts, current, quoted, i = [], "", False, 0
    needle = f" {word} "
    while i < len(text):
        if text[i] == "'":
            quoted = not quoted
        if not quoted and text[i : i + len(needle)].lower() == needle:
            parts.append(current)
            current, i = "", i + len(needle)
            continue
        current += text[i]
        i += 1
    parts.append(current)
    return parts


def _literal(raw: str):
    """An OData literal: ('text', str) | ('number', Decimal) | ('bool', bool) | ('null', None) | ('moment', datetime)."""
    raw = raw.strip()
    match = re.fullmatch(r"(?:datetime|guid)?'((?:[^']|'')*)'", raw, re.IGNORECASE)
    if match:
        return "text", match.group(1).replace("''", "'")
    if raw.lower() in ("true", "false"):
        return "bool", raw.lower() == "true"
    if raw.lower() == "null":
        return "null", None
    if re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return "number", Decimal(raw)
    if parse_moment(raw) is not None:
        return "moment", parse_moment(raw)
    if re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", raw):
        return "text", raw
    raise _invalid(f"$filter: '{raw}' is not a value (quote text as 'text'; dates as 2026-11-02T00:00:00Z).")


def _comparable(prop: dict, value, literal: tuple[str, object], field: str):
    """(stored value, filter value) in one comparable type for the field's spec type."""
    kind, given = literal
    types = _types(prop)
    if kind == "null":
        return value, None
    if prop.get("format") == "date-time":
        moment = given if kind == "moment" else parse_moment(str(given))
        if moment is None:
            raise _invalid(f"$filter: {field} is a date-time; '{given}' is not one.")
        return (parse_moment(value) if value else None), moment
    if types & {"number", "integer"}:
        if kind != "number":
            raise _invalid(f"$filter: {field} is a number; '{given}' is not one.")
        return (dec(value) if value is not None else None), given
    if "boolean" in types:
        if kind != "bool":
            raise _invalid(f"$filter: {field} is true or false; '{given}' is neither.")
        return value, given
    text = given.isoformat() if isinstance(given, datetime) else str(given)
    return (str(value).lower() if value is not None else None), text.lower()


def _match(op: str, left, right) -> bool:
    if right is None or left is None:
        return (left is right) if op == "eq" else (left is not right) if op == "ne" else False
    return {
        "eq": left == right,
        "ne": left != right,
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]


def filter_items(items: list[dict], expression: str, schema: str) -> list[dict]:
    """The items matching an OData `$filter` of the supported subset (see the module's docstring)."""
    if not expression.strip():
        return items
    if len(_split_outside_quotes(expression, "or")) > 1:
        raise _invalid("$filter: only 'and' joins conditions here; 'or' is not supported.")
    props = spec_properties(schema)
    conditions = []
    for part in _split_outside_quotes(expression, "and"):
        match = _CONDITION.match(part)
        if not match:
            raise _invalid(f"$filter: '{part.strip()}' is not 'Field eq|ne|gt|ge|lt|le value'.")
        field, op, raw = match.group(1), match.group(2).lower(), match.group(3)
        prop = next((p for name, p in props.items() if name.lower() == field.lower()), None)
        if prop is None or _types(prop) & {"array", "object"}:
            raise _invalid(f"$filter: {schema[:-3]} has no field '{field}' to filter on.")
        name = next(name for name in props if name.lower() == field.lower())
        conditions.append((name, op, prop, _literal(raw)))
    kept = []
    for item in items:
        ok = True
        for name, op, prop, literal in conditions:
            left, right = _comparable(prop, item.get(name), literal, name)
            if not _match(op, left, right):
                ok = False
                break
        if ok:
            kept.append(item)
    return kept


def order_items(items: list[dict], expression: str, schema: str) -> list[dict]:
    """Items sorted by `$orderby` ("Field [asc|desc]"), None first ascending."""
    if not expression.strip():
        return items
    parts = expression.split()
    field, direction = parts[0], (parts[1].lower() if len(parts) > 1 else "asc")
    props = spec_properties(schema)
    name = next((n for n in props if n.lower() == field.lower()), None)
    if name is None or len(parts) > 2 or direction not in ("asc", "desc") or _types(props[name]) & {"array", "object"}:
        raise _invalid(f"$orderby: '{expression}' is not 'Field asc|desc' on a field of {schema[:-3]}.")
    prop = props[name]

    def key(item):
        value = item.get(name)
        if value is None:
            return (0, "")
        if prop.get("format") == "date-time":
            return (1, parse_moment(value) or datetime.min.replace(tzinfo=UTC))
        if _types(prop) & {"number", "integer"}:
            return (1, dec(value))
        return (1, str(value).lower())

    return sorted(items, key=key, reverse=direction == "desc")


def _positive(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name} must be a whole number (was '{raw}').") from None
    if value < 1:
        raise _invalid(f"{name} must be at least 1 (was {value}).")
    return value


def listing(request, items: list[dict], schema: str, shape: Callable[[dict], dict] = public) -> JsonResponse:
    """One page of a list in the {Meta, Data} envelope, after `$filter` and `$orderby` (see the docstring)."""
    page = _positive(request, "$page", 1)
    size = _positive(request, "$pagesize", DEFAULT_PAGESIZE)
    if size > MAX_PAGESIZE:
        raise _invalid(f"$pagesize may be at most {MAX_PAGESIZE} (was {size}).")
    shaped = [shape(item) for item in items]
    shaped = filter_items(shaped, request.GET.get("$filter", ""), schema)
    shaped = order_items(shaped, request.GET.get("$orderby", ""), schema)
    total = len(shaped)
    meta = {
        "CurrentPage": page,
        "PageSize": size,
        "TotalNumberOfPages": math.ceil(total / size),
        "TotalNumberOfResults": total,
        "ServerTimeUtc": utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    answer = JsonResponse({"Meta": meta, "Data": shaped[(page - 1) * size : page * size]})
    links = [(page + 1, "next")] if page < meta["TotalNumberOfPages"] else []
    links += [(page - 1, "prev")] if page > 1 else []
    if links:
        answer["Link"] = ", ".join(f'<{_page_url(request, number)}>; rel="{rel}"' for number, rel in links)
    return answer


def _page_url(request, page: int) -> str:
    """The request's URL asking for another page (the Link header's targets, notes § B)."""
    query = request.GET.copy()
    query["$page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode(safe='$')}")


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}", parse_float=Decimal)
    except ValueError:
        raise _invalid("The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    return body


# --------------------------------------------------------------------------- views
def endpoint(template: str, *, get=None, post=None, put=None):
    """A view of the emulated API: faults, bearer auth, per-endpoint quota, scopes, dispatch, error answers."""
    handlers = {"GET": get, "POST": post, "PUT": put}

    def view(request, **kwargs):
        try:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            grant = oauth_sandbox.token_validate(header[7:].strip()) if header.startswith("Bearer ") else None
            if grant is None:
                return JsonResponse(
                    {"Message": "Authorization has been denied for this request."},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            over = _quota_take(f"{grant['company_id']}|{template}")
            if over is not None:
                return quota_response(*over)
            handler = handlers.get(request.method)
            if handler is None:
                raise ApiError(405, VALIDATION, f"The method {request.method} is not allowed on {template}.")
            scopes = str(grant.get("scope", "")).split()
            needed = ("ea:sales",) if request.method != "GET" else ("ea:sales", "ea:sales_readonly")
            if "ea:api" not in scopes or not any(s in scopes for s in needed):
                raise ApiError(
                    403, NO_ACCESS, f"The token lacks scope ea:api and one of {', '.join(needed)} for {template}."
                )
            if request.method == "GET":
                return handler(request, **kwargs)
            with _atomic():
                return handler(request, **kwargs)
        except ApiError as exc:
            return exc.response()

    view.__name__ = f"eaccounting_{(get or post or put).__name__}"
    return _quota_words(sandbox_endpoint(SYSTEM, _fault_body)(view))


def _quota_words(view):
    """An injected 429 says in its 4010 message the Retry-After the fault gives, as a real one does."""

    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 429 and response.get("Retry-After"):
            body = json.loads(response.content)
            if body.get("ErrorCode") == QUOTA_EXCEEDED:
                limits = _quota_limits() or QUOTA
                body["DeveloperErrorMessage"] = quota_message(limits[0], int(response["Retry-After"]))
                response.content = json.dumps(body).encode()
        return response

    wrapper.__name__ = view.__name__
    wrapper.csrf_exempt = True
    return wrapper


# -- company settings and reference data ------------------------------------------------
def company() -> dict:
    """The emulated company's settings (CompanySettingsApi fields; seeded by demo_data)."""
    return _get(COMPANY, "company") or {
        "Name": oauth_sandbox.DEMO_COMPANY_NAME,
        "Address1": "Sandlådevägen 1",
        "PostalCode": "111 22",
        "City": "Stockholm",
        "CountryCode": "SE",
        "CurrencyCode": BASE_CURRENCY,
        "CorporateIdentityNumber": "556000-0017",
        "VatCode": "SE556000001701",
        "CompanyIdentifier": oauth_sandbox.DEMO_COMPANY_ID,
        "DomesticCurrencyRounding": 1,
        "ShowPricesExclVatPC": False,
        "UsesMoss": False,
        "CompanyStatus": 1,
        "ProductVariant": 2,
        "ActivatedModules": [],
    }


def company_settings_set(**changes) -> dict:
    """Test and demo helper: change company settings (DomesticCurrencyRounding, Name…)."""
    return store.obj_put(SYSTEM, COMPANY, "company", {**company(), **changes})


def company_view(request):
    return JsonResponse(company())


def reference_put(kind: str, data: dict) -> dict:
    """Seed helper: a unit, VAT code, terms of payment or article account coding (Id made when missing)."""
    return _put(kind, {"Id": data.get("Id") or new_id(), **data})


def _reference_list(kind: str, schema: str):
    def view(request):
        return listing(request, _all(kind), schema)

    view.__name__ = f"{kind}_list"
    return view


def _reference_one(kind: str, what: str):
    def view(request, key: str):
        return JsonResponse(public(_must(kind, key, what)))

    view.__name__ = f"{kind}_one"
    return view


# -- customers ------------------------------------------------------------------------------
def _customer_shape(data: dict) -> dict:
    terms = _get(TERMS, data.get("TermsOfPaymentId") or "")
    return {**public(data), "TermsOfPayment": public(terms) if terms else None}


def _customer_check(fields: dict, *, key: str | None) -> None:
    if not _get(TERMS, fields["TermsOfPaymentId"]):
        raise ApiError(
            400, NOT_FOUND, f"TermsOfPaymentId '{fields['TermsOfPaymentId']}' was not found: see /termsofpayments."
        )
    number = fields.get("CustomerNumber")
    if number:
        for other in _where(CUSTOMER, CustomerNumber=number):
            if other["Id"] != key:
                raise ApiError(400, CONFLICT, f"CustomerNumber {number} is already used by another customer.")
    if fields.get("VatNumber") and not fields.get("InvoiceCountryCode"):
        raise _field_invalid("InvoiceCountryCode", "Required", "InvoiceCountryCode is required with a VatNumber.")


def _customer_number() -> str:
    number = str(store.counter_next(SYSTEM, "customer", start=1001))
    while _where(CUSTOMER, CustomerNumber=number):
        number = str(store.counter_next(SYSTEM, "customer", start=1001))
    return number


def customer_save(body: dict, *, key: str | None = None, changed: datetime | None = None) -> dict:
    """Create (key None) or replace a customer as POST /customers and PUT /customers/{id} do; raises ApiError.

    `changed`: the ChangedUtc to give it (seeds and tests; default now).
    """
    fields = writable("CustomerApi", body)
    _customer_check(fields, key=key)
    old = _get(CUSTOMER, key) if key else None
    props = spec_properties("CustomerApi")
    blank = {name: None for name, prop in props.items() if not prop.get("readOnly") and "null" in _types(prop)}
    data = {
        **blank,
        "CurrencyCode": BASE_CURRENCY,
        "InvoiceCountryCode": "SE",
        "ReverseChargeOnConstructionServices": False,
        "IsNorthernIreland": None,
        "DiscountPercentage": 0,
        "ForceBookkeepVat": False,
        "DeliveryBasedVat": False,
        **fields,
        "Id": key or new_id(),
        "CustomerNumber": fields.get("CustomerNumber") or (old or {}).get("CustomerNumber") or _customer_number(),
        "ChangedUtc": stamp(changed),
        "LastInvoiceDate": (old or {}).get("LastInvoiceDate"),
        "UnpaidInvoicesAmount": (old or {}).get("UnpaidInvoicesAmount", 0),
        "PayToAccountId": None,
        "IsFutureInvoiceDateAllowed": True,
    }
    return _put(CUSTOMER, data)


def customers_view(request):
    if request.method == "POST":
        return JsonResponse(_customer_shape(customer_save(_body(request))), status=201)
    return listing(request, _all(CUSTOMER), "CustomerApi", _customer_shape)


def customer_view(request, key: str):
    _must(CUSTOMER, key, "Customer")
    if request.method == "PUT":
        return JsonResponse(_customer_shape(customer_save(_body(request), key=key)))
    return JsonResponse(_customer_shape(_get(CUSTOMER, key)))


# -- articles -------------------------------------------------------------------------------
def _coding_rate(coding_id: str) -> Decimal:
    coding = _get(CODING, coding_id) or {}
    return dec(coding.get("VatRatePercent"))


def _article_shape(data: dict) -> dict:
    return public(data)


def article_save(body: dict, *, key: str | None = None) -> dict:
    """Create (key None) or replace an article as POST /articles and PUT /articles/{id} do; raises ApiError.

    Number is unique (4000 Conflict); CodingId and UnitId must exist (3000). NetPrice (excluding VAT) and
    GrossPrice (including the coding's VAT) fill each other when one is left out; StockBalance is
    settable (no stock module) and StockBalanceAvailable = StockBalance − StockBalanceReserved. A PUT
    replaces the whole article: a field left out goes back to its default (StockBalance to 0).
    """
    fields = writable("ArticleApi", body)
    number = fields["Number"].strip()
    for other in _where(ARTICLE, Number__iexact=number):
        if other["Id"] != key:
            raise ApiError(400, CONFLICT, f"An article with Number '{number}' already exists (Id {other['Id']}).")
    coding = _get(CODING, fields["CodingId"])
    if coding is None:
        raise ApiError(400, NOT_FOUND, f"CodingId '{fields['CodingId']}' was not found: see /articleaccountcodings.")
    unit = _get(UNIT, fields["UnitId"])
    if unit is None:
        raise ApiError(400, NOT_FOUND, f"UnitId '{fields['UnitId']}' was not found: see /units.")
    old = _get(ARTICLE, key) if key else None
    rate = dec(coding.get("VatRatePercent"))
    net = q2(dec(fields["NetPrice"])) if "NetPrice" in fields else None
    gross = q2(dec(fields["GrossPrice"])) if "GrossPrice" in fields else None
    if net is None and gross is not None:
        net = q2(gross / (1 + rate))
    if gross is None:
        gross = q2((net or Decimal(0)) * (1 + rate))
    net = net or Decimal(0)
    stock = dec(fields.get("StockBalance", 0))
    reserved = dec((old or {}).get("StockBalanceReserved", 0))
    now = stamp()
    data = {
        "NameEnglish": None,
        "PurchasePrice": 0,
        "SendToWebshop": True,
        "UsesMoss": False,
        "Note": None,
        "IsStock": False,
        "StockLocationReference": None,
        "FreightCosts": 0,
        "Barcodes": None,
        "ArticleLabels": None,
        **fields,
        "Id": key or new_id(),
        "Number": number,
        "NetPrice": num(net),
        "NetPriceWithDiscount": num(net),
        "GrossPrice": num(gross),
        "CodingName": coding.get("Name"),
        "UnitName": unit.get("Name"),
        "UnitAbbreviation": unit.get("Abbreviation"),
        "StockBalance": num(stock),
        "StockBalanceReserved": num(reserved),
        "StockBalanceAvailable": num(stock - reserved),
        "StockBalanceManuallyChangedUtc": now
        if "StockBalance" in fields
        else (old or {}).get("StockBalanceManuallyChangedUtc"),
        "IsServiceArticle": coding.get("Type") == "Service",
        "ShowStockInformation": coding.get("Type") != "Service",
        "CreatedUtc": (old or {}).get("CreatedUtc", now),
        "ChangedUtc": now,
    }
    return _put(ARTICLE, data)


def articles_view(request):
    if request.method == "POST":
        return JsonResponse(_article_shape(article_save(_body(request))), status=201)
    return listing(request, _all(ARTICLE), "ArticleApi", _article_shape)


def article_view(request, key: str):
    _must(ARTICLE, key, "Article")
    if request.method == "PUT":
        return JsonResponse(_article_shape(article_save(_body(request), key=key)))
    return JsonResponse(_article_shape(_get(ARTICLE, key)))


def article_by_number(number: str) -> dict | None:
    return next(iter(_where(ARTICLE, Number=number)), None)


# -- money ------------------------------------------------------------------------------------
def row_vat_rate(customer: dict, article: dict) -> Decimal:
    """The VAT rate (fraction) of an article row for a customer: the coding's, or 0 (EU reverse charge, export)."""
    country = (customer.get("InvoiceCountryCode") or "SE").upper()
    if country not in EU_COUNTRIES:
        return Decimal(0)
    if country != "SE" and not customer.get("IsPrivatePerson") and customer.get("VatNumber"):
        return Decimal(0)
    return _coding_rate(article["CodingId"])


def row_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """A row's amount excluding VAT: round(quantity × price × (1 − discount), 2)."""
    return q2(quantity * unit_price * (1 - discount))


def vat_by_rate(rows: list[dict], amount_key: str, rate_key: str) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """{rate: (net, VAT)} of a document's rows; VAT per rate = round(net × rate, 2)."""
    nets: dict[Decimal, Decimal] = {}
    for row in rows:
        if row.get("IsTextRow"):
            continue
        rate = dec(row.get(rate_key))
        nets[rate] = nets.get(rate, Decimal(0)) + dec(row[amount_key])
    return {rate: (net, q2(net * rate)) for rate, net in sorted(nets.items())}


def totals(rows: list[dict], currency: str, *, amount_key: str = "Amount", rate_key: str = "VatRate") -> dict:
    """{"net", "vat", "roundings", "total"} (Decimal) of a document's rows, after the module's rules."""
    per_rate = vat_by_rate(rows, amount_key, rate_key)
    net = sum((n for n, _ in per_rate.values()), Decimal(0))
    vat = sum((v for _, v in per_rate.values()), Decimal(0))
    roundings = Decimal(0)
    if currency == BASE_CURRENCY and company().get("DomesticCurrencyRounding") == 1:
        roundings = (net + vat).quantize(Decimal(1), rounding=ROUND_HALF_UP) - (net + vat)
    return {"net": net, "vat": vat, "roundings": roundings, "total": net + vat + roundings}


# -- orders ---------------------------------------------------------------------------------------
def order_create(**kwargs) -> dict:
    """Seed helper: build an order (order_build's arguments) and store it; returns the stored OrderApi."""
    return _put(ORDER, order_build(**kwargs))


def order_put(order: dict) -> dict:
    """Test helper: store an OrderApi object as it is (e.g. one spoilt on purpose); it needs an "Id"."""
    return _put(ORDER, order)


def orders_bulk_put(orders: list[dict]) -> None:
    """Test helper: store many built orders (order_build) at once, in list order."""
    SandboxObject.objects.bulk_create(
        [SandboxObject(system=SYSTEM, kind=ORDER, key=order["Id"], data=order) for order in orders]
    )


def order_build(
    *,
    customer_id: str,
    rows: list[dict],
    order_date: date,
    status: int = 2,
    currency: str = BASE_CURRENCY,
    modified: datetime | None = None,
    customer: dict | None = None,
    articles: dict[str, dict] | None = None,
    **fields,
) -> dict:
    """An order as eAccounting keeps it (OrderApi), not stored yet.

    rows: [{"ArticleNumber": "1001", "Quantity": Decimal, "UnitPrice": Decimal (excl. VAT, document
    currency; default the article's NetPrice), "DiscountPercentage": Decimal 0..1 (default 0)}]. The
    customer's addresses, the row texts, VAT rates and amounts and the totals are filled as the API does.
    `modified`: its CreatedUtc and ModifiedUtc (default now); `fields` override any field (Number…).
    `customer` / `articles` (by Number): the objects already read, to build many orders fast.
    Raises ApiError 3000 for an unknown customer or article.
    """
    customer = customer or _get(CUSTOMER, customer_id)
    if customer is None:
        raise ApiError(400, NOT_FOUND, f"CustomerId '{customer_id}' was not found.")
    number = fields.pop("Number", None)
    made = []
    for line, spec in enumerate(rows, start=1):
        article = (articles or {}).get(spec["ArticleNumber"]) or article_by_number(spec["ArticleNumber"])
        if article is None:
            raise ApiError(400, NOT_FOUND, f"Article '{spec['ArticleNumber']}' was not found.")
        quantity = dec(spec.get("Quantity", 1))
        price = q2(dec(spec.get("UnitPrice", article["NetPrice"])))
        discount = dec(spec.get("DiscountPercentage", 0))
        made.append(
            {
                "Id": new_id(),
                "LineNumber": line,
                "DeliveredQuantity": num(quantity) if status >= 3 else 0,
                "ArticleId": article["Id"],
                "IsServiceArticle": article["IsServiceArticle"],
                "UnitId": article["UnitId"],
                "ArticleNumber": article["Number"],
                "IsTextRow": False,
                "Text": spec.get("Text") or article["Name"],
                "UnitPrice": num(price),
                "Amount": num(row_amount(quantity, price, discount)),
                "IsDiscountInFixedAmount": False,
                "DiscountFixedAmount": None,
                "DiscountPercentage": num(discount),
                "Quantity": num(quantity),
                "WorkCostType": 0,
                "IsWorkCost": False,
                "WorkHours": None,
                "MaterialCosts": None,
                "EligibleForReverseChargeOnVat": False,
                "VatRate": num(row_vat_rate(customer, article)),
                "CostCenterItemId1": None,
                "CostCenterItemId2": None,
                "CostCenterItemId3": None,
                "ProjectId": None,
                "GreenTechnologyType": 0,
                "PurchasePrice": article.get("PurchasePrice", 0),
                "FreightCosts": article.get("FreightCosts", 0),
            }
        )
    money = totals(made, currency)
    moment = modified or utc_now()
    delivered = status >= 3
    order = {
        "Id": new_id(),
        "Amount": num(money["net"]),
        "CustomerId": customer_id,
        "CurrencyCode": currency,
        "CreatedUtc": stamp(moment),
        "VatAmount": num(money["vat"]),
        "RoundingsAmount": num(money["roundings"]),
        "DeliveredAmount": num(money["net"]) if delivered else 0,
        "DeliveredVatAmount": num(money["vat"]) if delivered else 0,
        "DeliveredRoundingsAmount": num(money["roundings"]) if delivered else 0,
        "DeliveryCustomerName": customer.get("DeliveryCustomerName") or customer["Name"],
        "DeliveryAddress1": customer.get("DeliveryAddress1") or customer.get("InvoiceAddress1"),
        "DeliveryAddress2": customer.get("DeliveryAddress2") or customer.get("InvoiceAddress2"),
        "DeliveryPostalCode": customer.get("DeliveryPostalCode") or customer["InvoicePostalCode"],
        "DeliveryCity": customer.get("DeliveryCity") or customer["InvoiceCity"],
        "DeliveryCountryCode": customer.get("DeliveryCountryCode") or customer.get("InvoiceCountryCode"),
        "YourReference": customer.get("ContactPersonName"),
        "OurReference": None,
        "BuyersOrderReference": None,
        "InvoiceAddress1": customer.get("InvoiceAddress1"),
        "InvoiceAddress2": customer.get("InvoiceAddress2"),
        "InvoiceCity": customer["InvoiceCity"],
        "InvoiceCountryCode": customer.get("InvoiceCountryCode"),
        "InvoiceCustomerName": customer["Name"],
        "CustomerNumber": customer["CustomerNumber"],
        "CustomerName": customer["Name"],
        "InvoicePostalCode": customer["InvoicePostalCode"],
        "DeliveryMethodName": None,
        "DeliveryMethodCode": None,
        "DeliveryTermName": None,
        "DeliveryTermId": None,
        "DeliveryMethodId": None,
        "DeliveryTermCode": None,
        "TermsOfPaymentId": customer["TermsOfPaymentId"],
        "EuThirdParty": False,
        "CustomerIsPrivatePerson": customer["IsPrivatePerson"],
        "IncludesVat": False,
        "OrderDate": day_value(order_date),
        "Status": status,
        "Number": number or store.counter_next(SYSTEM, "order", start=1),
        "ModifiedUtc": stamp(moment),
        "DeliveryDate": day_value(order_date + timedelta(days=2)) if delivered else None,
        "HouseWorkAmount": 0,
        "HouseWorkAutomaticDistribution": False,
        "HouseWorkCorporateIdentityNumber": None,
        "HouseWorkPropertyName": None,
        "SalesDocumentAttachments": [],
        "MessageThreads": [],
        "Notes": [],
        "Rows": made,
        "ShippedDateTime": day_value(order_date + timedelta(days=1)) if delivered else None,
        "RotReducedInvoicingType": 0,
        "MaxAllowedTaxReductionAmount": 0,
        "RotReducedInvoicingPercent": 0,
        "RotPropertyType": None,
        "Persons": [],
        "ReverseChargeOnConstructionServices": False,
        "UsesGreenTechnology": False,
        "IsNotDelivered": False,
        "CreatedFromQuoteId": None,
        "BackgroundId": None,
        **fields,
    }
    return order


def order_set(order_id: str, **changes) -> dict:
    """Test and demo helper: change an order's fields (Status…); ModifiedUtc moves."""
    order = _must(ORDER, order_id, "Order")
    return _put(ORDER, {**order, **changes, "ModifiedUtc": stamp()})


def orders_view(request):
    return listing(request, _all(ORDER), "OrderApi")


def order_view(request, key: str):
    return JsonResponse(public(_must(ORDER, key, "Order")))


# -- customer invoices -------------------------------------------------------------------------------
def _invoice_rows(order_rows: list[dict], sign: int) -> list[dict]:
    rows = []
    for row in order_rows:
        quantity = dec(row["Quantity"]) * sign
        amount = row_amount(quantity, dec(row["UnitPrice"]), dec(row["DiscountPercentage"]))
        rows.append(
            {
                "Id": new_id(),
                "ArticleNumber": row["ArticleNumber"],
                "ArticleId": row["ArticleId"],
                "IsServiceArticle": row["IsServiceArticle"],
                "AmountNoVat": num(amount),
                "PercentVat": row["VatRate"],
                "VatRate": row["VatRate"],
                "LineNumber": row["LineNumber"],
                "IsTextRow": False,
                "Text": row["Text"],
                "UnitPrice": row["UnitPrice"],
                "UnitAbbreviation": "st",
                "UnitAbbreviationEnglish": "pcs",
                "IsDiscountInFixedAmount": False,
                "DiscountFixedAmount": None,
                "DiscountPercentage": row["DiscountPercentage"],
                "Quantity": num(quantity),
                "IsWorkCost": False,
                "IsVatFree": dec(row["VatRate"]) == 0,
                "CostCenterItemId1": None,
                "CostCenterItemId2": None,
                "CostCenterItemId3": None,
                "UnitId": row["UnitId"],
                "ProjectId": None,
                "WorkCostType": 0,
                "WorkHours": None,
                "MaterialCosts": None,
                "GreenTechnologyType": 0,
                "PurchasePrice": row.get("PurchasePrice", 0),
                "FreightCosts": row.get("FreightCosts", 0),
                "Amount": num(amount),
            }
        )
    return rows


def _invoice_document(
    *, customer: dict, rows: list[dict], currency: str, rate: Decimal, invoice_date: date, moment: datetime
) -> dict:
    money = totals(rows, currency, amount_key="AmountNoVat", rate_key="VatRate")
    terms = _get(TERMS, customer["TermsOfPaymentId"]) or {"NumberOfDays": 30}
    per_rate = vat_by_rate(rows, "AmountNoVat", "VatRate")
    return {
        "Id": new_id(),
        "EuThirdParty": False,
        "IsCreditInvoice": False,
        "CurrencyCode": currency,
        "CurrencyRate": num(rate),
        "CreatedByUserId": None,
        "TotalAmount": num(q2(money["total"] * rate)),
        "TotalVatAmount": num(q2(money["vat"] * rate)),
        "TotalRoundings": num(q2(money["roundings"] * rate)),
        "TotalAmountInvoiceCurrency": num(money["total"]),
        "TotalVatAmountInvoiceCurrency": num(money["vat"]),
        "SetOffAmountInvoiceCurrency": 0,
        "CustomerId": customer["Id"],
        "Rows": rows,
        "VatSpecification": [
            {"AmountInvoiceCurrency": num(net), "VatAmountInvoiceCurrency": num(vat), "VatPercent": num(r)}
            for r, (net, vat) in per_rate.items()
        ],
        "InvoiceDate": day_value(invoice_date),
        "DueDate": day_value(invoice_date + timedelta(days=int(terms.get("NumberOfDays") or 0))),
        "DeliveryDate": day_value(invoice_date),
        "RotReducedInvoicingType": 0,
        "InvoiceCustomerName": customer["Name"],
        "InvoiceAddress1": customer.get("InvoiceAddress1"),
        "InvoiceAddress2": customer.get("InvoiceAddress2"),
        "InvoicePostalCode": customer["InvoicePostalCode"],
        "InvoiceCity": customer["InvoiceCity"],
        "InvoiceCountryCode": customer.get("InvoiceCountryCode"),
        "CustomerIsPrivatePerson": customer["IsPrivatePerson"],
        "TermsOfPaymentId": customer["TermsOfPaymentId"],
        "CustomerEmail": customer.get("EmailAddress"),
        "InvoiceNumber": store.counter_next(SYSTEM, "invoice", start=1),
        "CustomerNumber": customer["CustomerNumber"],
        "CustomerName": customer["Name"],
        "YourReference": customer.get("ContactPersonName"),
        "OurReference": None,
        "BuyersOrderReference": None,
        "RemainingAmount": num(q2(money["total"] * rate)),
        "RemainingAmountInvoiceCurrency": num(money["total"]),
        "ReferringInvoiceId": None,
        "CreatedFromOrderId": None,
        "CreatedFromQuoteId": None,
        "CreatedFromDraftId": None,
        "VoucherNumber": None,
        "CreatedUtc": stamp(moment),
        "ModifiedUtc": stamp(moment),
        "IncludesVat": False,
        "SendType": 0,
        "PaymentDate": None,
        "PaymentStatus": 1,
        "CreditedBy": [],
        "IsQuickInvoice": False,
        "IsCollectiveInvoice": False,
        "CollectiveCustomerInvoiceRowsRelationToOrders": None,
    }


def invoice_from_order(
    order_id: str,
    *,
    invoice_date: date,
    paid_on: date | None = None,
    currency_rate: Decimal = Decimal(1),
    modified: datetime | None = None,
) -> dict:
    """Seed helper: invoice an order (as converting it does): the invoice names it in CreatedFromOrderId and
    the order becomes Status 4 Invoiced. `paid_on`: paid in full that day (PaymentStatus 0), else unpaid."""
    order = _must(ORDER, order_id, "Order")
    customer = _must(CUSTOMER, order["CustomerId"], "Customer")
    moment = modified or utc_now()
    invoice = _invoice_document(
        customer=customer,
        rows=_invoice_rows(order["Rows"], 1),
        currency=order["CurrencyCode"],
        rate=currency_rate,
        invoice_date=invoice_date,
        moment=moment,
    )
    invoice["CreatedFromOrderId"] = order["Id"]
    invoice["BuyersOrderReference"] = order.get("BuyersOrderReference")
    if paid_on is not None:
        invoice.update(
            PaymentStatus=0, PaymentDate=day_value(paid_on), RemainingAmount=0, RemainingAmountInvoiceCurrency=0
        )
    _put(ORDER, {**order, "Status": 4, "ModifiedUtc": stamp(moment)})
    return _put(INVOICE, invoice)


def credit_invoice_create(
    original_id: str,
    *,
    invoice_date: date,
    modified: datetime | None = None,
    lines: dict[str, Decimal] | None = None,
    settled: bool = True,
) -> dict:
    """Seed helper: a credit invoice of `original_id` (IsCreditInvoice, negative amounts, ReferringInvoiceId =
    the original, which lists it in CreditedBy).

    lines: {ArticleNumber: quantity credited} for a partial credit (rows at the original's price, discount
    and VAT rate); None credits every row in full. The credit lowers what is left to pay on the original
    (not below 0) and adds to its SetOffAmountInvoiceCurrency. `settled`: the credit itself is settled
    (PaymentStatus 0, nothing remaining), else it stays open (1, its whole negative total remaining).
    Raises ApiError for a credit invoice as original or an article the original does not have.
    """
    original = _must(INVOICE, original_id, "Customer invoice")
    if original["IsCreditInvoice"]:
        raise _invalid(f"Invoice {original['InvoiceNumber']} is a credit invoice: it cannot be credited.")
    customer = _must(CUSTOMER, original["CustomerId"], "Customer")
    moment = modified or utc_now()
    rows = original["Rows"]
    if lines is not None:
        numbers = {row["ArticleNumber"] for row in rows}
        unknown = sorted(set(lines) - numbers)
        if unknown:
            raise _invalid(f"Invoice {original['InvoiceNumber']} has no row of article {', '.join(unknown)}.")
        rows = [
            {**row, "Quantity": num(dec(lines[row["ArticleNumber"]]))} for row in rows if row["ArticleNumber"] in lines
        ]
    credit = _invoice_document(
        customer=customer,
        rows=_invoice_rows(rows, -1),
        currency=original["CurrencyCode"],
        rate=dec(original["CurrencyRate"]),
        invoice_date=invoice_date,
        moment=moment,
    )
    credit.update(IsCreditInvoice=True, ReferringInvoiceId=original["Id"])
    if settled:
        credit.update(
            PaymentStatus=0, PaymentDate=day_value(invoice_date), RemainingAmount=0, RemainingAmountInvoiceCurrency=0
        )
    credited = -dec(credit["TotalAmountInvoiceCurrency"])
    remaining = max(Decimal(0), dec(original["RemainingAmountInvoiceCurrency"]) - credited)
    original = {
        **original,
        "CreditedBy": [*(original.get("CreditedBy") or []), {"CreditInvoiceId": credit["Id"]}],
        "SetOffAmountInvoiceCurrency": num(dec(original.get("SetOffAmountInvoiceCurrency")) + credited),
        "RemainingAmount": num(q2(remaining * dec(original["CurrencyRate"]))),
        "RemainingAmountInvoiceCurrency": num(remaining),
        "ModifiedUtc": stamp(moment),
    }
    _put(INVOICE, original)
    return _put(INVOICE, credit)


def invoice_pay(invoice_id: str, *, paid_on: date) -> dict:
    """Test and demo helper: an invoice paid in full that day (PaymentStatus 0); ModifiedUtc moves."""
    invoice = _must(INVOICE, invoice_id, "Customer invoice")
    return _put(
        INVOICE,
        {
            **invoice,
            "PaymentStatus": 0,
            "PaymentDate": day_value(paid_on),
            "RemainingAmount": 0,
            "RemainingAmountInvoiceCurrency": 0,
            "ModifiedUtc": stamp(),
        },
    )


def _invoice_shape(data: dict) -> dict:
    shaped = public(data)
    if shaped["PaymentStatus"] == 1 and shaped.get("DueDate") and shaped["DueDate"][:10] < utc_now().date().isoformat():
        shaped["PaymentStatus"] = 2
    return shaped


def invoices_view(request):
    items = _all(INVOICE)
    since = request.GET.get("modifiedSinceUtc")
    if since:
        moment = parse_moment(since)
        if moment is None:
            raise _invalid(f"modifiedSinceUtc '{since}' is not a date-time (e.g. 2026-11-02T10:00:00Z).")
        items = [i for i in items if parse_moment(i["ModifiedUtc"]) >= moment]
    return listing(request, items, "CustomerInvoiceApi", _invoice_shape)


def invoice_view(request, key: str):
    return JsonResponse(_invoice_shape(_must(INVOICE, key, "Customer invoice")))


# --------------------------------------------------------------------------- routes
app_name = "eaccounting"
urlpatterns = [
    path("identity/connect/authorize", oauth_sandbox.authorize, name="authorize"),
    path("identity/connect/token", oauth_sandbox.token, name="token"),
    path("v2/companysettings", endpoint("/companysettings", get=company_view), name="companysettings"),
    path("v2/orders", endpoint("/orders", get=orders_view), name="orders"),
    path("v2/orders/<str:key>", endpoint("/orders/{id}", get=order_view), name="order"),
    path("v2/customerinvoices", endpoint("/customerinvoices", get=invoices_view), name="customerinvoices"),
    path(
        "v2/customerinvoices/<str:key>",
        endpoint("/customerinvoices/{invoiceId}", get=invoice_view),
        name="customerinvoice",
    ),
    path("v2/customers", endpoint("/customers", get=customers_view, post=customers_view), name="customers"),
    path(
        "v2/customers/<str:key>",
        endpoint("/customers/{customerId}", get=customer_view, put=customer_view),
        name="customer",
    ),
    path("v2/articles", endpoint("/articles", get=articles_view, post=articles_view), name="articles"),
    path(
        "v2/articles/<str:key>", endpoint("/articles/{articleId}", get=article_view, put=article_view), name="article"
    ),
    path(
        "v2/articleaccountcodings",
        endpoint("/articleaccountcodings", get=_reference_list(CODING, "ArticleAccountCodingApi")),
        name="articleaccountcodings",
    ),
    path("v2/vatcodes", endpoint("/vatcodes", get=_reference_list(VAT_CODE, "VatCodeApi")), name="vatcodes"),
    path(
        "v2/termsofpayments",
        endpoint("/termsofpayments", get=_reference_list(TERMS, "TermsOfPaymentApi")),
        name="termsofpayments",
    ),
    path(
        "v2/termsofpayments/<str:key>",
        endpoint("/termsofpayments/{id}", get=_reference_one(TERMS, "Terms of payment")),
        name="termsofpayment",
    ),
    path("v2/units", endpoint("/units", get=_reference_list(UNIT, "UnitApi")), name="units"),
    path("v2/units/<str:key>", endpoint("/units/{id}", get=_reference_one(UNIT, "Unit")), name="unit"),
]
