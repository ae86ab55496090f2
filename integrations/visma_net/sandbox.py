"""Visma.net ERP emulator: the endpoints Koppla uses, served at /sandbox/visma-net/api/v1/… and /v2/….

State lives in SandboxObject rows (system "visma_net"), numbers in
SandboxCounter rows; response shapes follow the official spec (contract
tests validate them against it with unknown fields forbidden).

Behaviour, as the real API (see integrations/visma_net/client.py):
- Bearer tokens from the Visma Connect emulator (connect_sandbox); 401
  `{"message": ...}` when missing, unknown or expired; 403 when the token's
  scope lacks vismanet_erp_service_api:read (GET), :create (POST create) or
  :update (PUT and actions). Rate limit per tenant (settings.SANDBOX_RATE_LIMITS)
  → 429 with Retry-After; while a limit is set every answer carries the
  documented X-RateLimit-Limit / -Remaining / -Reset (seconds) / -Policy
  headers. Admin-configured SandboxFault rows apply per endpoint (their 429s
  carry X-RateLimit-Remaining 0 and -Reset too).
- Keys in paths are read as they are or in the base64url form `b64(...)`
  (keys.py), as the real API does; an escaped slash (`TEE%2FBLK%2FM`) matches
  no resource and answers 404, as there.
- Lists are JSON arrays, paged by pageNumber/pageSize (at most MAX_PAGE_SIZE;
  a bigger pageSize is cut down), every record carrying
  `metadata: {totalCount, maxPageSize}`. settings.SANDBOX_PAGE_CAPS["visma_net"]
  cuts pages further without saying so (maxPageSize still MAX_PAGE_SIZE), as a
  server shedding load may: clients must page by totalCount, not by page
  length. /v1/creditTerm answers the spec's
  `{pageNumber, pageSize, totalCount, records}`. lastModifiedDateTime (and
  availabilityLastModifiedDateTime for items) filter with the condition
  >, <, >=, <=; both parameters must come together.
- Creates answer 201 with an empty body and the new number only in the
  Location header (absolute URL of the record's GET); updates answer 204.
- Size limits (integrations/visma_net/limits.py, Koppla's assumptions, the
  same numbers the flows check before writing): a write body larger than
  request_bytes gets the front proxy's 413 HTML page (not JSON); a document
  with more than document_lines lines, or a line description, customer name
  or customer address/contact field longer than its limit, is refused 400.
- Errors: 400/404/500 as the ERP's exception object (ExceptionType,
  ExceptionMessage, ExceptionFaultCode, ExceptionMessageID, ExceptionDetails)
  with a precise message; 401/403/405/429 as `{"message": ...}`.
- Numbers come from numberings (/v1/numberSequence): CUSTOMER, ARINVOICE,
  ARCREDITNO, ARPAYMENT, SOORDER (sales orders), GLBATCH (journal transactions);
  a numbering past its end number refuses the create.
- Sales orders (/v1/salesorder): order types ORDER_TYPES, created Open (Hold
  with hold=true), lines priced as the ROUNDING RULE says without a manual
  amount, VAT per line of its taxCategory; listed by orderType, status,
  greaterThanValue and lastModifiedDateTime only (as the spec: no filter on
  customerRefNo). Journal transactions (/v2/journaltransaction): GL batches,
  refused when out of balance (JOURNAL_UNBALANCED), listed by period or
  lastModifiedDateTime and paged by lines (a batch may be split over pages).
- Times are UTC, written `yyyy-MM-ddTHH:mm:ss.fff` (the real ERP uses the
  company's time zone: keep an overlap when polling by lastModifiedDateTime).
- Amounts are in the document currency; the sandbox has no exchange rates,
  so the base-currency fields equal the *InCurrency ones (exchangeRate 1).

ROUNDING RULE (flows mirror it). "places" = the document currency's decimals:
decimalPrecision of the company's currency (/v1/currency, CURRENCY rows), else
the ISO 4217 minor unit (JPY 0, EUR 2, KWD 3); all rounding is half-up (ROUND_HALF_UP).
- line amount = manualAmountInCurrency when given, else
  round(quantity × unitPriceInCurrency − discountAmountInCurrency, places); when only
  discountPercent is given, discountAmountInCurrency = round(quantity × price × percent / 100, places);
  a manual amount is rounded to places too;
- line VAT = round(line amount × rate / 100, places), for each VAT of the line's VAT
  category (vatCodeId → VAT category → its VAT lines' rates in force on the
  document date: vatRates[] with the latest startDate on or before it);
- taxDetails: per VAT id, taxable = sum of line amounts, VAT = sum of line VAT;
  a taxDetailLines (credit notes: taxDetails) entry for a VAT id of the
  document replaces that VAT amount and, when given, that taxable amount, as
  given (as the ERP's VAT details tab allows); an amount with more decimals
  than the currency has is refused 400;
- detailTotal = sum of line amounts; vatTotal = sum of taxDetails VAT;
  amount = detailTotal + vatTotal; balance starts at amount.
Documents: created Balanced (Hold with hold=true); release → Open (Closed when
the balance is 0); releasing anything but a Balanced document answers 200 with
actionResult "Failed" and the reason in errorInfo. A credit note's
applicationLines and a payment's paymentLines (amountPaid + balanceWriteOff
with a write-off reason code) reduce the invoices' balances when released;
an invoice whose balance reaches 0 is Closed. A payment of type Refund (a
customer refund) applies to released credit notes (documentType CreditNote)
and reduces their balances the same way.
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from django.conf import settings
from django.db import router, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox import store
from integrations.sandbox.faults import gateway_page, rate_limit_check, rate_limit_state, sandbox_endpoint
from integrations.sandbox.models import SandboxObject
from mappings.countries import COUNTRIES, CURRENCIES

from .connect_sandbox import DEMO_TENANTS, token_validate
from .keys import key_decode, key_segment
from .limits import CUSTOMER_FIELDS, limit
from .schemas import json_number

SYSTEM = "visma_net"
MAX_PAGE_SIZE = 1000
BASE_CURRENCY = "SEK"
DEFAULT_SALES_ACCOUNT = "3001"
SCOPE_PREFIX = "vismanet_erp_service_api:"

# kinds of SandboxObject rows
CUSTOMER = "customer"
CUSTOMER_CLASS = "customer_class"
VAT_ZONE = "vat_zone"
VAT_CATEGORY = "vat_category"
VAT = "vat"
CURRENCY = "currency"
ACCOUNT = "account"
PAYMENT_METHOD = "payment_method"
CREDIT_TERM = "credit_term"
CASH_ACCOUNT = "cash_account"
REASON_CODE = "reason_code"
NUMBERING = "numbering"
INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PAYMENT = "payment"
INVENTORY = "inventory"
SALES_ORDER = "sales_order"
JOURNAL = "journal_transaction"
CONTACT = "contact"

# payment type → (documentType its lines apply to, kind of that document, its name in messages)
PAYMENT_DOCUMENTS = {"Payment": ("Invoice", INVOICE, "invoice"), "Refund": ("CreditNote", CREDIT_NOTE, "credit note")}
NUMBERINGS = {
    CUSTOMER: "CUSTOMER",
    INVOICE: "ARINVOICE",
    CREDIT_NOTE: "ARCREDITNO",
    PAYMENT: "ARPAYMENT",
    SALES_ORDER: "SOORDER",
    JOURNAL: "GLBATCH",
}
# The company's sales order types, branches and warehouses (ids → descriptions).
ORDER_TYPES = {"SO": "Sales order", "QT": "Quote"}
BRANCHES = {"1": "Main branch"}
WAREHOUSES = {"MAIN": "Main warehouse", "STORE": "Shop"}
CONDITIONS = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}


# --------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error answer of the emulated ERP."""

    def __init__(self, status: int, message: str, *, details: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def response(self) -> JsonResponse:
        if self.status in (401, 403, 405, 429):
            return JsonResponse({"message": self.message}, status=self.status)
        return JsonResponse(exception_body(self.status, self.message, self.details), status=self.status)


def exception_body(status: int, message: str, details: str = "") -> dict:
    """The ERP's exception object (ExceptionFaultCode carries the HTTP status here)."""
    return {
        "ExceptionType": "IPPException",
        "ExceptionMessage": message,
        "ExceptionFaultCode": str(status),
        "ExceptionMessageID": f"{status}_{uuid.uuid4()}",
        "ExceptionDetails": details,
    }


def _fault_body(status: int, message: str) -> dict:
    """Bodies of injected faults: the gateway's {"message"} for 429/502/503/504, else the exception object."""
    if status in (429, 502, 503, 504):
        return {"message": message}
    return exception_body(status, message)


def _not_found(what: str, key: str) -> ApiError:
    return ApiError(404, f"{what} {key} not found.")


# --------------------------------------------------------------------------- values
def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    """A timestamp as stored and returned: UTC, fixed width, so strings sort like times."""
    moment = (moment or now()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def day(value: date) -> str:
    return f"{value.isoformat()}T00:00:00"


def money(value: Decimal, places: int = 2) -> int | float:
    return json_number(round_to(value, places))


def num(value: Decimal) -> int | float:
    return json_number(value)


def dec(value) -> Decimal:
    """A stored JSON number back to Decimal (floats via their shortest repr, so 19.99 stays 19.99)."""
    if value is None:
        return Decimal("0")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_to(value: Decimal, places: int) -> Decimal:
    """Half-up to `places` decimals (0 for JPY, 2 for EUR, 3 for KWD)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def currency_decimals(currency: str) -> int:
    """Decimals of a currency: the company's currency table (decimalPrecision), else the ISO 4217 minor unit."""
    stored = _get(CURRENCY, currency)
    if stored is not None:
        return int(stored["decimalPrecision"])
    return get_currency_precision(currency)


def _places_check(value: Decimal | None, places: int, what: str, currency: str) -> Decimal | None:
    """`value` as given, refused (400) when it has more decimals than the currency."""
    if value is not None and value != round_to(value, places):
        raise ApiError(
            400, f"{what} {value} has more decimals than {currency} has ({places}): send it rounded to {places}."
        )
    return value


def public(data: dict) -> dict:
    """A stored object without the emulator's private keys (those starting with "_")."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def parse_filter_time(value: str, name: str) -> str:
    """A lastModifiedDateTime parameter in any format the spec accepts, as a stored-format string."""
    text = value.strip().replace(" ", "T")
    try:
        if len(text) == 10:
            moment = datetime.strptime(text, "%Y-%m-%d")
        elif "." in text:
            head, fraction = text.split(".", 1)
            if not fraction.isdigit() or len(fraction) > 3:
                raise ValueError(value)
            moment = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S") + timedelta(milliseconds=int(fraction.ljust(3, "0")))
        else:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ApiError(
            400,
            f"{name} '{value}' is not in an accepted format: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss[.FFF] "
            "or yyyy-MM-ddTHH:mm:ss[.FFF].",
        ) from None
    return stamp(moment.replace(tzinfo=UTC))


# --------------------------------------------------------------------------- request bodies
def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}", parse_float=Decimal)
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def _raw(body: dict, key: str, where: str):
    if key not in body:
        return None
    item = body[key]
    if not isinstance(item, dict) or "value" not in item:
        raise ApiError(400, f'{where}{key} must be sent as {{"value": ...}}.')
    return item["value"]


def _str(body: dict, key: str, where: str = "") -> str | None:
    value = _raw(body, key, where)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{where}{key} must be a string, not {json.dumps(value, default=str)}.")
    return value.strip()


def _dec(body: dict, key: str, where: str = "") -> Decimal | None:
    value = _raw(body, key, where)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ApiError(400, f"{where}{key} must be a number, not {json.dumps(value, default=str)}.")
    return Decimal(value)


def _bool(body: dict, key: str, where: str = "") -> bool | None:
    value = _raw(body, key, where)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"{where}{key} must be true or false.")
    return value


def _date(body: dict, key: str, where: str = "") -> date | None:
    value = _str(body, key, where)
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ApiError(400, f"{where}{key} '{value}' is not a date.") from None


def _object(body: dict, key: str, where: str = "") -> dict | None:
    value = _raw(body, key, where)
    if value is not None and not isinstance(value, dict):
        raise ApiError(400, f"{where}{key} must be an object.")
    return value


def _longest(value: str | None, limit_name: str, name: str) -> str | None:
    """The value, or 400 when it is longer than the field takes (limits.py)."""
    most = limit(limit_name)
    if value is not None and len(value) > most:
        raise ApiError(400, f"{name} is {len(value)} characters long; the field takes at most {most}.")
    return value


def _required(value, key: str, where: str = ""):
    if value in (None, ""):
        raise ApiError(400, f"{where}{key} is required.")
    return value


# --------------------------------------------------------------------------- storage
def _get(kind: str, key: str) -> dict | None:
    return store.obj_get(SYSTEM, kind, key)


def _put(kind: str, key: str, data: dict) -> dict:
    return store.obj_put(SYSTEM, kind, key, data)


def _must(kind: str, key: str | None, what: str, where: str = "") -> dict:
    data = _get(kind, key) if key else None
    if data is None:
        raise ApiError(400, f"{where}{what} '{key}' does not exist.")
    return data


def _rows(kind: str):
    return SandboxObject.objects.filter(system=SYSTEM, kind=kind)


def _atomic():
    return transaction.atomic(using=router.db_for_write(SandboxObject))


def number_next(kind: str) -> str:
    """The next number of the kind's numbering; refuses when the numbering has run out."""
    numbering_id = NUMBERINGS[kind]
    numbering = _get(NUMBERING, numbering_id)
    if numbering is None:
        raise ApiError(500, f"Numbering {numbering_id} is not set up in this company.")
    segment = numbering["sequence"][0]
    start, end = int(segment["startNbr"]), int(segment["endNbr"])
    value = store.counter_next(SYSTEM, numbering_id, start=start)
    if value > end:
        raise ApiError(
            400,
            f"Numbering {numbering_id} has run out of numbers (its end number is {segment['endNbr']}): "
            "extend it or add a new segment.",
        )
    return str(value).zfill(len(segment["startNbr"]))


# --------------------------------------------------------------------------- listing
def _condition(request, name: str) -> tuple[str, str] | None:
    value = request.GET.get(name)
    condition = request.GET.get(f"{name}Condition")
    if not value and not condition:
        return None
    if not value or not condition:
        raise ApiError(400, f"{name} and {name}Condition must be given together.")
    if condition not in CONDITIONS:
        raise ApiError(400, f"{name}Condition '{condition}' is not one of >, <, >=, <=.")
    return parse_filter_time(value, name), CONDITIONS[condition]


def _time_filters(request, rows, fields: dict[str, str]):
    """Apply lastModifiedDateTime-style parameters: {query parameter: stored key}."""
    for param, key in fields.items():
        given = _condition(request, param)
        if given:
            moment, lookup = given
            rows = rows.filter(**{f"data__{key}__{lookup}": moment})
    return rows


def _page_args(request) -> tuple[int, int]:
    try:
        page = int(request.GET.get("pageNumber") or 1)
        size = int(request.GET.get("pageSize") or MAX_PAGE_SIZE)
    except ValueError:
        raise ApiError(400, "pageNumber and pageSize must be whole numbers.") from None
    if page < 1 or size < 1:
        raise ApiError(400, "pageNumber and pageSize must be 1 or more.")
    quiet_cap = int(getattr(settings, "SANDBOX_PAGE_CAPS", {}).get(SYSTEM, MAX_PAGE_SIZE))
    return page, min(size, MAX_PAGE_SIZE, quiet_cap)


def _paged(request, rows, shape: Callable[[dict], dict] = public) -> JsonResponse:
    """One page as the API answers it: an array whose records carry metadata {totalCount, maxPageSize}."""
    page, size = _page_args(request)
    rows = rows.order_by("id")
    total = rows.count()
    metadata = {"totalCount": total, "maxPageSize": MAX_PAGE_SIZE}
    records = rows[(page - 1) * size : page * size].values_list("data", flat=True)
    return JsonResponse([{**shape(data), "metadata": metadata} for data in records], safe=False)


def _all(kind: str, shape: Callable[[dict], dict] = public) -> JsonResponse:
    return JsonResponse([shape(data) for data in store.obj_list(SYSTEM, kind)], safe=False)


def _location(request, name: str, key: str) -> HttpResponse:
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(reverse(f"sandbox:visma_net:{name}", args=[key_segment(key)]))
    return response


# --------------------------------------------------------------------------- views
def endpoint(*, get=None, post=None, put=None, post_scope: str = "create"):
    """A view of the emulated API: faults, bearer auth, scope, rate limit, method dispatch, errors."""
    handlers = {"GET": (get, "read"), "POST": (post, post_scope), "PUT": (put, "update")}

    def view(request, **kwargs):
        handler, scope = handlers.get(request.method, (None, ""))
        if request.method in ("POST", "PUT") and len(request.body or b"") > limit("request_bytes"):
            return gateway_page(413)  # the proxy in front of the API refuses it; the API never sees it
        try:
            grant = _authenticate(request)
            if handler is None:
                raise ApiError(405, f"The requested resource does not support http method '{request.method}'.")
            if SCOPE_PREFIX + scope not in str(grant.get("scope", "")).split():
                raise ApiError(403, f"The access token lacks the scope {SCOPE_PREFIX}{scope}.")
            tenant = grant.get("tenant_id", "")
            wait = rate_limit_check(SYSTEM, tenant)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                response = JsonResponse(
                    {"message": f"Rate limit is exceeded. Try again in {seconds} seconds."}, status=429
                )
                response["Retry-After"] = str(seconds)
                return _rate_headers(response, tenant)
            kwargs = _keys(kwargs)
            if request.method == "GET":
                return _rate_headers(handler(request, grant, **kwargs), tenant)
            with _atomic():
                response = handler(request, grant, **kwargs)
            return _rate_headers(response, tenant)
        except ApiError as exc:
            return exc.response()

    view.__name__ = f"visma_net_{(get or post or put).__name__}"
    return _fault_rate_headers(sandbox_endpoint(SYSTEM, _fault_body)(view))


def _keys(kwargs: dict) -> dict:
    """Path keys as the ERP reads them: `b64(...)` decoded, others as they are."""
    try:
        return {name: key_decode(value) for name, value in kwargs.items()}
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _rate_headers(response: HttpResponse, tenant: str) -> HttpResponse:
    """The informational X-RateLimit-* headers Visma.net puts on every answer (while a limit is set)."""
    state = rate_limit_state(SYSTEM, tenant)
    if state is not None:
        limit, remaining, reset = state
        response["X-RateLimit-Limit"] = str(limit)
        response["X-RateLimit-Remaining"] = str(0 if response.status_code == 429 else remaining)
        response["X-RateLimit-Reset"] = str(max(1, math.ceil(reset)))
        response["X-RateLimit-Policy"] = "sandbox-sliding-window"
    return response


def _fault_rate_headers(view):
    """An injected 429 says when the window resets, as the real one does."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 429 and "X-RateLimit-Reset" not in response:
            response["X-RateLimit-Remaining"] = "0"
            response["X-RateLimit-Reset"] = response.get("Retry-After", "1")
        return response

    return wrapper


@csrf_exempt
def unknown_resource_view(request, rest: str = ""):
    """What the API's gateway answers to a path that matches no resource (e.g. an escaped slash in a key)."""
    return JsonResponse(
        {"message": f"No HTTP resource was found that matches the request URI '{request.build_absolute_uri()}'."},
        status=404,
    )


def _authenticate(request) -> dict:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    grant = token_validate(token) if token else None
    if grant is None:
        raise ApiError(401, "Authorization has been denied for this request.")
    return grant


# -- reference data ------------------------------------------------------------
def customer_classes_view(request, grant):
    return _all(CUSTOMER_CLASS)


def vat_zones_view(request, grant):
    return _paged(request, _rows(VAT_ZONE))


def vat_categories_view(request, grant):
    rows = _time_filters(request, _rows(VAT_CATEGORY), {"lastModifiedDateTime": "lastModifiedDateTime"})
    return JsonResponse([public(d) for d in rows.order_by("id").values_list("data", flat=True)], safe=False)


def currencies_view(request, grant):
    return _all(CURRENCY)


def currency_view(request, grant, currency):
    data = _get(CURRENCY, currency)
    if data is None:
        raise _not_found("Currency", currency)
    return JsonResponse(public(data))


def vats_view(request, grant):
    rows = _time_filters(request, _rows(VAT), {"lastModifiedDateTime": "lastModifiedDateTime"})
    return JsonResponse([public(d) for d in rows.order_by("id").values_list("data", flat=True)], safe=False)


def accounts_view(request, grant):
    rows = _time_filters(request, _rows(ACCOUNT), {"lastModifiedDateTime": "lastModifiedDateTime"})
    active = request.GET.get("active")
    if active is not None:
        rows = rows.filter(data__active=active.lower() == "true")
    return JsonResponse([public(d) for d in rows.order_by("id").values_list("data", flat=True)], safe=False)


def payment_methods_view(request, grant):
    return _all(PAYMENT_METHOD)


def cash_accounts_view(request, grant):
    return _all(CASH_ACCOUNT)


def credit_terms_view(request, grant):
    page, size = _page_args(request)
    rows = _rows(CREDIT_TERM).order_by("id")
    records = [public(d) for d in rows[(page - 1) * size : page * size].values_list("data", flat=True)]
    return JsonResponse({"pageNumber": page, "pageSize": size, "totalCount": rows.count(), "records": records})


def branches_view(request, grant):
    tenant = next((t for t in DEMO_TENANTS if t["id"] == grant.get("tenant_id")), None)
    name = tenant["name"] if tenant else "Sandbox company"
    return JsonResponse(
        [
            {
                "branchId": 1,
                "number": "1",
                "name": name,
                "isMainBranch": True,
                "isActive": True,
                "lastModifiedDateTime": "2026-01-01T00:00:00.000",
            }
        ],
        safe=False,
    )


def numberings_view(request, grant):
    return _all(NUMBERING, _numbering_out)


def numbering_view(request, grant, numbering_id):
    data = _get(NUMBERING, numbering_id)
    if data is None:
        raise _not_found("Numbering", numbering_id)
    return JsonResponse(_numbering_out(data))


def _numbering_out(data: dict) -> dict:
    sequence = []
    for segment in data["sequence"]:
        start = segment["startNbr"]
        used = store.counter_peek(SYSTEM, data["numberingId"])
        last = used if used is not None else int(start) - segment.get("nbrStep", 1)
        sequence.append(
            {
                **segment,
                "numberingId": data["numberingId"],
                "lastNbr": str(last).zfill(len(start)),
                "nextNumber": str(last + segment.get("nbrStep", 1)).zfill(len(start)),
            }
        )
    return {**public(data), "sequence": sequence}


# -- customers -------------------------------------------------------------------
def _address_out(value: dict) -> dict:
    country = value.get("countryId")
    out = {
        "addressLine1": value.get("addressLine1"),
        "addressLine2": value.get("addressLine2"),
        "addressLine3": value.get("addressLine3"),
        "postalCode": value.get("postalCode"),
        "city": value.get("city"),
        "country": {"id": country, "name": COUNTRIES.get(country, country)} if country else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _address_in(body: dict, key: str, current: dict | None) -> dict | None:
    value = _object(body, key)
    if value is None:
        return current
    where = f"{key}."
    merged = dict(current or {})
    for field in ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city", "countryId", "county"):
        given = _str(value, field, where)
        if given is not None:
            merged[field] = given
    country = merged.get("countryId")
    if country and country not in COUNTRIES:
        raise ApiError(400, f"{where}countryId '{country}' is not a known country.")
    return merged


def _contact_in(body: dict, key: str, current: dict | None) -> dict | None:
    value = _object(body, key)
    if value is None:
        return current
    merged = dict(current or {})
    for field in ("name", "attention", "email", "web", "phone1", "phone2", "fax"):
        given = _str(value, field, f"{key}.")
        if given is not None:
            merged[field] = given
    return merged


def _customer_lengths(body: dict) -> None:
    """400 for a customer field longer than the ERP takes (limits.py)."""
    _longest(_str(body, "name"), "customer_name", "name")
    for fields, limit_name in CUSTOMER_FIELDS.items():
        node = body
        for key in fields[:-1]:
            node = _object(node, key) or {}
        where = "".join(f"{key}." for key in fields[:-1])
        _longest(_str(node, fields[-1], where), limit_name, ".".join(fields))


def _customer_apply(body: dict, customer: dict) -> dict:
    """Apply a CustomerUpdateDto to the stored fields (PUT is partial: absent fields stay)."""
    _customer_lengths(body)
    plain = customer.get("_fields", {})
    for field in ("name", "status", "currencyId", "vatRegistrationId", "corporateId", "note"):
        given = _str(body, field)
        if given is not None:
            plain[field] = given
    for field, kind, what in (
        ("customerClassId", CUSTOMER_CLASS, "Customer class"),
        ("vatZoneId", VAT_ZONE, "VAT zone"),
        ("creditTermsId", CREDIT_TERM, "Credit terms"),
    ):
        given = _str(body, field)
        if given is not None:
            _must(kind, given, what)
            plain[field] = given
    for field in ("mainAddress", "invoiceAddress", "deliveryAddress"):
        plain[field] = _address_in(body, field, plain.get(field))
    for field in ("mainContact", "invoiceContact", "deliveryContact"):
        plain[field] = _contact_in(body, field, plain.get(field))
    method = _object(body, "defaultPaymentMethod")
    if method is not None:
        method_id = _str(method, "paymentMethodId", "defaultPaymentMethod.")
        _must(PAYMENT_METHOD, method_id, "Payment method")
        plain["defaultPaymentMethodId"] = method_id
    if not plain.get("name"):
        raise ApiError(400, "name is required.")
    if plain.get("status", "Active") not in ("Active", "OnHold", "CreditHold", "Inactive", "OneTime"):
        raise ApiError(400, f"status '{plain['status']}' is not a customer status.")
    currency = plain.get("currencyId")
    if currency and currency not in CURRENCIES:
        raise ApiError(400, f"currencyId '{currency}' is not a known currency.")
    if not plain.get("customerClassId"):
        raise ApiError(400, "customerClassId is required: every customer belongs to a customer class.")
    customer_class = _get(CUSTOMER_CLASS, plain["customerClassId"]) or {}
    if not plain.get("vatZoneId") and customer_class.get("taxZoneId"):
        plain["vatZoneId"] = customer_class["taxZoneId"]
    return plain


def _customer_out(number: str, plain: dict, internal_id: int, created: str, modified: str) -> dict:
    """The CustomerDto of a customer's stored fields."""
    customer_class = _get(CUSTOMER_CLASS, plain["customerClassId"]) or {}
    out = {
        "internalId": internal_id,
        "number": number,
        "name": plain["name"],
        "status": plain.get("status", "Active"),
        "customerClass": {"id": plain["customerClassId"], "description": customer_class.get("description", "")},
        "currencyId": plain.get("currencyId") or BASE_CURRENCY,
        "lastModifiedDateTime": modified,
        "createdDateTime": created,
    }
    if plain.get("creditTermsId"):
        terms = _get(CREDIT_TERM, plain["creditTermsId"]) or {}
        out["creditTerms"] = {"id": plain["creditTermsId"], "description": terms.get("description", "")}
    if plain.get("vatZoneId"):
        zone = _get(VAT_ZONE, plain["vatZoneId"]) or {}
        out["vatZone"] = {
            "id": plain["vatZoneId"],
            "description": zone.get("description", ""),
            "defaultVatCategory": zone.get("defaultVatCategory", ""),
        }
    for field in ("vatRegistrationId", "corporateId", "defaultPaymentMethodId"):
        if plain.get(field):
            out[field] = plain[field]
    for field in ("mainAddress", "invoiceAddress", "deliveryAddress"):
        if plain.get(field):
            out[field] = _address_out(plain[field])
    for field in ("mainContact", "invoiceContact", "deliveryContact"):
        if plain.get(field):
            out[field] = dict(plain[field])
    return out


def customers_view(request, grant):
    rows = _rows(CUSTOMER)
    for param, lookup in (
        ("email", "mainContact__email__iexact"),
        ("name", "name"),
        ("status", "status"),
        ("vatRegistrationId", "vatRegistrationId"),
        ("corporateId", "corporateId"),
    ):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{lookup}": value})
    rows = _time_filters(
        request, rows, {"lastModifiedDateTime": "lastModifiedDateTime", "createdDateTime": "createdDateTime"}
    )
    return _paged(request, rows)


def customer_create_view(request, grant):
    body = _body(request)
    plain = _customer_apply(body, {})
    given = _str(body, "number")
    key = given or number_next(CUSTOMER)
    if _get(CUSTOMER, key) is not None:
        raise ApiError(
            400,
            f"Customer {key} already exists."
            + (
                ""
                if given
                else f" Numbering {NUMBERINGS[CUSTOMER]} gave a number that is taken: check its last number."
            ),
        )
    moment = stamp()
    internal_id = store.counter_next(SYSTEM, "customer_internal_id")
    _put(CUSTOMER, key, {**_customer_out(key, plain, internal_id, moment, moment), "_fields": plain})
    return _location(request, "customer", key)


def customer_view(request, grant, number):
    data = _get(CUSTOMER, number)
    if data is None:
        raise _not_found("Customer", number)
    return JsonResponse(public(data))


def customer_update_view(request, grant, number):
    data = _get(CUSTOMER, number)
    if data is None:
        raise _not_found("Customer", number)
    body = _body(request)
    given = _str(body, "number")
    if given and given != number:
        raise ApiError(400, "number cannot be changed with PUT: use action/changeCustomerCd.")
    plain = _customer_apply(body, {"_fields": dict(data["_fields"])})
    _put(
        CUSTOMER,
        number,
        {**_customer_out(number, plain, data["internalId"], data["createdDateTime"], stamp()), "_fields": plain},
    )
    return HttpResponse(status=204)


# -- contact persons ----------------------------------------------------------------
def contact_create_view(request, grant):
    """POST /v1/contact (ContactUpdateDto): a person of a customer (businessAccount), numbered contactId."""
    body = _body(request)
    account = _required(_str(body, "businessAccount"), "businessAccount")
    customer = _get(CUSTOMER, account)
    if customer is None:
        raise ApiError(400, f"businessAccount '{account}' is not a customer.")
    first, last = _str(body, "firstName"), _str(body, "lastName")
    if not (first or last):
        raise ApiError(400, "lastName is required: a contact needs a name.")
    contact_id = store.counter_next(SYSTEM, "contact_id", start=100)
    moment = stamp()
    data = {
        "contactId": contact_id,
        "active": _bool(body, "active") is not False,
        "firstName": first or "",
        "lastName": last or "",
        "displayName": " ".join(part for part in (first, last) if part),
        "businessAccount": {"id": account, "name": customer["name"]},
        "email": _longest(_str(body, "email"), "email", "email") or "",
        "phone1": _longest(_str(body, "phone1"), "phone", "phone1") or "",
        "lastModifiedDateTime": moment,
    }
    _put(CONTACT, str(contact_id), data)
    return _location(request, "contact", str(contact_id))


def contact_view(request, grant, contact_id):
    data = _get(CONTACT, contact_id)
    if data is None:
        raise _not_found("Contact", contact_id)
    return JsonResponse(public(data))


# -- documents -----------------------------------------------------------------
def vat_rates(category: dict, on: date) -> list[tuple[str, str, Decimal]]:
    """(VAT id, description, rate) of each VAT of a category, with the rate in force on `on`."""
    result = []
    for line in category.get("vatCategoryLines") or []:
        rates = sorted(
            (r for r in line.get("vatRates") or [] if str(r.get("startDate", ""))[:10] <= on.isoformat()),
            key=lambda r: str(r.get("startDate", "")),
        )
        rate = dec(rates[-1]["vatRate"]) if rates else Decimal("0")
        result.append((line["vatId"], line.get("description", ""), rate))
    return result


def _lines_build(
    raw_lines, *, lines_key: str, document_date: date, zone: dict | None, places: int = 2
) -> tuple[list, dict]:
    """Validate and compute the lines, amounts rounded to `places`; returns (line DTOs, {vat id: tax detail})."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(400, f"{lines_key}: a document needs at least one line.")
    if len(raw_lines) > limit("document_lines"):
        raise ApiError(
            400, f"{lines_key}: a document can have at most {limit('document_lines')} lines, not {len(raw_lines)}."
        )
    lines, details = [], {}
    for index, raw in enumerate(raw_lines, start=1):
        where = f"{lines_key}[{index}]."
        if not isinstance(raw, dict):
            raise ApiError(400, f"{where[:-1]} must be an object.")
        if raw.get("operation", "Insert") != "Insert":
            raise ApiError(400, f"{where}operation must be Insert when creating a document.")
        item_number = _str(raw, "inventoryNumber", where)
        item = _must(INVENTORY, item_number, "Inventory item", where) if item_number else None
        if item and item.get("status") in ("Inactive", "NoSales", "MarkedForDeletion"):
            raise ApiError(
                400, f"{where}inventory item '{item_number}' has status {item['status']} and cannot be sold."
            )
        quantity = _dec(raw, "quantity", where)
        quantity = Decimal("1") if quantity is None else quantity
        price = _dec(raw, "unitPriceInCurrency", where)
        if price is None:
            price = dec(item.get("defaultPrice")) if item else Decimal("0")
        manual = _dec(raw, "manualAmountInCurrency", where)
        discount = _dec(raw, "discountAmountInCurrency", where)
        percent = _dec(raw, "discountPercent", where)
        if discount is None and percent:
            discount = round_to(quantity * price * percent / 100, places)
        discount = discount or Decimal("0")
        amount = round_to(manual if manual is not None else quantity * price - discount, places)
        account_number = _str(raw, "accountNumber", where) or DEFAULT_SALES_ACCOUNT
        account = _must(ACCOUNT, account_number, "Account", where)
        if not account.get("active", True):
            raise ApiError(400, f"{where}account '{account_number}' is inactive.")
        category_id = _str(raw, "vatCodeId", where)
        if not category_id:
            category_id = ((item or {}).get("vatCode") or {}).get("id") or (zone or {}).get("defaultVatCategory")
        if not category_id:
            raise ApiError(400, f"{where}vatCodeId is required: the line has no VAT category.")
        category = _must(VAT_CATEGORY, category_id, "VAT category", where)
        for vat_id, description, rate in vat_rates(category, document_date):
            detail = details.setdefault(
                vat_id,
                {"vatId": vat_id, "description": description, "rate": rate, "taxable": Decimal(0), "vat": Decimal(0)},
            )
            detail["taxable"] += amount
            detail["vat"] += round_to(amount * rate / 100, places)
        line = {
            "lineNumber": index,
            "description": _longest(_str(raw, "description", where), "line_description", f"{where}description")
            or (item or {}).get("description", ""),
            "quantity": num(quantity),
            "unitPrice": num(price),
            "unitPriceInCurrency": num(price),
            "amount": money(amount, places),
            "amountInCurrency": money(amount, places),
            "discountPercent": num(percent or Decimal(0)),
            "discountAmount": money(discount, places),
            "discountAmountInCurrency": money(discount, places),
            "manualDiscount": discount != 0,
            "account": {
                "type": account.get("type", "Income"),
                "number": account_number,
                "description": account.get("description", ""),
                "active": account.get("active", True),
            },
            "vatCode": {"id": category_id, "description": category.get("description", "")},
            "uom": _str(raw, "uom", where) or ((item or {}).get("salesUnit") or "PCS"),
        }
        if item_number:
            line["inventoryNumber"] = item_number
        if manual is not None:
            line["manualAmount"] = line["manualAmountInCurrency"] = money(manual, places)
        note = _str(raw, "note", where)
        if note:
            line["note"] = note
        lines.append(line)
    return lines, details


def _tax_overrides(raw, details: dict, key: str, *, currency: str, places: int) -> None:
    """Tax detail entries replace the VAT (and taxable) amount of their VAT id, as given (at most `places` decimals)."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ApiError(400, f"{key} must be a list.")
    for index, entry in enumerate(raw, start=1):
        where = f"{key}[{index}]."
        vat_id = _required(_str(entry, "taxId", where), "taxId", where)
        if vat_id not in details:
            raise ApiError(
                400, f"{where}taxId '{vat_id}' is not a VAT of any line of this document ({', '.join(details)})."
            )
        vat = _places_check(_dec(entry, "vatAmount", where), places, f"{where}vatAmount", currency)
        taxable = _places_check(_dec(entry, "taxableAmount", where), places, f"{where}taxableAmount", currency)
        if vat is not None:
            details[vat_id]["vat"] = vat
        if taxable is not None:
            details[vat_id]["taxable"] = taxable


def _document_build(request, *, kind: str) -> tuple[dict, dict]:
    """Validate a CustomerInvoiceUpdateDto / CustomerCreditNoteUpdateDto; returns (stored DTO, private fields)."""
    body = _body(request)
    invoice = kind == INVOICE
    lines_key, tax_key = ("invoiceLines", "taxDetailLines") if invoice else ("lines", "taxDetails")
    customer_number = _required(_str(body, "customerNumber"), "customerNumber")
    customer = _get(CUSTOMER, customer_number)
    if customer is None:
        raise ApiError(400, f"Customer '{customer_number}' does not exist.")
    if customer.get("status") in ("Inactive", "OnHold", "CreditHold"):
        raise ApiError(400, f"Customer '{customer_number}' has status {customer['status']}: documents are refused.")
    fields = customer["_fields"]
    zone_id = _str(body, "customerVatZoneId") or fields.get("vatZoneId")
    zone = _must(VAT_ZONE, zone_id, "VAT zone") if zone_id else None
    currency = _str(body, "currencyId") or fields.get("currencyId") or BASE_CURRENCY
    if currency not in CURRENCIES:
        raise ApiError(400, f"currencyId '{currency}' is not a known currency.")
    document_date = _date(body, "documentDate") or now().date()
    terms_id = (_str(body, "creditTermsId") if invoice else None) or fields.get("creditTermsId")
    terms = _must(CREDIT_TERM, terms_id, "Credit terms") if terms_id else None
    method_id = (_str(body, "paymentMethodId") if invoice else None) or fields.get("defaultPaymentMethodId")
    method = _must(PAYMENT_METHOD, method_id, "Payment method") if method_id else None
    due = _date(body, "documentDueDate") if invoice else None
    due = due or document_date + timedelta(days=int((terms or {}).get("dueDay1") or 0))

    places = currency_decimals(currency)
    lines, details = _lines_build(
        body.get(lines_key), lines_key=lines_key, document_date=document_date, zone=zone, places=places
    )
    _tax_overrides(body.get(tax_key), details, tax_key, currency=currency, places=places)

    applications = []
    raw_applications = [] if invoice else body.get("applicationLines") or []
    for index, entry in enumerate(raw_applications, start=1):
        where = f"applicationLines[{index}]."
        ref = _required(_str(entry, "refNbr", where), "refNbr", where)
        target = _get(INVOICE, ref)
        if target is None:
            raise ApiError(400, f"{where}invoice '{ref}' does not exist.")
        if target["customer"]["number"] != customer_number:
            raise ApiError(400, f"{where}invoice '{ref}' belongs to customer {target['customer']['number']}.")
        amount = _required(_dec(entry, "amountPaid", where), "amountPaid", where)
        applications.append({"refNbr": ref, "amount": money(amount, places)})

    detail_total = sum((dec(line["amountInCurrency"]) for line in lines), Decimal(0))
    vat_total = sum((d["vat"] for d in details.values()), Decimal(0))
    taxable = sum((d["taxable"] for d in details.values() if d["rate"]), Decimal(0))
    exempt = sum((d["taxable"] for d in details.values() if not d["rate"]), Decimal(0))
    amount = detail_total + vat_total
    hold = bool(_bool(body, "hold"))
    moment = stamp()
    dto = {
        "documentType": "Invoice" if invoice else "CreditNote",
        "customer": {"number": customer_number, "name": customer["name"]},
        "documentDate": day(document_date),
        "documentDueDate": day(due),
        "financialPeriod": document_date.strftime("%Y%m"),
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "currencyId": currency,
        "exchangeRate": 1,
        "taxDetails": [
            {
                "taxId": d["vatId"],
                "vatId": {"number": d["vatId"], "description": d["description"]},
                "vatRate": num(d["rate"]),
                "taxableAmount": money(d["taxable"], places),
                "vatAmount": money(d["vat"], places),
            }
            for d in details.values()
        ],
        "lastModifiedDateTime": moment,
        "createdDateTime": moment,
    }
    for field, value in (
        ("detailTotal", detail_total),
        ("vatTotal", vat_total),
        ("vatTaxableTotal", taxable),
        ("vatExemptTotal", exempt),
        ("amount", amount),
        ("balance", amount),
        ("discountTotal", Decimal(0)),
        ("cashDiscount", Decimal(0)),
    ):
        dto[field] = dto[f"{field}InCurrency"] = money(value, places)
    for field in ("customerRefNumber", "externalReference", "invoiceText", "note"):
        value = _str(body, field)
        if value:
            dto[field] = value
    if zone:
        dto["customerVatZone"] = {"id": zone_id, "description": zone.get("description", "")}
    if terms:
        dto["creditTerms"] = {"id": terms_id, "description": terms.get("description", "")}
    if method:
        dto["paymentMethod"] = {"id": method_id, "description": method.get("description", "")}
    dto["invoiceLines" if invoice else "lines"] = lines
    return dto, {"_applications": applications}


def _document_create(request, *, kind: str, name: str):
    dto, private = _document_build(request, kind=kind)
    key = number_next(kind)
    if _get(kind, key) is not None:
        raise ApiError(400, f"Document {key} already exists: numbering {NUMBERINGS[kind]} gave a number that is taken.")
    dto["referenceNumber"] = key
    _put(kind, key, {**dto, **private})
    return _location(request, name, key)


def invoice_create_view(request, grant):
    return _document_create(request, kind=INVOICE, name="invoice")


def credit_note_create_view(request, grant):
    return _document_create(request, kind=CREDIT_NOTE, name="credit_note")


def _document_shape(request) -> Callable[[dict], dict]:
    expand = (request.GET.get("expandTaxDetails") or "").lower() == "true"

    def shape(data: dict) -> dict:
        out = public(data)
        if not expand:
            out.pop("taxDetails", None)
        return out

    return shape


def _documents_list(request, kind: str):
    rows = _rows(kind)
    for param, lookup in (
        ("customerRefNumber", "customerRefNumber"),
        ("externalReference", "externalReference"),
        ("customer", "customer__number"),
        ("status", "status"),
    ):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{lookup}": value})
    released = request.GET.get("released")
    if released in ("0", "1"):
        statuses = ["Open", "Closed"]
        rows = rows.filter(data__status__in=statuses) if released == "1" else rows.exclude(data__status__in=statuses)
    rows = _time_filters(
        request, rows, {"lastModifiedDateTime": "lastModifiedDateTime", "createdDateTime": "createdDateTime"}
    )
    return _paged(request, rows, _document_shape(request))


def invoices_view(request, grant):
    return _documents_list(request, INVOICE)


def credit_notes_view(request, grant):
    return _documents_list(request, CREDIT_NOTE)


def invoice_view(request, grant, number):
    data = _get(INVOICE, number)
    if data is None:
        raise _not_found("Invoice", number)
    return JsonResponse(public(data))


def credit_note_view(request, grant, number):
    data = _get(CREDIT_NOTE, number)
    if data is None:
        raise _not_found("Credit note", number)
    return JsonResponse(public(data))


def _action_done() -> JsonResponse:
    return JsonResponse({"actionId": str(uuid.uuid4()), "actionResult": "Done"})


def _action_failed(message: str) -> JsonResponse:
    return JsonResponse({"actionId": str(uuid.uuid4()), "actionResult": "Failed", "errorInfo": message})


def _release_refusal(what: str, data: dict) -> str | None:
    status = data["status"]
    if status == "Hold":
        return f"{what} {data['referenceNumber']} is on hold: take it off hold before releasing it."
    if status in ("Open", "Closed"):
        return f"{what} {data['referenceNumber']} has already been released (status {status})."
    if status != "Balanced":
        return f"{what} {data['referenceNumber']} cannot be released in status {status}."
    return None


def _settle(document: dict, amount: Decimal, moment: str) -> None:
    """Reduce a released document's balance; Closed at 0."""
    balance = dec(document["balance"]) - amount
    places = currency_decimals(document.get("currencyId") or BASE_CURRENCY)
    document["balance"] = document["balanceInCurrency"] = money(balance, places)
    document["status"] = "Closed" if balance == 0 else "Open"
    document["lastModifiedDateTime"] = moment


def invoice_release_view(request, grant, number):
    data = _get(INVOICE, number)
    if data is None:
        raise _not_found("Invoice", number)
    refusal = _release_refusal("Invoice", data)
    if refusal:
        return _action_failed(refusal)
    data["status"] = "Closed" if dec(data["balance"]) == 0 else "Open"
    data["hold"] = False
    data["lastModifiedDateTime"] = stamp()
    _put(INVOICE, number, data)
    return _action_done()


def credit_note_release_view(request, grant, number):
    data = _get(CREDIT_NOTE, number)
    if data is None:
        raise _not_found("Credit note", number)
    refusal = _release_refusal("Credit note", data)
    if refusal:
        return _action_failed(refusal)
    moment = stamp()
    applications = data.get("_applications") or []
    total = sum((dec(a["amount"]) for a in applications), Decimal(0))
    if total > dec(data["balance"]):
        return _action_failed(f"Credit note {number} applies {total} but its amount is {data['amount']}.")
    targets = {}
    for application in applications:
        target = targets.get(application["refNbr"]) or _get(INVOICE, application["refNbr"])
        if target["status"] != "Open":
            return _action_failed(
                f"Invoice {application['refNbr']} is not open (status {target['status']}): the credit note "
                "can only be applied to a released invoice with a balance."
            )
        if dec(application["amount"]) > dec(target["balance"]):
            return _action_failed(
                f"Cannot apply {application['amount']} to invoice {application['refNbr']}: its balance is {target['balance']}."
            )
        _settle(target, dec(application["amount"]), moment)
        targets[application["refNbr"]] = target
    for ref, target in targets.items():
        _put(INVOICE, ref, target)
    data["hold"] = False
    data["status"] = "Open"
    _settle(data, total, moment)
    _put(CREDIT_NOTE, number, data)
    return _action_done()


# -- payments --------------------------------------------------------------------
def payment_create_view(request, grant):
    body = _body(request)
    payment_type = _str(body, "type") or "Payment"
    if payment_type not in PAYMENT_DOCUMENTS:
        raise ApiError(400, f"type '{payment_type}': the sandbox creates payments of type Payment or Refund only.")
    applies_to, document_kind, document_label = PAYMENT_DOCUMENTS[payment_type]
    customer_number = _required(_str(body, "customer"), "customer")
    customer = _get(CUSTOMER, customer_number)
    if customer is None:
        raise ApiError(400, f"Customer '{customer_number}' does not exist.")
    method_id = _str(body, "paymentMethod") or customer["_fields"].get("defaultPaymentMethodId")
    method = _must(PAYMENT_METHOD, _required(method_id, "paymentMethod"), "Payment method")
    cash_id = _str(body, "cashAccount") or method.get("_cashAccount")
    _must(CASH_ACCOUNT, _required(cash_id, "cashAccount"), "Cash account")
    currency = _str(body, "currency") or customer["_fields"].get("currencyId") or BASE_CURRENCY
    places = currency_decimals(currency)
    amount = _required(_dec(body, "paymentAmount"), "paymentAmount")
    if amount < 0:
        raise ApiError(400, "paymentAmount cannot be negative.")
    application_date = _date(body, "applicationDate") or now().date()
    lines, applied, written_off, refs = [], Decimal(0), Decimal(0), []
    for index, raw in enumerate(body.get("paymentLines") or [], start=1):
        where = f"paymentLines[{index}]."
        if raw.get("operation", "Insert") != "Insert":
            raise ApiError(400, f"{where}operation must be Insert when creating a payment.")
        document_type = _str(raw, "documentType", where) or applies_to
        if document_type != applies_to:
            raise ApiError(
                400,
                f"{where}documentType '{document_type}': a {payment_type} is applied to documents of type {applies_to}.",
            )
        ref = _required(_str(raw, "refNbr", where), "refNbr", where)
        invoice = _get(document_kind, ref)
        if invoice is None:
            raise ApiError(400, f"{where}{document_label} '{ref}' does not exist.")
        if invoice["customer"]["number"] != customer_number:
            raise ApiError(400, f"{where}{document_label} '{ref}' belongs to customer {invoice['customer']['number']}.")
        if invoice["status"] != "Open":
            raise ApiError(
                400,
                f"{where}{document_label} '{ref}' is not open (status {invoice['status']}): "
                "only a released document with a balance can be settled.",
            )
        if invoice.get("currencyId") != currency:
            raise ApiError(
                400, f"{where}{document_label} '{ref}' is in {invoice.get('currencyId')}, the payment in {currency}."
            )
        paid = round_to(_dec(raw, "amountPaid", where) or Decimal(0), places)
        write_off = round_to(_dec(raw, "balanceWriteOff", where) or Decimal(0), places)
        discount = round_to(_dec(raw, "cashDiscountTaken", where) or Decimal(0), places)
        if min(paid, write_off, discount) < 0:
            raise ApiError(400, f"{where}amounts cannot be negative.")
        reason_id = _str(raw, "writeOffReasonCode", where)
        reason = None
        if write_off:
            reason = _must(REASON_CODE, _required(reason_id, "writeOffReasonCode", where), "Reason code", where)
        if paid + write_off + discount > dec(invoice["balance"]):
            raise ApiError(
                400,
                f"{where}{paid + write_off + discount} (paid {paid}, written off {write_off}) exceeds the balance "
                f"{invoice['balance']} of {document_label} '{ref}'.",
            )
        line = {
            "documentType": document_type,
            "refNbr": ref,
            "amountPaid": money(paid, places),
            "cashDiscountTaken": money(discount, places),
            "balanceWriteOff": money(write_off, places),
            "date": invoice["documentDate"],
            "dueDate": invoice["documentDueDate"],
            "balance": invoice["balance"],
            "currency": currency,
        }
        if reason:
            line["writeOffReasonCode"] = {"id": reason_id, "description": reason.get("description", "")}
        lines.append(line)
        applied += paid
        written_off += write_off
        refs.append(ref)
    if applied > amount:
        raise ApiError(400, f"The payment lines apply {applied} but paymentAmount is {round_to(amount, places)}.")
    hold = bool(_bool(body, "hold"))
    key = number_next(PAYMENT)
    dto = {
        "type": payment_type,
        "refNbr": key,
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "applicationDate": day(application_date),
        "applicationPeriod": application_date.strftime("%Y%m"),
        "customer": {"number": customer_number, "name": customer["name"]},
        "paymentMethod": {"id": method_id, "description": method.get("description", "")},
        "cashAccount": cash_id,
        "currency": currency,
        "paymentAmount": money(amount, places),
        "paymentAmountInCurrency": money(amount, places),
        "appliedToDocuments": money(applied, places),
        "availableBalance": money(amount - applied, places),
        "availableBalanceInCurrency": money(amount - applied, places),
        "writeOffAmount": money(written_off, places),
        "paymentLines": lines,
        "lastModifiedDateTime": stamp(),
        "_refs": "".join(f"|{ref}|" for ref in refs),
    }
    for field in ("paymentRef", "invoiceText"):
        value = _str(body, field)
        if value:
            dto[field] = value
    _put(PAYMENT, key, dto)
    return _location(request, "payment", key)


def payments_view(request, grant):
    rows = _rows(PAYMENT)
    for param, lookup in (("customer", "customer__number"), ("status", "status"), ("paymentNbr", "refNbr")):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{lookup}": value})
    invoice = request.GET.get("invoiceRefNbr")
    if invoice:
        rows = rows.filter(data___refs__icontains=f"|{invoice}|")
    rows = _time_filters(request, rows, {"lastModifiedDateTime": "lastModifiedDateTime"})
    return _paged(request, rows)


def payment_view(request, grant, number):
    data = _get(PAYMENT, number)
    if data is None:
        raise _not_found("Payment", number)
    return JsonResponse(public(data))


def payment_release_view(request, grant, number):
    data = _get(PAYMENT, number)
    if data is None:
        raise _not_found("Payment", number)
    body = _body(request)
    payment_type = _str(body, "type")
    if payment_type not in (None, data["type"]):
        raise ApiError(400, f"type '{payment_type}' does not match payment {number} of type {data['type']}.")
    if data["status"] == "Hold":
        return _action_failed(f"Payment {number} is on hold: take it off hold before releasing it.")
    if data["status"] != "Balanced":
        return _action_failed(f"Payment {number} has already been released (status {data['status']}).")
    moment = stamp()
    _, document_kind, document_label = PAYMENT_DOCUMENTS[data["type"]]
    invoices = {}
    for line in data["paymentLines"]:
        invoice = invoices.get(line["refNbr"]) or _get(document_kind, line["refNbr"])
        settled = dec(line["amountPaid"]) + dec(line["balanceWriteOff"]) + dec(line["cashDiscountTaken"])
        if invoice["status"] != "Open" or settled > dec(invoice["balance"]):
            return _action_failed(
                f"Payment {number} cannot be released: it settles {settled} of {document_label} {line['refNbr']}, "
                f"whose balance is now {invoice['balance']} (status {invoice['status']})."
            )
        _settle(invoice, settled, moment)
        invoices[line["refNbr"]] = invoice
    for ref, invoice in invoices.items():
        _put(document_kind, ref, invoice)
    data["status"] = "Closed" if dec(data["availableBalance"]) == 0 else "Open"
    data["lastModifiedDateTime"] = moment
    _put(PAYMENT, number, data)
    return _action_done()


# -- inventory -------------------------------------------------------------------
def _inventory_shape(request) -> Callable[[dict], dict]:
    warehouses = (request.GET.get("expandWarehouseDetail") or "").lower() == "true"
    attribute_descriptions = (request.GET.get("expandAttribute") or "").lower() == "true"
    cross_references = (request.GET.get("expandCrossReference") or "true").lower() == "true"

    def shape(data: dict) -> dict:
        out = public(data)
        if not warehouses:
            out.pop("warehouseDetails", None)
        if not cross_references:
            out.pop("crossReferences", None)
        if not attribute_descriptions and out.get("attributes"):
            out["attributes"] = [{"id": a["id"], "value": a["value"]} for a in out["attributes"]]
        return out

    return shape


def inventories_view(request, grant):
    rows = _rows(INVENTORY)
    for param, lookup in (("inventoryNumber", "inventoryNumber"), ("status", "status"), ("description", "description")):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{lookup}": value})
    rows = _time_filters(
        request,
        rows,
        {
            "lastModifiedDateTime": "lastModifiedDateTime",
            "availabilityLastModifiedDateTime": "_availabilityModified",
            "createdDateTime": "_created",
        },
    )
    return _paged(request, rows, _inventory_shape(request))


def inventory_view(request, grant, number):
    data = _get(INVENTORY, number)
    if data is None:
        raise _not_found("Inventory item", number)
    return JsonResponse(_inventory_shape(request)(data))


# -- sales orders ------------------------------------------------------------------
# SalesOrderUpdateDto → SalesOrderDto. Lines as the ROUNDING RULE says, without a manual amount (the DTO has
# none): amount = round(quantity × unitPrice − discountAmount, places), discountAmount from discountPercent
# when only that is given; VAT per line of its taxCategory, summed per VAT; orderTotal = lines + VAT. The DTO
# states the VAT total only (taxTotal). inventoryNumber is mandatory on a line (spec: "Mandatory field").
def _sales_order_lines(raw_lines, *, order_date: date, zone: dict | None, places: int) -> tuple[list, dict]:
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(400, "lines: a sales order needs at least one line.")
    if len(raw_lines) > limit("document_lines"):
        raise ApiError(
            400, f"lines: a document can have at most {limit('document_lines')} lines, not {len(raw_lines)}."
        )
    lines, details = [], {}
    for index, raw in enumerate(raw_lines, start=1):
        where = f"lines[{index}]."
        if not isinstance(raw, dict):
            raise ApiError(400, f"{where[:-1]} must be an object.")
        if raw.get("operation", "Insert") != "Insert":
            raise ApiError(400, f"{where}operation must be Insert when creating a sales order.")
        item_number = _required(_str(raw, "inventoryNumber", where), "inventoryNumber", where)
        item = _must(INVENTORY, item_number, "Inventory item", where)
        if item.get("status") in ("Inactive", "NoSales", "MarkedForDeletion"):
            raise ApiError(
                400, f"{where}inventory item '{item_number}' has status {item['status']} and cannot be sold."
            )
        quantity = _dec(raw, "quantity", where)
        quantity = Decimal("1") if quantity is None else quantity
        if quantity <= 0:
            raise ApiError(400, f"{where}quantity must be greater than 0 on a sales order line, not {quantity}.")
        price = _dec(raw, "unitPrice", where)
        price = dec(item.get("defaultPrice")) if price is None else price
        percent = _dec(raw, "discountPercent", where)
        discount = _dec(raw, "discountAmount", where)
        if discount is None and percent:
            discount = round_to(quantity * price * percent / 100, places)
        discount = _places_check(discount or Decimal(0), places, f"{where}discountAmount", "the currency")
        extended = round_to(quantity * price, places)
        amount = round_to(quantity * price - discount, places)
        warehouse = _str(raw, "warehouse", where)
        if warehouse and warehouse not in WAREHOUSES:
            raise ApiError(400, f"{where}warehouse '{warehouse}' does not exist.")
        if not warehouse and item.get("stockItem", True):
            warehouse = next((w["warehouse"] for w in item.get("warehouseDetails") or [] if w.get("isDefault")), None)
        category_id = _str(raw, "taxCategory", where) or (item.get("vatCode") or {}).get("id")
        category_id = category_id or (zone or {}).get("defaultVatCategory")
        if not category_id:
            raise ApiError(400, f"{where}taxCategory is required: the line has no VAT category.")
        category = _must(VAT_CATEGORY, category_id, "VAT category", where)
        for vat_id, _description, rate in vat_rates(category, order_date):
            detail = details.setdefault(vat_id, {"rate": rate, "taxable": Decimal(0), "vat": Decimal(0)})
            detail["taxable"] += amount
            detail["vat"] += round_to(amount * rate / 100, places)
        line = {
            "lineNbr": index,
            "sortOrder": index,
            "operation": "Issue",
            "freeItem": False,
            "requestedOn": day(order_date),
            "shipOn": day(order_date),
            "completed": False,
            "taxCategory": category_id,
            "inventory": {"number": item_number, "description": item.get("description", "")},
            "uom": _str(raw, "uom", where) or item.get("salesUnit") or "PCS",
            "quantity": num(quantity),
            "qtyOnShipments": 0,
            "openQty": num(quantity),
            "unitPrice": num(price),
            "unitPriceInBaseCurrency": num(price),
            "discountPercent": num(percent or Decimal(0)),
            "discountAmount": money(discount, places),
            "manualDiscount": bool(_bool(raw, "manualDiscount", where)) or discount != 0,
            "discUnitPrice": num(round_to(amount / quantity, 4)),  # informational: the ERP shows 4 decimals
            "extPrice": money(extended, places),
            "unbilledAmount": money(amount, places),
            "lineDescription": _longest(
                _str(raw, "lineDescription", where), "line_description", f"{where}lineDescription"
            )
            or item.get("description", ""),
        }
        if warehouse:
            line["warehouse"] = {"id": warehouse, "description": WAREHOUSES.get(warehouse, "")}
        note = _str(raw, "note", where)
        if note:
            line["note"] = note
        lines.append(line)
    return lines, details


def sales_order_create_view(request, grant):
    body = _body(request)
    order_type = _required(_str(body, "orderType"), "orderType")
    if order_type not in ORDER_TYPES:
        raise ApiError(400, f"Order type '{order_type}' does not exist (order types: {', '.join(ORDER_TYPES)}).")
    customer_number = _required(_str(body, "customer"), "customer")
    customer = _get(CUSTOMER, customer_number)
    if customer is None:
        raise ApiError(400, f"Customer '{customer_number}' does not exist.")
    if customer.get("status") in ("Inactive", "OnHold", "CreditHold"):
        raise ApiError(400, f"Customer '{customer_number}' has status {customer['status']}: orders are refused.")
    fields = customer["_fields"]
    zone_id = _str(body, "customerVATZone") or fields.get("vatZoneId")
    zone = _must(VAT_ZONE, zone_id, "VAT zone") if zone_id else None
    currency = _str(body, "currency") or fields.get("currencyId") or BASE_CURRENCY
    if currency not in CURRENCIES:
        raise ApiError(400, f"currency '{currency}' is not a known currency.")
    order_date = _date(body, "date") or now().date()
    terms_id = _str(body, "terms") or fields.get("creditTermsId")
    terms = _must(CREDIT_TERM, terms_id, "Credit terms") if terms_id else None
    method_id = _str(body, "paymentMethod") or fields.get("defaultPaymentMethodId")
    method = _must(PAYMENT_METHOD, method_id, "Payment method") if method_id else None
    branch = _str(body, "branchNumber") or "1"
    if branch not in BRANCHES:
        raise ApiError(400, f"branchNumber '{branch}' does not exist.")
    places = currency_decimals(currency)
    lines, details = _sales_order_lines(body.get("lines"), order_date=order_date, zone=zone, places=places)
    line_total = sum((dec(line["extPrice"]) - dec(line["discountAmount"]) for line in lines), Decimal(0))
    vat_total = sum((d["vat"] for d in details.values()), Decimal(0))
    hold = bool(_bool(body, "hold"))
    key = number_next(SALES_ORDER)
    if _get(SALES_ORDER, key) is not None:
        raise ApiError(
            400, f"Sales order {key} already exists: numbering {NUMBERINGS[SALES_ORDER]} gave a number that is taken."
        )
    dto = {
        "orderType": order_type,
        "orderNo": key,
        "status": "Hold" if hold else "Open",
        "hold": hold,
        "date": day(order_date),
        "requestOn": day(order_date),
        "customer": {"number": customer_number, "name": customer["name"]},
        "currency": currency,
        "exchangeRate": 1,
        "orderTotal": money(line_total + vat_total, places),
        "orderTotalInBaseCurrency": money(line_total + vat_total, places),
        "vatTaxableTotal": money(sum((d["taxable"] for d in details.values() if d["rate"]), Decimal(0)), places),
        "vatExemptTotal": money(sum((d["taxable"] for d in details.values() if not d["rate"]), Decimal(0)), places),
        "taxTotal": money(vat_total, places),
        "taxTotalInBaseCurrency": money(vat_total, places),
        "discountTotal": money(sum((dec(line["discountAmount"]) for line in lines), Decimal(0)), places),
        "branchNumber": {"number": branch, "name": BRANCHES[branch]},
        "lastModifiedDateTime": stamp(),
        "lines": lines,
    }
    for field in ("customerOrder", "customerRefNo", "description", "note"):
        value = _str(body, field)
        if value:
            dto[field] = value
    if zone:
        dto["customerVATZone"] = {"id": zone_id, "description": zone.get("description", "")}
    if terms:
        dto["terms"] = {"id": terms_id, "description": terms.get("description", "")}
    if method:
        dto["paymentMethod"] = {"id": method_id, "description": method.get("description", "")}
    _put(SALES_ORDER, key, dto)
    return _location(request, "sales_order", key)


def sales_orders_view(request, grant):
    """GET /v1/salesorder: orderType, status, greaterThanValue (order number), lastModifiedDateTime; no
    filter on customerRefNo or customerOrder (the spec has none)."""
    rows = _rows(SALES_ORDER)
    for param, lookup in (("orderType", "orderType"), ("status", "status")):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{lookup}": value})
    above = request.GET.get("greaterThanValue")
    if above:
        rows = rows.filter(data__orderNo__gt=above)
    rows = _time_filters(request, rows, {"lastModifiedDateTime": "lastModifiedDateTime"})
    return _paged(request, rows)


def sales_order_view(request, grant, number):
    data = _get(SALES_ORDER, number)
    if data is None:
        raise _not_found("Sales order", number)
    return JsonResponse(public(data))


# -- journal transactions ---------------------------------------------------------------
# JournalTransactionUpdateDto → JournalTransactionDto (a GL batch, numbered by GLBATCH, Balanced or Hold).
# Refused: a batch whose debits and credits differ (JOURNAL_UNBALANCED), an unknown account, VAT category or
# VAT, amounts with more decimals than the currency. With createVatTransaction and without
# skipVatAmountValidation, a VAT line (vatId) must book round(its VAT's taxable lines × rate, places).
JOURNAL_UNBALANCED = "Batch is out of balance, please review."


def _journal_lines(raw_lines, *, places: int, currency: str, on: date) -> list[dict]:
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(400, "journalTransactionLines: a journal transaction needs at least one line.")
    if len(raw_lines) > limit("document_lines"):
        raise ApiError(400, f"journalTransactionLines: at most {limit('document_lines')} lines, not {len(raw_lines)}.")
    lines = []
    for index, raw in enumerate(raw_lines, start=1):
        where = f"journalTransactionLines[{index}]."
        if not isinstance(raw, dict):
            raise ApiError(400, f"{where[:-1]} must be an object.")
        if raw.get("operation", "Insert") != "Insert":
            raise ApiError(400, f"{where}operation must be Insert when creating a journal transaction.")
        account_number = _required(_str(raw, "accountNumber", where), "accountNumber", where)
        account = _must(ACCOUNT, account_number, "Account", where)
        if not account.get("active", True):
            raise ApiError(400, f"{where}account '{account_number}' is inactive.")
        debit = _places_check(
            _dec(raw, "debitAmountInCurrency", where) or Decimal(0), places, f"{where}debitAmountInCurrency", currency
        )
        credit = _places_check(
            _dec(raw, "creditAmountInCurrency", where) or Decimal(0), places, f"{where}creditAmountInCurrency", currency
        )
        if debit < 0 or credit < 0:
            raise ApiError(400, f"{where}debit and credit amounts cannot be negative.")
        line = {
            "lineNumber": index,
            "accountNumber": account_number,
            "description": account.get("description", ""),
            "debitAmount": money(debit, places),
            "debitAmountInCurrency": money(debit, places),
            "creditAmount": money(credit, places),
            "creditAmountInCurrency": money(credit, places),
            "transactionType": "GL",
            "module": "ModuleGL",
            "branch": _str(raw, "branch", where) or "1",
        }
        if line["branch"] not in BRANCHES:
            raise ApiError(400, f"{where}branch '{line['branch']}' does not exist.")
        for field in ("referenceNumber", "transactionDescription", "uom", "note"):
            value = _str(raw, field, where)
            if value:
                line[field] = (
                    _longest(value, "line_description", f"{where}{field}")
                    if field == "transactionDescription"
                    else value
                )
        category_id = _str(raw, "vatCodeId", where)
        if category_id:
            category = _must(VAT_CATEGORY, category_id, "VAT category", where)
            line["vatCode"] = {"id": category_id, "description": category.get("description", "")}
            line["_rates"] = [(vat_id, str(rate)) for vat_id, _d, rate in vat_rates(category, on)]
        vat_id = _str(raw, "vatId", where)
        if vat_id:
            vat = _must(VAT, vat_id, "VAT", where)
            line["vat"] = {"id": vat_id, "description": vat.get("description", "")}
        lines.append(line)
    return lines


def _journal_vat_check(lines: list[dict], places: int) -> None:
    """Each VAT line's amount as Visma.net validates it: round(taxable of its VAT × rate / 100, places)."""
    taxable: dict[str, Decimal] = {}
    rates: dict[str, Decimal] = {}
    for line in lines:
        for vat_id, rate in line.get("_rates", ()):
            taxable[vat_id] = taxable.get(vat_id, Decimal(0)) + dec(line["creditAmount"]) - dec(line["debitAmount"])
            rates[vat_id] = Decimal(rate)
    for line in lines:
        vat_id = (line.get("vat") or {}).get("id")
        if not vat_id:
            continue
        booked = dec(line["creditAmount"]) - dec(line["debitAmount"])
        expected = round_to(taxable.get(vat_id, Decimal(0)) * rates.get(vat_id, Decimal(0)) / 100, places)
        if booked != expected:
            raise ApiError(
                400,
                f"The VAT amount {booked} of VAT {vat_id} differs from the calculated amount {expected}. "
                "Select Skip VAT amount validation to keep it.",
            )


def journal_transaction_create_view(request, grant):
    body = _body(request)
    on = _date(body, "transactionDate") or now().date()
    currency = _str(body, "currencyId") or BASE_CURRENCY
    if currency not in CURRENCIES:
        raise ApiError(400, f"currencyId '{currency}' is not a known currency.")
    branch = _str(body, "branch") or "1"
    if branch not in BRANCHES:
        raise ApiError(400, f"branch '{branch}' does not exist.")
    places = currency_decimals(currency)
    lines = _journal_lines(body.get("journalTransactionLines"), places=places, currency=currency, on=on)
    debit = sum((dec(line["debitAmount"]) for line in lines), Decimal(0))
    credit = sum((dec(line["creditAmount"]) for line in lines), Decimal(0))
    if debit != credit:
        raise ApiError(400, JOURNAL_UNBALANCED, details=f"Debit total {debit}, credit total {credit}.")
    with_vat = bool(_bool(body, "createVatTransaction"))
    skip = bool(_bool(body, "skipVatAmountValidation"))
    if with_vat and not skip:
        _journal_vat_check(lines, places)
    hold = bool(_bool(body, "hold"))
    key = number_next(JOURNAL)
    if _get(JOURNAL, key) is not None:
        raise ApiError(400, f"Batch {key} already exists: numbering {NUMBERINGS[JOURNAL]} gave a number that is taken.")
    rate = _dec(body, "exchangeRate")
    dto = {
        "module": "ModuleGL",
        "batchNumber": key,
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "transactionDate": day(on),
        "postPeriod": on.strftime("%m%Y"),
        "financialPeriod": on.strftime("%Y%m"),
        "ledger": "1",
        "ledgerDescription": "Actual ledger",
        "currencyId": currency,
        "exchangeRate": num(rate) if rate is not None else 1,
        "autoReversing": bool(_bool(body, "autoReversing")),
        "reversingEntry": False,
        "description": _str(body, "description") or "",
        "debitTotal": money(debit, places),
        "debitTotalInCurrency": money(debit, places),
        "creditTotal": money(credit, places),
        "creditTotalInCurrency": money(credit, places),
        "controlTotal": money(debit, places),
        "controlTotalInCurrency": money(debit, places),
        "createVatTransaction": with_vat,
        "skipVatAmountValidation": skip,
        "lastModifiedDateTime": stamp(),
        "branch": branch,
        "journalTransactionLines": [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines],
    }
    _put(JOURNAL, key, dto)
    return _location(request, "journal_transaction", key)


def journal_transactions_view(request, grant):
    """GET /v2/journaltransaction: periodId (YYYYPP) or lastModifiedDateTime (modified since, no condition) is
    required; module, status, branch filter. Paged by lines, as the spec says: a batch can be split over two
    pages, each part a record with some of its lines; totalCount counts lines."""
    period = request.GET.get("periodId")
    since = request.GET.get("lastModifiedDateTime")
    if not period and not since:
        raise ApiError(400, "Either PeriodId or LastModifiedDateTime must be provided.")
    rows = _rows(JOURNAL)
    if period:
        rows = rows.filter(data__financialPeriod=period)
    if since:
        rows = rows.filter(data__lastModifiedDateTime__gte=parse_filter_time(since, "lastModifiedDateTime"))
    module = request.GET.get("module")
    if module:
        rows = rows.filter(data__module=f"Module{module}")
    for param in ("status", "branch"):
        value = request.GET.get(param)
        if value:
            rows = rows.filter(**{f"data__{param}": value})
    page, size = _page_args(request)
    flat = [
        (batch, line)
        for batch in rows.order_by("id").values_list("data", flat=True)
        for line in batch.get("journalTransactionLines") or [None]
    ]
    metadata = {"totalCount": len(flat), "maxPageSize": MAX_PAGE_SIZE}
    records: list[dict] = []
    for batch, line in flat[(page - 1) * size : page * size]:
        if not records or records[-1]["batchNumber"] != batch["batchNumber"]:
            records.append({**public(batch), "journalTransactionLines": [], "metadata": metadata})
        if line is not None:
            records[-1]["journalTransactionLines"].append(line)
    return JsonResponse(records, safe=False)


def journal_transaction_view(request, grant, number):
    data = _get(JOURNAL, number)
    if data is None:
        raise _not_found("Journal transaction", number)
    return JsonResponse(public(data))


# --------------------------------------------------------------------------- urls
app_name = "visma_net"
urlpatterns = [
    path("v1/customer", endpoint(get=customers_view, post=customer_create_view), name="customers"),
    path("v1/customer/customerClass", endpoint(get=customer_classes_view), name="customer_classes"),
    path("v1/customer/<str:number>", endpoint(get=customer_view, put=customer_update_view), name="customer"),
    path("v1/contact", endpoint(post=contact_create_view), name="contacts"),
    path("v1/contact/<str:contact_id>", endpoint(get=contact_view), name="contact"),
    path("v1/vatZone", endpoint(get=vat_zones_view), name="vat_zones"),
    path("v1/vatCategory", endpoint(get=vat_categories_view), name="vat_categories"),
    path("v1/vat", endpoint(get=vats_view), name="vats"),
    path("v1/currency", endpoint(get=currencies_view), name="currencies"),
    path("v1/currency/<str:currency>", endpoint(get=currency_view), name="currency"),
    path("v1/account", endpoint(get=accounts_view), name="accounts"),
    path("v1/paymentmethod", endpoint(get=payment_methods_view), name="payment_methods"),
    path("v1/creditTerm", endpoint(get=credit_terms_view), name="credit_terms"),
    path("v1/cashaccount", endpoint(get=cash_accounts_view), name="cash_accounts"),
    path("v1/branch", endpoint(get=branches_view), name="branches"),
    path("v1/customerinvoice", endpoint(get=invoices_view), name="invoices"),
    path("v1/customerinvoice/<str:number>", endpoint(get=invoice_view), name="invoice"),
    path(
        "v1/customerinvoice/<str:number>/action/release",
        endpoint(post=invoice_release_view, post_scope="update"),
        name="invoice_release",
    ),
    path("v2/customerinvoice", endpoint(post=invoice_create_view), name="invoice_create"),
    path("v1/customerCreditNote", endpoint(get=credit_notes_view), name="credit_notes"),
    path("v1/customerCreditNote/<str:number>", endpoint(get=credit_note_view), name="credit_note"),
    path(
        "v1/customerCreditNote/<str:number>/action/release",
        endpoint(post=credit_note_release_view, post_scope="update"),
        name="credit_note_release",
    ),
    path("v2/customerCreditNote", endpoint(post=credit_note_create_view), name="credit_note_create"),
    path("v1/customerPayment", endpoint(get=payments_view, post=payment_create_view), name="payments"),
    path("v1/customerPayment/<str:number>", endpoint(get=payment_view), name="payment"),
    path(
        "v1/customerPayment/<str:number>/action/release",
        endpoint(post=payment_release_view, post_scope="update"),
        name="payment_release",
    ),
    path("v1/inventory", endpoint(get=inventories_view), name="inventories"),
    path("v1/inventory/<str:number>", endpoint(get=inventory_view), name="inventory"),
    path("v1/numberSequence", endpoint(get=numberings_view), name="numberings"),
    path("v1/numberSequence/<str:numbering_id>", endpoint(get=numbering_view), name="numbering"),
    path("v1/salesorder", endpoint(get=sales_orders_view, post=sales_order_create_view), name="sales_orders"),
    path("v1/salesorder/<str:number>", endpoint(get=sales_order_view), name="sales_order"),
    path(
        "v2/journaltransaction",
        endpoint(get=journal_transactions_view, post=journal_transaction_create_view),
        name="journal_transactions",
    ),
    path("v2/journaltransaction/<str:number>", endpoint(get=journal_transaction_view), name="journal_transaction"),
    re_path(r"^(?P<rest>v[12]/.*)$", unknown_resource_view, name="unknown"),
]


# --------------------------------------------------------------------------- helpers for tests and the demo
def reset() -> None:
    """Forget every object and number of the emulated company."""
    store.system_reset(SYSTEM)


def seed() -> None:
    """The demo company (see demo_data.seed)."""
    from .demo_data import seed as demo_seed

    demo_seed()


def customer_class_put(class_id: str, description: str, *, vat_zone: str = "", payment_method: str = "") -> dict:
    data = {"id": class_id, "description": description, "attributes": []}
    if vat_zone:
        data.update(taxZoneId=vat_zone, requiredTaxzoneId=True)
    if payment_method:
        data["paymentMethodId"] = payment_method
    return _put(CUSTOMER_CLASS, class_id, data)


def vat_zone_put(zone_id: str, description: str, *, default_category: str = "") -> dict:
    data = {"id": zone_id, "description": description, "defaultVatCategory": default_category}
    if default_category:
        category = _get(VAT_CATEGORY, default_category) or {}
        data["defaultTaxCategory"] = {"number": default_category, "description": category.get("description", "")}
    return _put(VAT_ZONE, zone_id, data)


def vat_category_put(
    category_id: str,
    description: str,
    rate: Decimal | int,
    *,
    reverse: bool = False,
    exempt: bool = False,
    since: str = "2000-01-01",
    history: Iterable[tuple[str, Decimal | int]] = (),
    payable_account: str = "2611",
) -> dict:
    """A VAT category holding one VAT of the same id (real companies often name them differently).

    `rate` applies from `since`; `history` ((start date 'YYYY-MM-DD', rate), ...), when given, replaces it
    with dated rates (vatRates[] of the category's line, schedules[] of the VAT): a document takes the rate
    with the latest start date on or before its date (vat_rates()). `exempt`: a VAT of type ExemptVat (no VAT,
    counted in the documents' VAT exempt total). `payable_account`: the VAT's glAccounts.vatPayableAccount
    (VatInformationDto, GET /v1/vat), the liability account its output VAT is booked to.
    """
    moment = stamp()
    vat_type = "ReverseVat" if reverse else ("ExemptVat" if exempt else "Vat")
    dated = sorted(history) or [(since, rate)]
    rates = [
        {"revisionID": str(index), "vatRate": num(Decimal(r)), "startDate": f"{start}T00:00:00"}
        for index, (start, r) in enumerate(dated, start=1)
    ]
    line = {"vatId": category_id, "description": description, "type": vat_type, "calculateOn": "ItemAmount"}
    category = {
        "vatCategoryId": category_id,
        "description": description,
        "active": True,
        "excludeListedTaxes": False,
        "lastModifiedDateTime": moment,
        "vatCategoryLines": [{**line, "vatRates": rates}],
    }
    _put(VAT_CATEGORY, category_id, category)
    _put(
        VAT,
        category_id,
        {
            "vatId": category_id,
            "vatCategoryId": category_id,
            "description": description,
            "type": vat_type,
            "reverseVat": reverse,
            "calculateOn": "ItemAmount",
            "includeinVatTotal": not exempt,
            "includeinVatExemptTotal": exempt,
            "glAccounts": {
                "vatPayableAccount": {
                    "type": "Liability",
                    "number": payable_account,
                    "description": ((_get(ACCOUNT, payable_account) or {}).get("description") or ""),
                    "active": True,
                }
            },
            "lastModifiedDateTime": moment,
            "schedules": [{"startDate": r["startDate"], "vatRate": r["vatRate"], "groupType": "Output"} for r in rates],
            "categories": [{"vatCategoryId": category_id, "description": description, "active": True}],
        },
    )
    return category


def currency_put(currency: str, description: str, *, symbol: str = "", decimals: int = 2) -> dict:
    """A currency of the company (CurrencyDto); documents in it are rounded to `decimals`."""
    data = {
        "id": currency,
        "description": description,
        "symbol": symbol,
        "isBaseCurrency": currency == BASE_CURRENCY,
        "decimalPrecision": decimals,
        "isUsedForAccounting": True,
    }
    return _put(CURRENCY, currency, data)


def account_put(account: str, description: str, *, account_type: str = "Income", cash: bool = False) -> dict:
    return _put(
        ACCOUNT,
        account,
        {
            "accountID": int(account),
            "accountCD": account,
            "type": account_type,
            "active": True,
            "description": description,
            "cashAccount": cash,
            "currency": BASE_CURRENCY,
            "lastModifiedDateTime": stamp(),
        },
    )


def cash_account_put(account: str, description: str, *, currency: str = BASE_CURRENCY) -> dict:
    return _put(
        CASH_ACCOUNT,
        account,
        {"number": account, "description": description, "currency": currency, "lastModifiedDateTime": stamp()},
    )


def payment_method_put(method_id: str, description: str, *, cash_account: str = "", means: str = "CreditCard") -> dict:
    data = {"paymentMethodID": method_id, "active": True, "meansOfPayment": means, "description": description}
    if cash_account:
        data["_cashAccount"] = cash_account
    return _put(PAYMENT_METHOD, method_id, {**data, "useInAP": False})


def credit_term_put(terms_id: str, description: str, *, days: int = 0) -> dict:
    return _put(
        CREDIT_TERM,
        terms_id,
        {
            "termsId": terms_id,
            "description": description,
            "visibleTo": "All",
            "dueDateType": "FixedNumberOfDays",
            "dueDay1": days,
            "discountDay": 0,
            "discountPercent": 0,
            "lastModifiedDateTime": stamp(),
        },
    )


def reason_code_put(code: str, description: str) -> dict:
    """A write-off reason code (no endpoint lists them; payments refer to them)."""
    return _put(REASON_CODE, code, {"id": code, "description": description, "usage": "BalanceWriteOff"})


def numbering_put(numbering_id: str, description: str, *, start: str, end: str, last: int | None = None) -> dict:
    """A numbering with one segment; `last` sets the last number used (None leaves the counter alone)."""
    data = _put(
        NUMBERING,
        numbering_id,
        {
            "numberingId": numbering_id,
            "description": description,
            "manualNumbering": False,
            "newNumberSymbol": "<NEW>",
            "sequence": [
                {
                    "startNbr": start,
                    "endNbr": end,
                    "startDate": "2020-01-01T00:00:00",
                    "warnNbr": str(max(int(start), int(end) - 100)).zfill(len(start)),
                    "nbrStep": 1,
                }
            ],
        },
    )
    if last is not None:
        store.counter_set(SYSTEM, numbering_id, last)
    return data


def numbering_last_set(numbering_id: str, last: int) -> None:
    """Test helper: pretend numbers up to `last` were used."""
    store.counter_set(SYSTEM, numbering_id, last)


def customer_put(number: str, *, name: str, email: str = "", customer_class: str = "DOMESTIC", **fields) -> dict:
    """Create or replace a customer directly (tests, demo). `fields`: plain CustomerUpdateDto values."""
    plain = {"name": name, "customerClassId": customer_class, **fields}
    if email:
        plain["mainContact"] = {"email": email, "name": name}
    existing = _get(CUSTOMER, number)
    moment = stamp()
    internal_id = existing["internalId"] if existing else store.counter_next(SYSTEM, "customer_internal_id")
    created = existing["createdDateTime"] if existing else moment
    return _put(CUSTOMER, number, {**_customer_out(number, plain, internal_id, created, moment), "_fields": plain})


def inventory_item_build(
    number: str,
    description: str,
    *,
    price: Decimal | int = 0,
    stock: bool = True,
    available: dict[str, Decimal | int] | None = None,
    attributes: dict[str, str] | None = None,
    vat_category: str = "SE25",
    vat_description: str = "",
    status: str = "Active",
    ean: str = "",
    body: str = "",
    item_class: str = "",
    internal_id: int | None = None,
    at: datetime | None = None,
) -> dict:
    """An InventoryDto as stored (use inventory_item_put or inventory_bulk_create to store it)."""
    moment = stamp(at)
    warehouses = [
        {
            "isDefault": index == 0,
            "warehouse": warehouse,
            "quantityOnHand": number_(quantity),
            "available": number_(quantity),
            "availableForShipment": number_(quantity),
            "lastModifiedDateTime": moment,
        }
        for index, (warehouse, quantity) in enumerate((available or ({"MAIN": 0} if stock else {})).items())
    ]
    data = {
        "inventoryId": internal_id or 0,
        "inventoryNumber": number,
        "status": status,
        "type": "FinishedGoodItem" if stock else "NonStockItem",
        "description": description,
        "vatCode": {"id": vat_category, "description": vat_description},
        "defaultPrice": money(Decimal(price)),
        "lastModifiedDateTime": moment,
        "baseUnit": "PCS",
        "salesUnit": "PCS",
        "purchaseUnit": "PCS",
        "stockItem": stock,
        "kitItem": False,
        "attributes": [
            {"id": key, "value": value, "description": key.title()} for key, value in (attributes or {}).items()
        ],
        "warehouseDetails": warehouses,
        "crossReferences": (
            [{"alternateType": "Barcode", "alternateID": ean, "description": "EAN", "uom": "PCS"}] if ean else []
        ),
        "_availabilityModified": moment,
        "_created": moment,
    }
    if body:
        data["body"] = body
    if item_class:
        data["itemClass"] = {"id": item_class, "description": item_class.title()}
    return data


def number_(value) -> int | float:
    return json_number(Decimal(value))


def inventory_item_put(number: str, description: str, **kwargs) -> dict:
    category = _get(VAT_CATEGORY, kwargs.get("vat_category", "SE25")) or {}
    kwargs.setdefault("vat_description", category.get("description", ""))
    existing = _get(INVENTORY, number)
    internal_id = existing["inventoryId"] if existing else store.counter_next(SYSTEM, "inventory_internal_id")
    return _put(INVENTORY, number, inventory_item_build(number, description, internal_id=internal_id, **kwargs))


def inventory_bulk_create(items: Iterable[dict], *, batch_size: int = 1000) -> int:
    """Store many items built with inventory_item_build, in batches (benchmarks: 100k items). Returns the count."""
    counter_start = (store.counter_peek(SYSTEM, "inventory_internal_id") or 0) + 1
    batch, count = [], 0
    for item in items:
        item["inventoryId"] = counter_start + count
        batch.append(SandboxObject(system=SYSTEM, kind=INVENTORY, key=item["inventoryNumber"], data=item))
        count += 1
        if len(batch) >= batch_size:
            SandboxObject.objects.bulk_create(batch)
            batch = []
    if batch:
        SandboxObject.objects.bulk_create(batch)
    if count:
        store.counter_set(SYSTEM, "inventory_internal_id", counter_start + count - 1)
    return count


def inventory_item_set(
    number: str,
    *,
    available: Decimal | int | None = None,
    warehouse: str = "MAIN",
    price: Decimal | int | None = None,
    description: str | None = None,
    status: str | None = None,
    attributes: dict[str, str] | None = None,
    at: datetime | None = None,
) -> dict:
    """Change an item as an ERP user would. A stock change moves the warehouse's and the item's
    availability timestamps only; other changes move the item's lastModifiedDateTime."""
    data = _get(INVENTORY, number)
    if data is None:
        raise KeyError(f"No inventory item {number}")
    moment = stamp(at)
    if available is not None:
        details = data.setdefault("warehouseDetails", [])
        detail = next((d for d in details if d["warehouse"] == warehouse), None)
        if detail is None:
            detail = {"isDefault": not details, "warehouse": warehouse}
            details.append(detail)
        quantity = number_(available)
        detail.update(quantityOnHand=quantity, available=quantity, availableForShipment=quantity)
        detail["lastModifiedDateTime"] = moment
        data["_availabilityModified"] = moment
    changed = False
    if price is not None:
        data["defaultPrice"] = money(Decimal(price))
        changed = True
    if description is not None:
        data["description"] = description
        changed = True
    if status is not None:
        data["status"] = status
        changed = True
    if attributes:
        current = {a["id"]: a for a in data.get("attributes", [])}
        for key, value in attributes.items():
            current[key] = {"id": key, "value": value, "description": key.title()}
        data["attributes"] = list(current.values())
        changed = True
    if changed:
        data["lastModifiedDateTime"] = moment
    return _put(INVENTORY, number, data)


def object_touch(kind: str, key: str, at: datetime) -> dict:
    """Test helper: set an object's lastModifiedDateTime."""
    data = _get(kind, key)
    if data is None:
        raise KeyError(f"No {kind} {key}")
    data["lastModifiedDateTime"] = stamp(at)
    return _put(kind, key, data)


def _objects(kind: str) -> list[dict]:
    return [public(d) for d in store.obj_list(SYSTEM, kind)]


def invoice_count() -> int:
    return store.obj_count(SYSTEM, INVOICE)


def invoices() -> list[dict]:
    return _objects(INVOICE)


def credit_note_count() -> int:
    return store.obj_count(SYSTEM, CREDIT_NOTE)


def credit_notes() -> list[dict]:
    return _objects(CREDIT_NOTE)


def vat_categories() -> list[dict]:
    """The VAT categories as GET /v1/vatCategory returns them."""
    return _objects(VAT_CATEGORY)


def payment_count() -> int:
    return store.obj_count(SYSTEM, PAYMENT)


def payments() -> list[dict]:
    return _objects(PAYMENT)


def customer_count() -> int:
    return store.obj_count(SYSTEM, CUSTOMER)


def customers() -> list[dict]:
    return _objects(CUSTOMER)


def contacts() -> list[dict]:
    return _objects(CONTACT)


def sales_orders() -> list[dict]:
    return _objects(SALES_ORDER)


def journal_transactions() -> list[dict]:
    return _objects(JOURNAL)


def document_get(kind: str, number: str) -> dict | None:
    """A stored invoice/credit note/payment/customer/item as the API shows it (kind: INVOICE, …)."""
    data = _get(kind, number)
    return public(data) if data else None
