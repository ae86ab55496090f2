"""Fortnox API emulator: the resources Koppla uses, served at /sandbox/fortnox/3/… and /sandbox/fortnox/api/….

Shaped after the official spec (integrations/fortnox/spec/fortnox-v3.openapi.json) and,
where the spec is silent, after the shared api-notes § A (sources named there). The
connection's base URL is the host root (/sandbox/fortnox), as for https://api.fortnox.se;
OAuth lives in oauth_sandbox.py (/sandbox/fortnox/oauth-v1/…).

Protocol
- `Authorization: Bearer <access token>`; a missing, unknown or expired token answers 401
  `{"message": "unauthorized"}` (as recorded from the real API). A token without the
  resource's scope answers 403 code 2000663 (ASSUMPTION: the code of Fortnox's "no
  permission for scope" error); a scope the company has no licence for answers 403 code
  2001101 "Det finns ingen aktiv licens för önskat scope" (company_licences_set).
  Scopes: companyinformation, customer, article, invoice, order, payment, bookkeeping (accounts,
  vouchers), warehouse (stock points, stock balance). A company without the warehouse module
  (company_settings_set(warehouse=False)) answers the warehouse API with that licence error too.
- Envelopes: one object `{"Invoice": {...}}`; lists `{"MetaInformation": {"@TotalResources",
  "@TotalPages", "@CurrentPage"}, "Invoices": [...]}`, paged by `page` (1-based) and
  `limit` (default 100, at most MAX_LIMIT; the spec lists neither: SPEC-GAP), after `offset`
  records are skipped; `sortby` (the spec's values per resource) and `sortorder`
  (ascending|descending) order them first. MetaInformation counts what is left after the
  offset (ASSUMPTION). A page past the end is empty. @TotalPages is at least 1.
- Search parameters are case-insensitive SUBSTRING matches (ILIKE), lower-case names, at
  most ONE resource-specific filter per request (plus lastmodified, sortby, sortorder, offset,
  page, limit everywhere, `filter` on customers, articles and invoices, fromdate, todate and
  financialyear on invoices): `?externalinvoicereference1=123` also finds 1234,
  `?email=anna@x.se` also finds hanna@x.se. Two specific filters answer 400 code 2000587;
  an unknown parameter 400 code 2000588. `lastmodified` ("YYYY-MM-DD HH:MM[:SS]" or a
  date) returns what changed at or after that moment, in Swedish local time
  (Europe/Stockholm) as Fortnox keeps it: a client sending UTC gets an overlap, never a gap.
- Errors `{"ErrorInformation": {"error": 1, "message": "...", "code": 2000xxx}}` with
  lower-case keys, except 404s, which use `Error`/`Message`/`Code` (both casings occur in the
  real API's recorded answers; the spec only has the capitalised one). Messages are Swedish,
  as Fortnox's are. The warehouse API answers its own `{"error", "id", "message"}` shape.
- Rate limit: RATE_LIMIT (25) requests per 5 s sliding window per tenant when
  settings.SANDBOX_RATE_LIMITS["fortnox"] is set (True, or (count, seconds)); beyond it 429
  `{"message": "Too Many Requests"}` with NO Retry-After header (none is documented). A
  refused request does not count. `clock` can be replaced by a fake one in tests.
- Faults: SandboxFault rows of system "fortnox" (integrations/sandbox/faults.py), matched
  against "METHOD /sandbox/fortnox/3/...": 5xx, slow answers, timeouts before the work or
  after it (the document exists but the client saw an error). Injected 429s carry no
  Retry-After either.

Money and rounding (as Fortnox; notes A5), amounts in the invoice currency, ROUND_HALF_UP:
- row Price and DeliveredQuantity are rounded to 2 decimals on the way in (1.125 → 1.13);
- row Total (excluding VAT) = round(Price × DeliveredQuantity, 2), less Discount
  (AMOUNT: the amount; PERCENT: round(Price × DeliveredQuantity × Discount / 100, 2));
- VAT per rate: round(Σ row totals at that rate × rate / 100, 2) (invoice_vat_by_rate);
  Freight and AdministrationFee carry VAT at the invoice's highest row rate, each rounded on
  its own (FreightVAT, AdministrationFeeVAT). TotalVAT = Σ per-rate VAT + FreightVAT +
  AdministrationFeeVAT;
- Net = Σ row totals; Gross = Net + Freight + AdministrationFee;
  RoundOff = 0, unless the company rounds to whole kronor (company_settings_set(round_off=True)),
  then for SEK invoices round(Gross + TotalVAT, 0) − (Gross + TotalVAT);
  Total = Gross + TotalVAT + RoundOff = TotalToPay; Balance starts at Total.
- Customers with VATType SEREVERSEDVAT, EUREVERSEDVAT or EXPORT get VAT 0 on every row.
  A row VAT rate must be one of the company's rates (25, 12, 6, 0 and the OSS rates seeded
  by demo_data), else 400 "Kunde inte hitta moms".
- VATIncluded true is not emulated (400). The spec types a row's VAT as an integer; the
  sandbox accepts decimal rates (OSS 25.5 %) when the company has them.
- A row without AccountNumber books to the customer's SalesAccount, else the article's, else
  the predefined account of the customer's VAT type (SEVAT 3001/3002/3003 by rate, EUVAT 3106,
  EUREVERSEDVAT 3108, EXPORT 3105, SEREVERSEDVAT 3231).

Documents
- POST /3/invoices creates an unbooked invoice (201). Body fields outside the spec's
  InvoicePayload (e.g. Total, RoundOff, Booked) are refused (400 code 2000588).
  CustomerNumber must exist; Currency must be in the company's currency table (else
  "Kunde inte hitta valuta"); InvoiceDate must fall in a financial year.
- A credit invoice has `"Credit": "true"` (a string, as the real API sends it; "false" on
  others), negative amounts, `CreditInvoiceReference` = the original's number and
  `InvoiceReference` = the same (returned by the real API, not in the spec). The original's
  `CreditInvoiceReference` points at its first credit; "0" when there is none.
  `PUT /3/invoices/{n}/credit` credits a BOOKED invoice (ASSUMPTION: woo-fortnox-hub books
  before crediting and cancels unbooked invoices instead; notes A5) in full (rows copied with negated
  DeliveredQuantity), once: a second credit of any kind after it, or /credit on an invoice
  that already has a credit, is refused (Fortnox "fails silently" there; the sandbox says
  so). A POST with CreditInvoiceReference makes a partial credit invoice of that original.
  A credit's amount first reduces the original's Balance; the rest stays on the credit.
- PUT /3/invoices/{n} changes an unbooked invoice (InvoiceRows, when given, replace the rows);
  a booked or cancelled one is refused. PUT …/bookkeep books it (voucher series B);
  PUT …/cancel cancels an unbooked one.
- POST /3/invoicepayments {InvoiceNumber, Amount (SEK), AmountCurrency, PaymentDate,
  ModeOfPaymentAccount (default 1930), WriteOffs[{AccountNumber, Amount, Currency,
  Description}]}: PaymentDate may not precede InvoiceDate; payment and write-off currency
  must equal the invoice's; accounts must exist. AmountCurrency + write-offs reduce the
  invoice's Balance at once; Balance 0 → FinalPayDate = PaymentDate. PUT …/bookkeep books
  the payment (voucher series C). ExternalInvoiceReference1/2 are stored as sent, else
  copied from the invoice.
- Booking writes a voucher (GET /3/vouchers/{series}/{number}): accounts receivable 1510
  against the rows' sales accounts, VAT per rate on 2611 (25 %), 2621 (12 %), 2631 (6 %)
  or 2614 (other rates: OSS), freight on 3520, RoundOff on 3740; a payment against 1510
  from ModeOfPaymentAccount and its write-off accounts. Amounts in SEK (× CurrencyRate).
- Times: `lastmodified` stamps move on every change. No timestamp field is returned: the
  spec has none.
- Error codes 2009001–2009007 (booked/locked, already credited, payment before invoice date,
  currency mismatch, not booked, cancelled, already booked) are the sandbox's own: the stored
  sources do not give Fortnox's codes for these refusals.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import router, transaction
from django.http import JsonResponse
from django.urls import path, re_path

from integrations.sandbox import store
from integrations.sandbox.faults import sandbox_endpoint
from integrations.sandbox.models import SandboxObject
from mappings.countries import COUNTRIES

from . import oauth_sandbox
from .oauth_sandbox import DEMO_TENANT_ID, token_validate

SYSTEM = "fortnox"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CENT = Decimal("0.01")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
RATE_LIMIT = (25, 5)
MAX_ROWS = 500

# kinds of SandboxObject rows
COMPANY = "company"
ACCOUNT = "account"
ARTICLE = "article"
STOCK = "stock"  # per article and stock point: key "<article>|<stock point>"
CUSTOMER = "customer"
INVOICE = "invoice"
PAYMENT = "payment"
VOUCHER = "voucher"
CURRENCY = "currency"
VAT_RATE = "vat_rate"
FINANCIAL_YEAR = "financial_year"

ZERO_VAT_TYPES = ("SEREVERSEDVAT", "EUREVERSEDVAT", "EXPORT")
# predefined sales accounts (BAS) per customer VAT type; for SEVAT per row VAT rate (others: 3001)
SALES_ACCOUNTS = {
    "SEVAT": {25: 3001, 12: 3002, 6: 3003},
    "EUVAT": 3106,
    "EUREVERSEDVAT": 3108,
    "EXPORT": 3105,
    "SEREVERSEDVAT": 3231,
}
VAT_ACCOUNTS = {Decimal(25): 2611, Decimal(12): 2621, Decimal(6): 2631}
OSS_VAT_ACCOUNT = 2614
RECEIVABLES_ACCOUNT = 1510
FREIGHT_ACCOUNT = 3520
FEE_ACCOUNT = 3540
ROUND_OFF_ACCOUNT = 3740
DEFAULT_PAYMENT_ACCOUNT = 1930

# The rate-limit clock (seconds). Tests may replace it, e.g. with a FakeClock's `time`.
clock: Callable[[], float] = time.time


# --------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error answer of the emulated API."""

    def __init__(self, status: int, message: str, code: int | str = 2000588, *, warehouse: bool = False):
        super().__init__(message)
        self.status, self.message, self.code, self.warehouse = status, message, code, warehouse

    def response(self) -> JsonResponse:
        if self.status == 401:
            return JsonResponse({"message": "unauthorized"}, status=401)
        if self.warehouse:
            body = {"error": str(self.code), "id": f"sandbox-{self.code}", "message": self.message}
            return JsonResponse(body, status=self.status)
        return JsonResponse(error_body(self.message, self.code, capitalised=self.status == 404), status=self.status)


def error_body(message: str, code: int, *, capitalised: bool = False) -> dict:
    """Fortnox's ErrorInformation object, in either key casing the real API uses."""
    if capitalised:
        return {"ErrorInformation": {"Error": 1, "Message": message, "Code": code}}
    return {"ErrorInformation": {"error": 1, "message": message, "code": code}}


def _fault_body(status: int, message: str) -> dict:
    if status == 429:
        return {"message": "Too Many Requests"}
    return error_body(message, 0)


def _invalid(message: str, code: int = 2000588) -> ApiError:
    return ApiError(400, message, code)


# --------------------------------------------------------------------------- values
def now() -> datetime:
    return datetime.now(STOCKHOLM)


def stamp(moment: datetime | None = None) -> str:
    """A lastmodified stamp as stored: Swedish local time, fixed width, so strings sort like times."""
    return (moment or now()).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S")


def today() -> date:
    return now().date()


def q2(value: Decimal) -> Decimal:
    """Half-up to 2 decimals, as Fortnox rounds prices, quantities and amounts."""
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
    return Decimal(value)


def public(data: dict) -> dict:
    """A stored object without the emulator's private keys (those starting with "_")."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _number(value, name: str) -> Decimal:
    if isinstance(value, float):  # a stored value (request bodies are parsed to Decimal)
        return Decimal(repr(value))
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise _invalid(f"Ogiltigt värde för {name}: {json.dumps(value, default=str)} är inget tal.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _invalid(f"Ogiltigt värde för {name}: '{value}' är inget tal.") from None
    if not number.is_finite():
        raise _invalid(f"Ogiltigt värde för {name}: '{value}'.")
    return number


def _text(value, name: str, longest: int | None = None) -> str:
    if not isinstance(value, str):
        raise _invalid(f"Ogiltigt värde för {name}: ska vara text.")
    if longest is not None and len(value) > longest:
        raise _invalid(f"{name} får vara högst {longest} tecken lång (är {len(value)}).", 2000359)
    return value


def _day(value, name: str) -> str:
    try:
        return date.fromisoformat(_text(value, name)).isoformat()
    except ValueError:
        raise _invalid(f"Ogiltigt datum i {name}: '{value}' (YYYY-MM-DD).") from None


def _account(value, name: str) -> int:
    number = _number(value, name)
    if number != number.to_integral_value() or not 1000 <= number <= 9999:
        raise _invalid(f"{name} ska vara ett kontonummer mellan 1000 och 9999 (var {value}).")
    if _get(ACCOUNT, int(number)) is None:
        raise _invalid(f"Kontot {int(number)} hittades inte i kontoplanen ({name}).", 2001304)
    return int(number)


# --------------------------------------------------------------------------- storage
def _get(kind: str, key) -> dict | None:
    return store.obj_get(SYSTEM, kind, key)


def _put(kind: str, key, data: dict) -> dict:
    return store.obj_put(SYSTEM, kind, key, {**data, "_modified": stamp()})


def _rows(kind: str):
    return SandboxObject.objects.filter(system=SYSTEM, kind=kind)


def _atomic():
    return transaction.atomic(using=router.db_for_write(SandboxObject))


def company() -> dict:
    """The emulated company's information and settings (licences, rounding, warehouse module)."""
    return _get(COMPANY, "company") or {
        "CompanyName": oauth_sandbox.DEMO_COMPANY_NAME,
        "DatabaseNumber": DEMO_TENANT_ID,
        "licences": list(oauth_sandbox.SCOPES),
        "round_off": False,
        "warehouse": True,
    }


def company_settings_set(**changes) -> dict:
    """Test and demo helper: change company fields or settings (round_off, warehouse, CompanyName…)."""
    return store.obj_put(SYSTEM, COMPANY, "company", {**company(), **changes})


def company_licences_set(scopes: Iterable[str]) -> dict:
    """Test helper: the scopes the company holds a licence for (others answer code 2001101)."""
    return company_settings_set(licences=list(scopes))


# --------------------------------------------------------------------------- rate limit
_rate_lock = threading.Lock()
_hits: dict[int, list[float]] = {}


def rate_limits_reset() -> None:
    with _rate_lock:
        _hits.clear()


def _rate_take(tenant: int) -> bool:
    """Record a request of `tenant`; False when it is over the sliding window (and not counted)."""
    limits = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(SYSTEM)
    if not limits:
        return True
    count, period = RATE_LIMIT if limits is True else limits
    at = clock()
    with _rate_lock:
        hits = [t for t in _hits.get(tenant, []) if 0 <= at - t < period]
        if len(hits) >= count:
            _hits[tenant] = hits
            return False
        hits.append(at)
        _hits[tenant] = hits
    return True


# --------------------------------------------------------------------------- requests
def _body(request, envelope: str) -> dict:
    try:
        body = json.loads(request.body or b"{}", parse_float=Decimal)
    except ValueError:
        raise _invalid("Felaktig JSON i anropet.") from None
    if not isinstance(body, dict) or not isinstance(body.get(envelope), dict):
        raise _invalid(f'Anropet ska vara ett objekt {{"{envelope}": {{...}}}}.')
    return body[envelope]


# parameters every list takes; others are resource-specific (at most one search among them)
GLOBAL_PARAMS = {"limit", "page", "offset", "sortby", "sortorder", "lastmodified"}


def _search(request, allowed: set[str], *, extra: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """The one resource-specific search parameter of a list request, if any.

    `extra`: the resource's non-search parameters (filter, fromdate, todate, financialyear).
    """
    specific = [name for name in request.GET if name not in GLOBAL_PARAMS and name not in extra]
    for name in specific:
        if name not in allowed:
            raise _invalid(f"Ogiltig parameter: {name}.", 2000588)
    if len(specific) > 1:
        raise _invalid(f"Ogiltigt filter: endast en sökparameter åt gången ({', '.join(specific)}).", 2000587)
    return (specific[0], request.GET[specific[0]]) if specific else None


def _lastmodified(request, rows):
    value = request.GET.get("lastmodified")
    if not value:
        return rows
    text = value.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise _invalid(f"Ogiltigt filter: lastmodified '{value}' (YYYY-MM-DD HH:MM).", 2000587)
    return rows.filter(data___modified__gte=moment.strftime("%Y-%m-%d %H:%M:%S"))


def _paging(request) -> tuple[int, int]:
    try:
        page = int(request.GET.get("page") or 1)
        limit = int(request.GET.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        raise _invalid("Ogiltig parameter: page och limit ska vara heltal.") from None
    if page < 1 or not 1 <= limit <= MAX_LIMIT:
        raise _invalid(f"Ogiltig parameter: page ska vara minst 1 och limit mellan 1 och {MAX_LIMIT}.")
    return page, limit


def _listing(
    request,
    plural: str,
    items: list[dict],
    shape: Callable[[dict], dict],
    sort_keys: dict[str, Callable[[dict], object]] | None = None,
) -> JsonResponse:
    """One page of a list: `sortby` (one of sort_keys) and `sortorder` (ascending|descending) first, then
    `offset` records skipped, then `page`/`limit`. Items come in the resource's default order."""
    page, limit = _paging(request)
    sortby, order = request.GET.get("sortby"), request.GET.get("sortorder", "ascending")
    if order not in ("ascending", "descending"):
        raise _invalid(f"Ogiltig parameter: sortorder '{order}' (ascending eller descending).")
    if sortby:
        if sortby not in (sort_keys or {}):
            raise _invalid(f"Ogiltig parameter: sortby '{sortby}' ({', '.join(sort_keys or {}) or 'ingen sortering'}).")
        items = sorted(items, key=sort_keys[sortby])
    if order == "descending":
        items = list(reversed(items))
    try:
        offset = int(request.GET.get("offset") or 0)
    except ValueError:
        raise _invalid("Ogiltig parameter: offset ska vara ett heltal.") from None
    if offset < 0:
        raise _invalid("Ogiltig parameter: offset får inte vara negativ.")
    items = items[offset:]
    total = len(items)
    meta = {"@TotalResources": total, "@TotalPages": max(1, math.ceil(total / limit)), "@CurrentPage": page}
    return JsonResponse({"MetaInformation": meta, plural: [shape(i) for i in items[(page - 1) * limit : page * limit]]})


def _base(request) -> str:
    """The API's root URL as the client called it (…/sandbox/fortnox)."""
    full = request.path
    for marker in ("/3/", "/api/"):
        if marker in full:
            return request.build_absolute_uri(full[: full.index(marker)])
    return request.build_absolute_uri("/")


# --------------------------------------------------------------------------- views
def endpoint(scope: str, *, get=None, post=None, put=None, warehouse: bool = False):
    """A view of the emulated API: faults, bearer auth, rate limit, scope and licence, method dispatch, errors."""
    handlers = {"GET": get, "POST": post, "PUT": put}

    def view(request, **kwargs):
        try:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            grant = token_validate(header[7:].strip()) if header.startswith("Bearer ") else None
            if grant is None:
                raise ApiError(401, "unauthorized")
            if not _rate_take(grant["tenant_id"]):
                return JsonResponse({"message": "Too Many Requests"}, status=429)
            handler = handlers.get(request.method)
            if handler is None:
                raise ApiError(405, f"Metoden {request.method} stöds inte här.", 2000588, warehouse=warehouse)
            if scope not in str(grant.get("scope", "")).split():
                raise ApiError(403, f"Har inte behörighet för scope ({scope}).", 2000663, warehouse=warehouse)
            if scope not in company()["licences"]:
                raise ApiError(
                    403, f"Det finns ingen aktiv licens för önskat scope ({scope}).", 2001101, warehouse=warehouse
                )
            if request.method == "GET":
                return handler(request, **kwargs)
            with _atomic():
                return handler(request, **kwargs)
        except ApiError as exc:
            if warehouse:
                exc.warehouse = True
            return exc.response()

    view.__name__ = f"fortnox_{(get or post or put).__name__}"
    return _without_retry_after(sandbox_endpoint(SYSTEM, _fault_body)(view))


def _without_retry_after(view):
    """Fortnox sends no Retry-After with a 429: neither does an injected one."""

    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 429 and "Retry-After" in response:
            del response["Retry-After"]
        return response

    wrapper.__name__ = view.__name__
    wrapper.csrf_exempt = True
    return wrapper


# -- company information -----------------------------------------------------------
def company_view(request):
    data = company()
    info = {
        "Address": "Sandboxgatan 1",
        "City": "Stockholm",
        "CompanyName": data["CompanyName"],
        "CountryCode": "SE",
        "DatabaseNumber": data["DatabaseNumber"],
        "OrganizationNumber": "556000-0042",
        "VisitAddress": "Sandboxgatan 1",
        "VisitCity": "Stockholm",
        "VisitCountryCode": "SE",
        "VisitZipCode": "111 22",
        "ZipCode": "111 22",
    }
    return JsonResponse({"CompanyInformation": info})


# -- accounts --------------------------------------------------------------------------
def account_put(number: int, description: str, *, vat_code: str = "", sru: int | None = None) -> dict:
    """Seed helper: an account of the chart of accounts."""
    return _put(
        ACCOUNT,
        number,
        {
            "Number": number,
            "Description": description,
            "Active": True,
            "BalanceBroughtForward": 0,
            "CostCenter": "",
            "CostCenterSettings": "ALLOWED",
            "Project": "",
            "ProjectSettings": "ALLOWED",
            "SRU": sru or 0,
            "VATCode": vat_code,
            "Year": today().year,
        },
    )


def _account_shape(request):
    base = _base(request)
    return lambda data: {"@url": f"{base}/3/accounts/{data['Number']}", **public(data)}


def accounts_view(request):
    search = _search(request, {"sru"})
    rows = _lastmodified(request, _rows(ACCOUNT))
    items = sorted(rows.values_list("data", flat=True), key=lambda a: a["Number"])
    if search:
        items = [a for a in items if str(a.get("SRU")) == search[1].strip()]
    return _listing(request, "Accounts", items, _account_shape(request), {"number": lambda a: a["Number"]})


def account_view(request, number: str):
    data = _get(ACCOUNT, number)
    if data is None:
        raise ApiError(404, f"Kontot {number} hittades inte.", 2001304)
    return JsonResponse({"Account": _account_shape(request)(data)})


# -- currencies, VAT rates, financial years (reference data) -------------------------
def currency_put(code: str, description: str, rate: Decimal, unit: int = 1) -> dict:
    return _put(CURRENCY, code, {"Code": code, "Description": description, "SellRate": num(rate), "Unit": unit})


def vat_rate_put(rate: Decimal) -> dict:
    return _put(VAT_RATE, rate_key(rate), {"rate": rate_key(rate)})


def financial_year_put(year_id: int, start: date, end: date) -> dict:
    return _put(FINANCIAL_YEAR, year_id, {"Id": year_id, "FromDate": start.isoformat(), "ToDate": end.isoformat()})


def _financial_year(day: str) -> dict:
    for year in store.obj_list(SYSTEM, FINANCIAL_YEAR):
        if year["FromDate"] <= day <= year["ToDate"]:
            return year
    raise _invalid(f"Det finns inget räkenskapsår för datumet {day}.", 2000786)


# --------------------------------------------------------------------------- the spec
SPEC_PATH = Path(__file__).with_name("spec") / "fortnox-v3.openapi.json"
# Refusals whose real codes the stored sources do not give: the sandbox's own codes.
BOOKED_LOCKED = 2009001
ALREADY_CREDITED = 2009002
PAYMENT_BEFORE_INVOICE = 2009003
CURRENCY_MISMATCH = 2009004
NOT_BOOKED = 2009005
CANCELLED = 2009006
ALREADY_BOOKED = 2009007
CUSTOMER_NOT_FOUND, INVOICE_NOT_FOUND, ARTICLE_NOT_FOUND = 2000433, 2000434, 2000428
CUSTOMER_NUMBER_USED = 2000637


@functools.cache
def _spec_schemas() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"]


def spec_properties(schema: str) -> dict:
    """The properties of a component schema of the official spec, e.g. "fortnox_InvoicePayload"."""
    return _spec_schemas()[schema]["properties"]


def _spec_check(schema: str, fields: dict, where: str = "") -> None:
    """Refuse fields the schema does not have, and values of the wrong type, length or enum."""
    props = spec_properties(schema)
    for key, value in fields.items():
        if key not in props:
            raise _invalid(f"{where}Ogiltig parameter: {key} (finns inte eller kan inte sättas).")
        if value is None:
            continue
        prop = props[key]
        kind = prop.get("type")
        if kind == "string":
            _text(value, where + key, prop.get("maxLength"))
            if value and len(value) < prop.get("minLength", 0):
                raise _invalid(f"{where}{key} ska vara minst {prop['minLength']} tecken lång.")
            if "enum" in prop and value not in prop["enum"]:
                raise _invalid(f"{where}{key} '{value}' är inte ett av {', '.join(prop['enum'])}.")
        elif kind in ("number", "integer"):
            _number(value, where + key)
        elif kind == "boolean" and not isinstance(value, bool):
            raise _invalid(f"{where}{key} ska vara true eller false.")
        elif kind == "array" and not isinstance(value, list):
            raise _invalid(f"{where}{key} ska vara en lista.")


def _url(request, resource: str, key) -> str:
    return f"{_base(request)}/3/{resource}/{key}"


def _numeric_order(number: str) -> tuple:
    return (0, int(number), "") if str(number).isdigit() else (1, 0, str(number))


def _search_filter(rows, search: tuple[str, str] | None, fields: dict[str, str]):
    """A substring (ILIKE) match of the search parameter on its field."""
    if search is None:
        return rows
    name, value = search
    if name not in fields:
        raise _invalid(f"Parametern {name} stöds inte av sandlådan.", 2000588)
    return rows.filter(**{f"data__{fields[name]}__icontains": value})


# -- customers ----------------------------------------------------------------------
CUSTOMER_SEARCH = {
    "customernumber": "CustomerNumber",
    "name": "Name",
    "zipcode": "ZipCode",
    "city": "City",
    "email": "Email",
    "phone": "Phone1",
    "organisationnumber": "OrganisationNumber",
    "gln": "GLN",
    "glndelivery": "GLNDelivery",
}


def _customer_apply(customer: dict, fields: dict) -> dict:
    _spec_check("fortnox_Customer", {k: v for k, v in fields.items() if k != "@url"})
    fields = {k: v for k, v in fields.items() if k != "@url"}
    if "Name" in fields and not str(fields["Name"] or "").strip():
        raise _invalid("Name måste anges.")
    code = fields.get("CountryCode")
    if code:
        if code.upper() not in COUNTRIES:
            raise _invalid(f"Landskoden '{code}' finns inte.")
        fields["CountryCode"] = code.upper()
        fields.setdefault("Country", COUNTRIES[code.upper()])
    if fields.get("SalesAccount"):
        _account(fields["SalesAccount"], "SalesAccount")
    if fields.get("Currency") and _get(CURRENCY, fields["Currency"]) is None:
        raise _invalid(f"Kunde inte hitta valuta {fields['Currency']}.")
    return {**customer, **fields}


def customer_create(fields: dict) -> dict:
    """Create a customer as POST /3/customers does (also used to seed); raises ApiError on bad input."""
    number = fields.get("CustomerNumber")
    if number:
        if _get(CUSTOMER, number) is not None or _get("reserved_customer_number", number) is not None:
            raise _invalid(f"Kundnummer {number} används redan eller är reserverat.", CUSTOMER_NUMBER_USED)
    else:
        number = str(store.counter_next(SYSTEM, "customer"))
        while _get(CUSTOMER, number) is not None or _get("reserved_customer_number", number) is not None:
            number = str(store.counter_next(SYSTEM, "customer"))
    if not str(fields.get("Name") or "").strip():
        raise _invalid("Name måste anges.")
    base = {
        "CustomerNumber": number,
        "Active": True,
        "Type": "COMPANY",
        "VATType": "SEVAT",
        "Currency": "SEK",
        "CountryCode": "SE",
        "Country": COUNTRIES["SE"],
        "Email": "",
        "Address1": "",
        "Address2": "",
        "ZipCode": "",
        "City": "",
        "Phone1": "",
        "OrganisationNumber": "",
        "VATNumber": "",
        "SalesAccount": None,
    }
    customer = _customer_apply(base, {**fields, "CustomerNumber": number})
    _put("reserved_customer_number", number, {"number": number})
    return _put(CUSTOMER, number, customer)


def _customer_shape(request):
    return lambda data: {"@url": _url(request, "customers", data["CustomerNumber"]), **public(data)}


def _customer_list_item(request):
    def shape(data: dict) -> dict:
        return {
            "@url": _url(request, "customers", data["CustomerNumber"]),
            "Address1": data.get("Address1", ""),
            "Address2": data.get("Address2", ""),
            "City": data.get("City", ""),
            "CustomerNumber": data["CustomerNumber"],
            "Email": data.get("Email", ""),
            "Name": data["Name"],
            "OrganisationNumber": data.get("OrganisationNumber", ""),
            "Phone": data.get("Phone1", ""),
            "ZipCode": data.get("ZipCode", ""),
        }

    return shape


def customers_view(request):
    if request.method == "POST":
        customer = customer_create(_body(request, "Customer"))
        return JsonResponse({"Customer": _customer_shape(request)(customer)}, status=201)
    search = _search(request, set(CUSTOMER_SEARCH), extra=frozenset({"filter"}))
    rows = _search_filter(_lastmodified(request, _rows(CUSTOMER)), search, CUSTOMER_SEARCH)
    items = sorted(rows.values_list("data", flat=True), key=lambda c: _numeric_order(c["CustomerNumber"]))
    state = request.GET.get("filter")
    if state in ("active", "inactive"):
        items = [c for c in items if c.get("Active", True) == (state == "active")]
    sort_keys = {"customernumber": lambda c: _numeric_order(c["CustomerNumber"]), "name": lambda c: c["Name"].lower()}
    return _listing(request, "Customers", items, _customer_list_item(request), sort_keys)


def customer_view(request, number: str):
    customer = _get(CUSTOMER, number)
    if customer is None:
        raise ApiError(404, f"Kunde inte hitta kund {number}.", CUSTOMER_NOT_FOUND)
    if request.method == "PUT":
        fields = _body(request, "Customer")
        if fields.get("CustomerNumber") not in (None, number):
            raise _invalid("CustomerNumber kan inte ändras.")
        customer = _put(CUSTOMER, number, _customer_apply(customer, fields))
    return JsonResponse({"Customer": _customer_shape(request)(customer)})


# -- articles and stock ----------------------------------------------------------------
ARTICLE_SEARCH = {
    "articlenumber": "ArticleNumber",
    "description": "Description",
    "ean": "EAN",
    "suppliernumber": "SupplierNumber",
    "manufacturer": "Manufacturer",
    "manufacturerarticlenumber": "ManufacturerArticleNumber",
}


def article_put(
    number: str,
    description: str,
    *,
    price: Decimal,
    vat: Decimal = Decimal(25),
    stock_goods: bool = True,
    ean: str = "",
    unit: str = "st",
    sales_account: int | None = None,
) -> dict:
    """Seed helper: an article (its stock comes from stock_set)."""
    existing = _get(ARTICLE, number) or {}
    data = {
        **existing,
        "ArticleNumber": number,
        "Description": description,
        "Active": True,
        "EAN": ean,
        "SalesPrice": num(q2(price)),
        "PurchasePrice": 0,
        "VAT": num(vat),
        "Unit": unit,
        "StockGoods": stock_goods,
        "Type": "STOCK" if stock_goods else "SERVICE",
        "SalesAccount": sales_account,
        "WebshopArticle": True,
        "Expired": False,
        "QuantityInStock": existing.get("QuantityInStock", 0),
        "ReservedQuantity": existing.get("ReservedQuantity", 0),
        "DisposableQuantity": existing.get("DisposableQuantity", 0),
        "StockValue": 0,
        "StockPlace": "",
    }
    return _put(ARTICLE, number, data)


def stock_set(article: str, stock_point: str, in_stock: Decimal, reserved: Decimal = Decimal(0)) -> dict:
    """Set an article's balance at a stock point (warehouse module); the article's totals follow (2 decimals)."""
    data = _get(ARTICLE, article)
    if data is None:
        raise KeyError(f"No article {article} in the Fortnox sandbox.")
    _put(
        STOCK,
        f"{article}|{stock_point}",
        {
            "itemId": article,
            "stockPointCode": stock_point,
            "inStock": num(q2(in_stock)),
            "reserved": num(q2(reserved)),
        },
    )
    points = [s for s in store.obj_list(SYSTEM, STOCK) if s["itemId"] == article]
    total = q2(sum((dec(s["inStock"]) for s in points), Decimal(0)))
    held = q2(sum((dec(s["reserved"]) for s in points), Decimal(0)))
    return _put(
        ARTICLE,
        article,
        {
            **data,
            "QuantityInStock": num(total),
            "ReservedQuantity": num(held),
            "DisposableQuantity": num(total - held),
        },
    )


def _article_shape(request):
    return lambda data: {"@url": _url(request, "articles", data["ArticleNumber"]), **public(data)}


def _article_list_item(request):
    def shape(data: dict) -> dict:
        # The list's numbers come as strings where the spec says so (type drift of the real API).
        return {
            "@url": _url(request, "articles", data["ArticleNumber"]),
            "ArticleNumber": data["ArticleNumber"],
            "Description": data["Description"],
            "DisposableQuantity": str(data["DisposableQuantity"]),
            "EAN": data.get("EAN", ""),
            "Housework": False,
            "PurchasePrice": str(data.get("PurchasePrice", 0)),
            "QuantityInStock": data["QuantityInStock"],
            "ReservedQuantity": str(data["ReservedQuantity"]),
            "SalesPrice": str(data["SalesPrice"]),
            "StockPlace": data.get("StockPlace", ""),
            "StockValue": str(data.get("StockValue", 0)),
            "Unit": data.get("Unit", ""),
            "VAT": str(data["VAT"]),
            "WebshopArticle": data.get("WebshopArticle", True),
        }

    return shape


def articles_view(request):
    search = _search(request, set(ARTICLE_SEARCH) | {"webshop"}, extra=frozenset({"filter"}))
    if search and search[0] == "webshop":
        rows = _lastmodified(request, _rows(ARTICLE)).filter(data__WebshopArticle=search[1].lower() == "true")
    else:
        rows = _search_filter(_lastmodified(request, _rows(ARTICLE)), search, ARTICLE_SEARCH)
    items = sorted(rows.values_list("data", flat=True), key=lambda a: a["ArticleNumber"])
    state = request.GET.get("filter")
    if state in ("active", "inactive"):
        items = [a for a in items if a.get("Active", True) == (state == "active")]
    sort_keys = {
        "articlenumber": lambda a: a["ArticleNumber"],
        "quantityinstock": lambda a: dec(a["QuantityInStock"]),
        "reservedquantity": lambda a: dec(a["ReservedQuantity"]),
        "stockvalue": lambda a: dec(a.get("StockValue")),
    }
    return _listing(request, "Articles", items, _article_list_item(request), sort_keys)


def article_view(request, number: str):
    data = _get(ARTICLE, number)
    if data is None:
        raise ApiError(404, f"Kunde inte hitta artikel {number}.", ARTICLE_NOT_FOUND)
    return JsonResponse({"Article": _article_shape(request)(data)})


def _warehouse_licence() -> None:
    """A company without the warehouse module (Fortnox Lager) has no licence for the scope "warehouse":
    Fortnox answers its licence error (code 2001101), as for any scope not licensed."""
    if not company()["warehouse"]:
        raise ApiError(403, "Det finns ingen aktiv licens för önskat scope (warehouse).", 2001101)


def stock_points_view(request):
    """The stock points that hold balances (stock_set makes them), as spec warehouse_StockPoint; active only."""
    _warehouse_licence()
    codes = sorted({row["stockPointCode"] for row in store.obj_list(SYSTEM, STOCK)})
    q = (request.GET.get("q") or "").lower()
    return JsonResponse(
        [
            {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fortnox-stock-point:{code}")), "code": code, "name": code,
             "active": True, "usingCompanyAddress": True, "stockLocations": []}
            for code in codes
            if q in code.lower()
        ],
        safe=False,
    )  # fmt: skip


def stock_balance_view(request):
    _warehouse_licence()
    items = {v for raw in request.GET.getlist("itemIds") for v in raw.split(",") if v}
    points = {v for raw in request.GET.getlist("stockPointCodes") for v in raw.split(",") if v}
    answer = []
    for row in store.obj_list(SYSTEM, STOCK):
        if (items and row["itemId"] not in items) or (points and row["stockPointCode"] not in points):
            continue
        available = num(q2(dec(row["inStock"]) - dec(row["reserved"])))
        answer.append(
            {
                "itemId": row["itemId"],
                "stockPointCode": row["stockPointCode"],
                "availableStock": available,
                "inStock": row["inStock"],
            }
        )
    return JsonResponse(answer, safe=False)


# -- invoices -------------------------------------------------------------------------
INVOICE_SEARCH = {
    "externalinvoicereference1": "ExternalInvoiceReference1",
    "externalinvoicereference2": "ExternalInvoiceReference2",
    "customernumber": "CustomerNumber",
    "customername": "CustomerName",
    "documentnumber": "DocumentNumber",
    "ocr": "OCR",
    "yourreference": "YourReference",
    "ourreference": "OurReference",
    "yourordernumber": "YourOrderNumber",
    "currency": "Currency",
    "invoicetype": "InvoiceType",
    "project": "Project",
    "costcenter": "CostCenter",
}
INVOICE_FLAGS = {"credit": "Credit", "sent": "Sent", "notcompleted": "NotCompleted"}
# customer fields an invoice copies when created
CUSTOMER_COPY = {
    "CustomerName": "Name",
    "Address1": "Address1",
    "Address2": "Address2",
    "ZipCode": "ZipCode",
    "City": "City",
    "Country": "Country",
    "Currency": "Currency",
    "OrganisationNumber": "OrganisationNumber",
    "Phone1": "Phone1",
}


def invoice_vat_by_rate(invoice: dict) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """{VAT rate (percent): (net, VAT)} of an invoice's rows, VAT = round(net × rate / 100, 2) half up per rate.

    Freight and administration fee are not included (FreightVAT / AdministrationFeeVAT carry theirs).
    """
    nets: dict[Decimal, Decimal] = {}
    for row in invoice.get("InvoiceRows", []):
        rate = dec(row["VAT"])
        nets[rate] = nets.get(rate, Decimal(0)) + dec(row["Total"])
    return {rate: (net, q2(net * rate / 100)) for rate, net in sorted(nets.items())}


def rate_key(rate: Decimal) -> str:
    """A VAT rate as the key of the company's VAT rate table: "25", "25.5", "0"."""
    return format(rate.normalize(), "f")


def _row(
    raw,
    index: int,
    vat_type: str,
    customer_account: int | None,
    *,
    rows: str = "InvoiceRows",
    schema: str = "fortnox_InvoicePayload_InvoiceRow",
) -> dict:
    """One invoice (or order: `rows` "OrderRows", its `schema`) row as stored: sent values checked and rounded,
    defaults from the customer and the article.

    AccountNumber when not sent: the customer's SalesAccount, else the article's, else the predefined
    account of the customer's VAT type (SALES_ACCOUNTS).
    """
    where = f"{rows}[{index}]."
    if not isinstance(raw, dict):
        raise _invalid(f"{where[:-1]} ska vara ett objekt.")
    _spec_check(schema, raw, where)
    row = raw
    article = None
    if row.get("ArticleNumber"):
        article = _get(ARTICLE, row["ArticleNumber"])
        if article is None:
            raise _invalid(f"{where}ArticleNumber: Kunde inte hitta artikel {row['ArticleNumber']}.", ARTICLE_NOT_FOUND)
    quantity = q2(_number(row.get("DeliveredQuantity") or 0, where + "DeliveredQuantity"))
    price = row.get("Price")
    price = (
        q2(_number(price, where + "Price")) if price is not None else q2(dec(article["SalesPrice"]) if article else 0)
    )
    rate = row.get("VAT")
    rate = _number(rate, where + "VAT") if rate is not None else (dec(article["VAT"]) if article else Decimal(25))
    if vat_type in ZERO_VAT_TYPES:
        rate = Decimal(0)
    if _get(VAT_RATE, rate_key(rate)) is None:
        raise _invalid(f"{where}VAT: Kunde inte hitta moms {rate} %. Lägg upp momssatsen i Fortnox först.", 2000588)
    gross = q2(price * quantity)
    discount = q2(_number(row.get("Discount") or 0, where + "Discount"))
    discount_type = row.get("DiscountType") or "PERCENT"
    cut = discount if discount_type == "AMOUNT" else q2(price * quantity * discount / 100)
    total = gross - cut
    if row.get("AccountNumber") is not None:
        account = _account(row["AccountNumber"], where + "AccountNumber")
    else:
        default = customer_account or (article or {}).get("SalesAccount") or SALES_ACCOUNTS.get(vat_type, 3001)
        if isinstance(default, dict):
            default = default.get(int(rate), 3001) if rate == rate.to_integral_value() else 3001
        account = _account(default, where + "AccountNumber (förval)")
    return {
        "RowId": row.get("RowId") or index + 1,
        "ArticleNumber": row.get("ArticleNumber") or "",
        "Description": row.get("Description") or (article["Description"] if article else ""),
        "DeliveredQuantity": f"{quantity:.2f}",
        "Price": num(price),
        "PriceExcludingVAT": num(price),
        "Discount": num(discount),
        "DiscountType": discount_type,
        "Total": num(total),
        "TotalExcludingVAT": num(total),
        "VAT": num(rate),
        "AccountNumber": account,
        "Unit": row.get("Unit") or (article["Unit"] if article else ""),
        "CostCenter": row.get("CostCenter") or "",
        "Project": row.get("Project") or "",
        "HouseWork": False,
        "ContributionPercent": "0",
        "ContributionValue": "0",
    }


def _totals(invoice: dict) -> dict:
    """Recompute the invoice's totals from its rows (the rule in the module docstring)."""
    by_rate = invoice_vat_by_rate(invoice)
    net = sum((n for n, _v in by_rate.values()), Decimal(0))
    row_vat = sum((v for _n, v in by_rate.values()), Decimal(0))
    top = max(by_rate, default=Decimal(0))
    freight = q2(dec(invoice.get("Freight")))
    fee = q2(dec(invoice.get("AdministrationFee")))
    freight_vat, fee_vat = q2(freight * top / 100), q2(fee * top / 100)
    gross = net + freight + fee
    vat = row_vat + freight_vat + fee_vat
    round_off = Decimal(0)
    if company()["round_off"] and invoice.get("Currency") == "SEK":
        round_off = (gross + vat).quantize(Decimal(1), rounding=ROUND_HALF_UP) - (gross + vat)
    total = gross + vat + round_off
    settled = dec(invoice.get("_settled"))
    return {
        **invoice,
        "Net": num(net),
        "Gross": num(gross),
        "Freight": num(freight),
        "FreightVAT": num(freight_vat),
        "AdministrationFee": num(fee),
        "AdministrationFeeVAT": num(fee_vat),
        "TotalVAT": num(vat),
        "RoundOff": num(round_off),
        "Total": num(total),
        "TotalToPay": num(total),
        "Balance": num(total - settled),
    }


def _invoice_apply(invoice: dict, fields: dict) -> dict:
    """Apply an InvoicePayload to a stored (or new) invoice; validates and recomputes."""
    _spec_check("fortnox_InvoicePayload", fields)
    if fields.get("VATIncluded"):
        raise _invalid("VATIncluded: true stöds inte av sandlådan (priser anges exklusive moms).")
    rows = fields.get("InvoiceRows")
    simple = {k: v for k, v in fields.items() if k not in ("InvoiceRows", "CreditInvoiceReference", "DocumentNumber")}
    result = {**invoice, **simple}
    customer = _get(CUSTOMER, result.get("CustomerNumber") or "")
    if customer is None:
        raise _invalid(f"Kunde inte hitta kund {result.get('CustomerNumber')}.", CUSTOMER_NOT_FOUND)
    if "CustomerNumber" in fields:
        for target, source in CUSTOMER_COPY.items():
            if target not in fields:
                result[target] = customer.get(source, "")
        result["_vat_type"] = customer.get("VATType", "SEVAT")
        result["_sales_account"] = int(customer["SalesAccount"]) if customer.get("SalesAccount") else None
    currency = _get(CURRENCY, result.get("Currency") or "SEK")
    if currency is None:
        raise _invalid(f"Kunde inte hitta valuta {result.get('Currency')}.")
    result["Currency"] = currency["Code"]
    if "Currency" in fields and "CurrencyRate" not in fields:
        result["CurrencyRate"] = currency["SellRate"]
    result["CurrencyRate"] = num(_number(result.get("CurrencyRate") or currency["SellRate"], "CurrencyRate"))
    result["CurrencyUnit"] = int(result.get("CurrencyUnit") or currency["Unit"])
    result["InvoiceDate"] = _day(result.get("InvoiceDate") or today().isoformat(), "InvoiceDate")
    _financial_year(result["InvoiceDate"])
    terms = str(result.get("TermsOfPayment") or "30")
    days = int(terms) if terms.isdigit() else 30
    if not fields.get("DueDate") and not invoice.get("DueDate"):
        result["DueDate"] = (date.fromisoformat(result["InvoiceDate"]) + timedelta(days=days)).isoformat()
    result["DueDate"] = _day(result["DueDate"], "DueDate")
    if rows is not None:
        if len(rows) > MAX_ROWS:
            raise _invalid(f"En faktura får ha högst {MAX_ROWS} rader (har {len(rows)}).")
        vat_type = result.get("_vat_type", "SEVAT")
        account = result.get("_sales_account")
        result["InvoiceRows"] = [_row(raw, index, vat_type, account) for index, raw in enumerate(rows)]
    return _totals(result)


def _invoice_new(number: str) -> dict:
    return {
        "DocumentNumber": number,
        "InvoiceType": "INVOICE",
        "OCR": number,
        "Booked": False,
        "Cancelled": False,
        "Sent": False,
        "NotCompleted": False,
        "Credit": "false",
        "CreditInvoiceReference": "0",
        "InvoiceReference": "0",
        "FinalPayDate": None,
        "VATIncluded": False,
        "ExternalInvoiceReference1": "",
        "ExternalInvoiceReference2": "",
        "YourOrderNumber": "",
        "Remarks": "",
        "InvoiceRows": [],
        "VoucherNumber": None,
        "VoucherSeries": None,
        "VoucherYear": None,
        "_settled": "0",
    }


def _invoice_must(number: str) -> dict:
    invoice = _get(INVOICE, number)
    if invoice is None:
        raise ApiError(404, f"Kunde inte hitta faktura {number}.", INVOICE_NOT_FOUND)
    return invoice


def _invoice_shape(request):
    def shape(data: dict) -> dict:
        return {
            "@url": _url(request, "invoices", data["DocumentNumber"]),
            "@urlTaxReductionList": f"{_base(request)}/3/taxreductions?filter=invoices&referencenumber="
            f"{data['DocumentNumber']}",
            **public(data),
        }

    return shape


def _invoice_list_item(request):
    keys = [k for k in spec_properties("fortnox_InvoiceListItem") if k != "@url"]

    def shape(data: dict) -> dict:
        item = {"@url": _url(request, "invoices", data["DocumentNumber"])}
        item.update({k: data.get(k) for k in keys})
        item["CurrencyRate"] = str(data["CurrencyRate"])  # a string in list rows (type drift of the real API)
        return item

    return shape


def _settle(invoice: dict, amount: Decimal) -> dict:
    """Reduce an invoice's Balance by `amount` (payments, write-offs, credits applied)."""
    settled = dec(invoice.get("_settled")) + amount
    return {**invoice, "_settled": str(settled), "Balance": num(dec(invoice["Total"]) - settled)}


def _credit_link(credit: dict, original: dict) -> tuple[dict, dict]:
    """Make `credit` a credit invoice of `original`: references, and the credit applied to the original's Balance."""
    if dec(credit["Total"]) > 0:
        raise _invalid("En kreditfaktura ska ha ett negativt belopp (negativa rader).")
    applied = min(-dec(credit["Total"]), max(dec(original["Balance"]), Decimal(0)))
    credit = _settle(
        {
            **credit,
            "Credit": "true",
            "CreditInvoiceReference": original["DocumentNumber"],
            "InvoiceReference": original["DocumentNumber"],
        },
        -applied,
    )
    original = _settle(original, applied)
    if original.get("CreditInvoiceReference") in (None, "", "0"):
        original["CreditInvoiceReference"] = credit["DocumentNumber"]
    return credit, original


def _original_for_credit(number: str) -> dict:
    original = _get(INVOICE, number)
    if original is None:
        raise _invalid(f"CreditInvoiceReference: Kunde inte hitta faktura {number}.", INVOICE_NOT_FOUND)
    if original["Credit"] == "true":
        raise _invalid(f"Faktura {number} är en kreditfaktura och kan inte krediteras.", ALREADY_CREDITED)
    if original["Cancelled"]:
        raise _invalid(f"Faktura {number} är makulerad.", CANCELLED)
    if original.get("_credited_in_full"):
        raise _invalid(
            f"Faktura {number} är redan krediterad i sin helhet (kreditfaktura {original['CreditInvoiceReference']}).",
            ALREADY_CREDITED,
        )
    return original


def invoices_view(request):
    if request.method == "POST":
        fields = _body(request, "Invoice")
        reference = str(fields.get("CreditInvoiceReference") or "0")
        original = _original_for_credit(reference) if reference != "0" else None
        number = str(store.counter_next(SYSTEM, "invoice"))
        invoice = _invoice_apply(_invoice_new(number), fields)
        if original is not None:
            invoice, original = _credit_link(invoice, original)
            _put(INVOICE, original["DocumentNumber"], original)
        elif dec(invoice["Total"]) < 0:
            invoice["Credit"] = "true"
        _put(INVOICE, number, invoice)
        return JsonResponse({"Invoice": _invoice_shape(request)(invoice)}, status=201)
    search = _search(
        request,
        set(INVOICE_SEARCH) | set(INVOICE_FLAGS),
        extra=frozenset({"filter", "fromdate", "todate", "financialyear"}),
    )
    rows = _lastmodified(request, _rows(INVOICE))
    if search and search[0] in INVOICE_FLAGS:
        name, value = search
        wanted = value.lower() == "true"
        field = INVOICE_FLAGS[name]
        items = [i for i in rows.values_list("data", flat=True) if (str(i.get(field)).lower() == "true") == wanted]
    else:
        items = list(_search_filter(rows, search, INVOICE_SEARCH).values_list("data", flat=True))
    if request.GET.get("fromdate"):
        items = [i for i in items if i["InvoiceDate"] >= _day(request.GET["fromdate"], "fromdate")]
    if request.GET.get("todate"):
        items = [i for i in items if i["InvoiceDate"] <= _day(request.GET["todate"], "todate")]
    if request.GET.get("financialyear"):
        year = _get(FINANCIAL_YEAR, request.GET["financialyear"])
        if year is None:
            raise _invalid(f"Ogiltig parameter: räkenskapsår {request.GET['financialyear']} finns inte.")
        items = [i for i in items if year["FromDate"] <= i["InvoiceDate"] <= year["ToDate"]]
    state = request.GET.get("filter")
    if state:
        tests = {
            "cancelled": lambda i: i["Cancelled"],
            "fullypaid": lambda i: not i["Cancelled"] and bool(i.get("FinalPayDate")),
            "unpaid": lambda i: not i["Cancelled"] and dec(i["Balance"]) != 0,
            "unpaidoverdue": lambda i: (
                not i["Cancelled"] and dec(i["Balance"]) != 0 and i["DueDate"] < today().isoformat()
            ),
            "unbooked": lambda i: not i["Cancelled"] and not i["Booked"],
        }
        if state not in tests:
            raise _invalid(f"Ogiltigt filter: {state}.", 2000587)
        items = [i for i in items if tests[state](i)]
    items.sort(key=lambda i: int(i["DocumentNumber"]))
    sort_keys = {
        "customername": lambda i: str(i.get("CustomerName") or "").lower(),
        "customernumber": lambda i: _numeric_order(i["CustomerNumber"]),
        "documentnumber": lambda i: int(i["DocumentNumber"]),
        "invoicedate": lambda i: i["InvoiceDate"],
        "ocr": lambda i: i["OCR"],
        "total": lambda i: dec(i["Total"]),
    }
    return _listing(request, "Invoices", items, _invoice_list_item(request), sort_keys)


def invoice_view(request, number: str):
    invoice = _invoice_must(number)
    if request.method == "PUT":
        if invoice["Booked"]:
            raise _invalid(f"Faktura {number} är bokförd och kan inte ändras.", BOOKED_LOCKED)
        if invoice["Cancelled"]:
            raise _invalid(f"Faktura {number} är makulerad och kan inte ändras.", CANCELLED)
        fields = _body(request, "Invoice")
        if (
            str(fields.get("CreditInvoiceReference") or invoice["CreditInvoiceReference"])
            != invoice["CreditInvoiceReference"]
        ):
            raise _invalid("CreditInvoiceReference kan inte ändras.")
        invoice = _put(INVOICE, number, _invoice_apply(invoice, fields))
    return JsonResponse({"Invoice": _invoice_shape(request)(invoice)})


def credit_view(request, number: str):
    original = _invoice_must(number)
    if original["Credit"] == "true":
        raise _invalid(f"Faktura {number} är en kreditfaktura och kan inte krediteras.", ALREADY_CREDITED)
    if original["Cancelled"]:
        raise _invalid(f"Faktura {number} är makulerad.", CANCELLED)
    if not original["Booked"]:
        raise _invalid(f"Faktura {number} måste vara bokförd för att kunna krediteras.", NOT_BOOKED)
    if original.get("CreditInvoiceReference") not in (None, "", "0"):
        raise _invalid(
            f"Faktura {number} är redan krediterad (kreditfaktura {original['CreditInvoiceReference']}).",
            ALREADY_CREDITED,
        )
    credit_number = str(store.counter_next(SYSTEM, "invoice"))
    copied = {k: v for k, v in public(original).items() if k in spec_properties("fortnox_InvoicePayload")}
    copied.pop("DocumentNumber", None)
    copied.pop("CreditInvoiceReference", None)
    copied.pop("OCR", None)
    rows = []
    for row in original["InvoiceRows"]:
        rows.append(
            {
                k: row[k]
                for k in (
                    "ArticleNumber",
                    "Description",
                    "Price",
                    "VAT",
                    "AccountNumber",
                    "Unit",
                    "Discount",
                    "DiscountType",
                )
                if row.get(k) not in (None, "")
            }
            | {"DeliveredQuantity": f"{-dec(row['DeliveredQuantity']):.2f}"}
        )
    copied.update(
        InvoiceRows=rows,
        InvoiceDate=max(today().isoformat(), original["InvoiceDate"]),
        DueDate=None,
        Freight=-dec(original.get("Freight")),
        AdministrationFee=-dec(original.get("AdministrationFee")),
    )
    copied = {k: v for k, v in copied.items() if v is not None}
    credit = _invoice_apply(_invoice_new(credit_number), copied)
    credit, original = _credit_link(credit, original)
    original["_credited_in_full"] = True
    _put(INVOICE, credit_number, credit)
    original = _put(INVOICE, number, original)
    return JsonResponse({"Invoice": _invoice_shape(request)(original)})


def invoice_action_view(request, number: str, action: str):
    invoice = _invoice_must(number)
    if invoice["Cancelled"]:
        raise _invalid(f"Faktura {number} är makulerad.", CANCELLED)
    if invoice["Booked"]:
        raise _invalid(f"Faktura {number} är redan bokförd.", ALREADY_BOOKED if action == "bookkeep" else BOOKED_LOCKED)
    if action == "cancel":
        invoice = {**invoice, "Cancelled": True}
    else:
        invoice = {**invoice, **_invoice_voucher(invoice), "Booked": True}
    invoice = _put(INVOICE, number, invoice)
    return JsonResponse({"Invoice": _invoice_shape(request)(invoice)})


# -- orders -----------------------------------------------------------------------------
# POST /3/orders creates an order (201) from fortnox_Order fields (read-only totals, DocumentNumber and the
# like refused); rows are checked as invoice rows (fortnox_Order_OrderRow: VAT a double, so 25.5 % is fine
# where the company has the rate), totalled from DeliveredQuantity (OrderedQuantity when it is not sent) and
# by the invoice rules (_totals). Orders are not booked: no voucher. GET /3/orders lists them
# (fortnox_OrderListItem; externalinvoicereference1 and the other searches are substring matches, `filter`
# cancelled|invoicecreated|invoicenotcreated|expired), GET /3/orders/{n} reads one.
ORDER = "order"
ORDER_NOT_FOUND = 2000434  # ASSUMPTION: the invoice's "not found" code (the spec names none)
ORDER_SEARCH = {
    "externalinvoicereference1": "ExternalInvoiceReference1",
    "externalinvoicereference2": "ExternalInvoiceReference2",
    "customernumber": "CustomerNumber",
    "customername": "CustomerName",
    "documentnumber": "DocumentNumber",
    "yourreference": "YourReference",
    "ourreference": "OurReference",
    "label": "Label",
    "costcenter": "CostCenter",
    "project": "Project",
    "ordertype": "OrderType",
}
ORDER_READ_ONLY = {
    "@url", "@urlTaxReductionList", "DocumentNumber", "Cancelled", "Sent", "InvoiceReference", "Net", "Gross",
    "Total", "TotalVAT", "TotalToPay", "RoundOff", "FreightVAT", "AdministrationFeeVAT", "ContributionPercent",
    "ContributionValue", "BasisTaxReduction", "TaxReduction", "WarehouseReady", "OfferReference",
}  # fmt: skip


def _order_create(fields: dict, number: str) -> dict:
    _spec_check("fortnox_Order", fields)
    refused = sorted(set(fields) & ORDER_READ_ONLY)
    if refused:
        raise _invalid(f"Ogiltig parameter: {refused[0]} (kan inte sättas).")
    if fields.get("VATIncluded"):
        raise _invalid("VATIncluded: true stöds inte av sandlådan (priser anges exklusive moms).")
    customer = _get(CUSTOMER, fields.get("CustomerNumber") or "")
    if customer is None:
        raise _invalid(f"Kunde inte hitta kund {fields.get('CustomerNumber')}.", CUSTOMER_NOT_FOUND)
    currency = _get(CURRENCY, fields.get("Currency") or "SEK")
    if currency is None:
        raise _invalid(f"Kunde inte hitta valuta {fields.get('Currency')}.")
    rows = fields.get("OrderRows") or []
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise _invalid(f"En order får ha högst {MAX_ROWS} rader.")
    vat_type = customer.get("VATType", "SEVAT")
    account = int(customer["SalesAccount"]) if customer.get("SalesAccount") else None
    stored_rows = []
    for index, raw in enumerate(rows):
        sent = dict(raw) if isinstance(raw, dict) else raw
        if isinstance(sent, dict) and sent.get("DeliveredQuantity") is None:
            sent["DeliveredQuantity"] = sent.get("OrderedQuantity")
        stored = _row(sent, index, vat_type, account, rows="OrderRows", schema="fortnox_Order_OrderRow")
        stored["OrderedQuantity"] = (
            f"{q2(_number(sent.get('OrderedQuantity') or stored['DeliveredQuantity'], 'OrderedQuantity')):.2f}"
        )
        stored_rows.append({k: v for k, v in stored.items() if k in spec_properties("fortnox_Order_OrderRow")})
    order = {
        **{target: customer.get(source, "") for target, source in CUSTOMER_COPY.items()},
        **fields,
        "DocumentNumber": number,
        "Cancelled": False,
        "Sent": False,
        "NotCompleted": False,
        "InvoiceReference": "0",
        "Currency": currency["Code"],
        "CurrencyRate": num(_number(fields.get("CurrencyRate") or currency["SellRate"], "CurrencyRate")),
        "CurrencyUnit": int(fields.get("CurrencyUnit") or currency["Unit"]),
        "OrderDate": _day(fields.get("OrderDate") or today().isoformat(), "OrderDate"),
        "ExternalInvoiceReference1": fields.get("ExternalInvoiceReference1") or "",
        "ExternalInvoiceReference2": fields.get("ExternalInvoiceReference2") or "",
        "VATIncluded": False,
        "InvoiceRows": stored_rows,
    }
    totals = _totals(order)
    totals["OrderRows"] = totals.pop("InvoiceRows")
    return {k: v for k, v in totals.items() if k in spec_properties("fortnox_Order") or k.startswith("_")}


def _order_shape(request):
    def shape(data: dict) -> dict:
        return {"@url": _url(request, "orders", data["DocumentNumber"]), **public(data)}

    return shape


def _order_list_item(request):
    keys = [k for k in spec_properties("fortnox_OrderListItem") if k != "@url"]

    def shape(data: dict) -> dict:
        return {"@url": _url(request, "orders", data["DocumentNumber"]), **{k: data.get(k) for k in keys}}

    return shape


def orders_view(request):
    if request.method == "POST":
        number = str(store.counter_next(SYSTEM, ORDER))
        order = _put(ORDER, number, _order_create(_body(request, "Order"), number))
        return JsonResponse({"Order": _order_shape(request)(order)}, status=201)
    search = _search(request, set(ORDER_SEARCH), extra=frozenset({"filter", "fromdate", "todate"}))
    items = list(
        _search_filter(_lastmodified(request, _rows(ORDER)), search, ORDER_SEARCH).values_list("data", flat=True)
    )
    if request.GET.get("fromdate"):
        items = [i for i in items if i["OrderDate"] >= _day(request.GET["fromdate"], "fromdate")]
    if request.GET.get("todate"):
        items = [i for i in items if i["OrderDate"] <= _day(request.GET["todate"], "todate")]
    state = request.GET.get("filter")
    if state:
        tests = {
            "cancelled": lambda i: i["Cancelled"],
            "expired": lambda i: False,
            "invoicecreated": lambda i: i["InvoiceReference"] not in ("", "0"),
            "invoicenotcreated": lambda i: not i["Cancelled"] and i["InvoiceReference"] in ("", "0"),
        }
        if state not in tests:
            raise _invalid(f"Ogiltigt filter: {state}.", 2000587)
        items = [i for i in items if tests[state](i)]
    items.sort(key=lambda i: int(i["DocumentNumber"]))
    sort_keys = {
        "customername": lambda i: str(i.get("CustomerName") or "").lower(),
        "customernumber": lambda i: _numeric_order(i["CustomerNumber"]),
        "orderdate": lambda i: i["OrderDate"],
        "documentnumber": lambda i: int(i["DocumentNumber"]),
        "total": lambda i: dec(i["Total"]),
    }
    return _listing(request, "Orders", items, _order_list_item(request), sort_keys)


def order_view(request, number: str):
    order = _get(ORDER, number)
    if order is None:
        raise ApiError(404, f"Kunde inte hitta order {number}.", ORDER_NOT_FOUND)
    return JsonResponse({"Order": _order_shape(request)(order)})


# -- invoice payments ---------------------------------------------------------------
def payments_view(request):
    if request.method == "POST":
        payment = payment_create(_body(request, "InvoicePayment"))
        return JsonResponse({"InvoicePayment": _payment_shape(request)(payment)}, status=201)
    search = _search(request, {"invoicenumber"})
    items = list(_lastmodified(request, _rows(PAYMENT)).values_list("data", flat=True))
    if search:
        items = [p for p in items if str(p["InvoiceNumber"]) == search[1].strip()]
    items.sort(key=lambda p: int(p["Number"]))

    def list_item(data: dict) -> dict:
        keys = [k for k in spec_properties("fortnox_InvoicePaymentListItem") if k not in ("@url", "WriteOffExist")]
        return {
            "@url": _url(request, "invoicepayments", data["Number"]),
            **{k: data.get(k) for k in keys},
            "WriteOffExist": bool(data["WriteOffs"]),
        }

    return _listing(request, "InvoicePayments", items, list_item, {"paymentdate": lambda p: p["PaymentDate"]})


def _write_off(raw, index: int, currency: str) -> dict:
    where = f"WriteOffs[{index}]."
    if not isinstance(raw, dict):
        raise _invalid(f"{where[:-1]} ska vara ett objekt.")
    _spec_check("fortnox_InvoicePayment_WriteOff", raw, where)
    if raw.get("AccountNumber") in (None, ""):
        raise _invalid(f"{where}AccountNumber måste anges.")
    if raw.get("Currency") not in (None, "", currency):
        raise _invalid(
            f"{where}Currency {raw['Currency']} skiljer sig från fakturans valuta {currency}.", CURRENCY_MISMATCH
        )
    return {
        "AccountNumber": _account(raw["AccountNumber"], where + "AccountNumber"),
        "Amount": num(q2(_number(raw.get("Amount") or 0, where + "Amount"))),
        "Currency": currency,
        "Description": raw.get("Description") or "",
        "TransactionInformation": raw.get("TransactionInformation") or "",
        "CostCenter": raw.get("CostCenter") or "",
        "Project": raw.get("Project") or "",
    }


def payment_create(fields: dict) -> dict:
    """Register an invoice payment as POST /3/invoicepayments does; raises ApiError on bad input."""
    _spec_check("fortnox_InvoicePayment", fields)
    if fields.get("InvoiceNumber") in (None, ""):
        raise _invalid("InvoiceNumber måste anges.")
    number = _number(fields["InvoiceNumber"], "InvoiceNumber")
    invoice = _get(INVOICE, str(int(number)))
    if invoice is None:
        raise _invalid(f"Kunde inte hitta faktura {int(number)}.", INVOICE_NOT_FOUND)
    if invoice["Cancelled"]:
        raise _invalid(f"Faktura {invoice['DocumentNumber']} är makulerad.", CANCELLED)
    currency = invoice["Currency"]
    if fields.get("Currency") not in (None, "", currency):
        raise _invalid(
            f"Betalningens valuta {fields['Currency']} skiljer sig från fakturans valuta {currency}.", CURRENCY_MISMATCH
        )
    rate = _number(fields.get("CurrencyRate") or invoice["CurrencyRate"], "CurrencyRate")
    unit = Decimal(invoice.get("CurrencyUnit") or 1)
    in_currency = fields.get("AmountCurrency")
    in_sek = fields.get("Amount")
    if in_currency is None and in_sek is None:
        raise _invalid("Amount eller AmountCurrency måste anges.")
    if in_currency is not None:
        amount_currency = q2(_number(in_currency, "AmountCurrency"))
        amount = q2(amount_currency * rate / unit) if in_sek is None else q2(_number(in_sek, "Amount"))
    else:
        amount = q2(_number(in_sek, "Amount"))
        amount_currency = q2(amount * unit / rate)
    if currency == "SEK" and amount != amount_currency:
        raise _invalid(f"Amount {amount} och AmountCurrency {amount_currency} skiljer sig för en faktura i SEK.")
    paid_on = _day(fields.get("PaymentDate") or today().isoformat(), "PaymentDate")
    if paid_on < invoice["InvoiceDate"]:
        raise _invalid(
            f"Betalningsdatum {paid_on} får inte vara före fakturadatum {invoice['InvoiceDate']}.",
            PAYMENT_BEFORE_INVOICE,
        )
    _financial_year(paid_on)
    account = _account(fields.get("ModeOfPaymentAccount") or DEFAULT_PAYMENT_ACCOUNT, "ModeOfPaymentAccount")
    raw_write_offs = fields.get("WriteOffs") or []
    write_offs = [_write_off(raw, index, currency) for index, raw in enumerate(raw_write_offs)]
    settled = amount_currency + sum((dec(w["Amount"]) for w in write_offs), Decimal(0))
    invoice = _settle(invoice, settled)
    if dec(invoice["Balance"]) == 0:
        invoice["FinalPayDate"] = paid_on
    _put(INVOICE, invoice["DocumentNumber"], invoice)
    payment_number = str(store.counter_next(SYSTEM, "payment"))
    payment = {
        "Number": payment_number,
        "InvoiceNumber": int(invoice["DocumentNumber"]),
        "Amount": num(amount),
        "AmountCurrency": num(amount_currency),
        "Currency": currency,
        "CurrencyRate": num(rate),
        "CurrencyUnit": num(unit),
        "PaymentDate": paid_on,
        "ModeOfPayment": fields.get("ModeOfPayment") or "",
        "ModeOfPaymentAccount": account,
        "Booked": False,
        "Source": "direct",
        "ExternalInvoiceReference1": fields.get("ExternalInvoiceReference1") or invoice["ExternalInvoiceReference1"],
        "ExternalInvoiceReference2": fields.get("ExternalInvoiceReference2") or invoice["ExternalInvoiceReference2"],
        "InvoiceCustomerName": invoice.get("CustomerName", ""),
        "InvoiceCustomerNumber": invoice["CustomerNumber"],
        "InvoiceDueDate": invoice["DueDate"],
        "InvoiceOCR": invoice["OCR"],
        "InvoiceTotal": str(invoice["Total"]),  # a string in the spec
        "VoucherNumber": None,
        "VoucherSeries": None,
        "VoucherYear": None,
        "WriteOffs": write_offs,
    }
    return _put(PAYMENT, payment_number, payment)


def _payment_shape(request):
    return lambda data: {"@url": _url(request, "invoicepayments", data["Number"]), **public(data)}


def _payment_must(number: str) -> dict:
    payment = _get(PAYMENT, number)
    if payment is None:
        raise ApiError(404, f"Kunde inte hitta inbetalning {number}.", 2000430)
    return payment


def payment_view(request, number: str):
    return JsonResponse({"InvoicePayment": _payment_shape(request)(_payment_must(number))})


def payment_bookkeep_view(request, number: str):
    payment = _payment_must(number)
    if payment["Booked"]:
        raise _invalid(f"Inbetalning {number} är redan bokförd.", ALREADY_BOOKED)
    payment = _put(PAYMENT, number, {**payment, **_payment_voucher(payment), "Booked": True})
    return JsonResponse({"InvoicePayment": _payment_shape(request)(payment)})


# -- vouchers ------------------------------------------------------------------------
def _sek(amount: Decimal, invoice_or_payment: dict) -> Decimal:
    rate = dec(invoice_or_payment.get("CurrencyRate") or 1)
    unit = dec(invoice_or_payment.get("CurrencyUnit") or 1)
    return q2(amount * rate / unit)


def _voucher_write(
    series: str, day: str, description: str, ref_type: str, ref: str, amounts: list[tuple[int, Decimal, str]]
) -> dict:
    """Store a voucher; `amounts` are (account, amount, text) with credit positive and debit negative."""
    year = _financial_year(day)
    number = store.counter_next(SYSTEM, f"voucher_{series}_{year['Id']}")
    rows = [
        {
            "Account": account,
            "Debit": num(-amount if amount < 0 else Decimal(0)),
            "Credit": num(amount if amount > 0 else Decimal(0)),
            "Description": text,
            "TransactionInformation": "",
            "Removed": False,
            "Quantity": 0,
            "CostCenter": "",
            "Project": "",
        }
        for account, amount, text in amounts
        if amount != 0
    ]
    voucher = {
        "VoucherSeries": series,
        "VoucherNumber": number,
        "Year": year["Id"],
        "TransactionDate": day,
        "Description": description,
        "Comments": "",
        "ReferenceType": ref_type,
        "ReferenceNumber": ref,
        "ApprovalState": 0,
        "CostCenter": "",
        "Project": "",
        "VoucherRows": rows,
    }
    _put(VOUCHER, f"{series}|{year['Id']}|{number}", voucher)
    return {"VoucherSeries": series, "VoucherNumber": number, "VoucherYear": year["Id"]}


def _invoice_voucher(invoice: dict) -> dict:
    lines: dict[int, Decimal] = {}
    for row in invoice["InvoiceRows"]:
        lines[row["AccountNumber"]] = lines.get(row["AccountNumber"], Decimal(0)) + dec(row["Total"])
    amounts = [(account, _sek(amount, invoice), "Försäljning") for account, amount in lines.items()]
    by_rate = invoice_vat_by_rate(invoice)
    top = max(by_rate, default=None)
    for rate, (_net, vat) in by_rate.items():
        # freight and fee VAT go with the highest rate (see _totals)
        extra = dec(invoice["FreightVAT"]) + dec(invoice["AdministrationFeeVAT"]) if rate == top else Decimal(0)
        amounts.append((VAT_ACCOUNTS.get(rate, OSS_VAT_ACCOUNT), _sek(vat + extra, invoice), f"Utgående moms {rate} %"))
    amounts.append((FREIGHT_ACCOUNT, _sek(dec(invoice["Freight"]), invoice), "Frakt"))
    amounts.append((FEE_ACCOUNT, _sek(dec(invoice["AdministrationFee"]), invoice), "Fakturaavgift"))
    receivable = _sek(dec(invoice["Total"]), invoice)
    rest = receivable - sum((a for _acc, a, _t in amounts), Decimal(0))
    amounts.append((ROUND_OFF_ACCOUNT, rest, "Öresavrundning"))
    amounts.append((RECEIVABLES_ACCOUNT, -receivable, "Kundfordringar"))
    return _voucher_write(
        "B",
        invoice["InvoiceDate"],
        f"Kundfaktura {invoice['DocumentNumber']}",
        "INVOICE",
        invoice["DocumentNumber"],
        amounts,
    )


def _payment_voucher(payment: dict) -> dict:
    amounts = [(payment["ModeOfPaymentAccount"], -dec(payment["Amount"]), "Inbetalning")]
    amounts += [
        (w["AccountNumber"], -_sek(dec(w["Amount"]), payment), w["Description"] or "Avskrivning")
        for w in payment["WriteOffs"]
    ]
    amounts.append((RECEIVABLES_ACCOUNT, -sum((a for _acc, a, _t in amounts), Decimal(0)), "Kundfordringar"))
    return _voucher_write(
        "C",
        payment["PaymentDate"],
        f"Inbetalning faktura {payment['InvoiceNumber']}",
        "INVOICEPAYMENT",
        payment["Number"],
        amounts,
    )


def voucher_view(request, series: str, number: str):
    year = request.GET.get("financialyear")
    if year is None:
        year = str(_financial_year(today().isoformat())["Id"])
    voucher = _get(VOUCHER, f"{series.upper()}|{year}|{number}")
    if voucher is None:
        raise ApiError(404, f"Kunde inte hitta verifikation {series}{number} (räkenskapsår {year}).", 2000440)
    url = f"{_base(request)}/3/vouchers/{series.upper()}/{number}?financialyear={year}"
    return JsonResponse({"Voucher": {"@url": url, **public(voucher)}})


_token = oauth_sandbox.token
_authorize = oauth_sandbox.authorize

app_name = "fortnox"
urlpatterns = [
    path("oauth-v1/auth", _authorize, name="authorize"),
    path("oauth-v1/token", _token, name="token"),
    path("3/companyinformation", endpoint("companyinformation", get=company_view), name="companyinformation"),
    path("3/accounts", endpoint("bookkeeping", get=accounts_view), name="accounts"),
    path("3/accounts/<str:number>", endpoint("bookkeeping", get=account_view), name="account"),
    path("3/customers", endpoint("customer", get=customers_view, post=customers_view), name="customers"),
    path("3/customers/<str:number>", endpoint("customer", get=customer_view, put=customer_view), name="customer"),
    path("3/articles", endpoint("article", get=articles_view), name="articles"),
    path("3/articles/<str:number>", endpoint("article", get=article_view), name="article"),
    path("3/invoices", endpoint("invoice", get=invoices_view, post=invoices_view), name="invoices"),
    path("3/invoices/<str:number>", endpoint("invoice", get=invoice_view, put=invoice_view), name="invoice"),
    path("3/invoices/<str:number>/credit", endpoint("invoice", put=credit_view), name="invoice_credit"),
    re_path(
        r"^3/invoices/(?P<number>[^/]+)/(?P<action>bookkeep|cancel)$",
        endpoint("invoice", put=invoice_action_view),
        name="invoice_action",
    ),
    path("3/orders", endpoint("order", get=orders_view, post=orders_view), name="orders"),
    path("3/orders/<str:number>", endpoint("order", get=order_view), name="order"),
    path("3/invoicepayments", endpoint("payment", get=payments_view, post=payments_view), name="payments"),
    path("3/invoicepayments/<str:number>", endpoint("payment", get=payment_view), name="payment"),
    path(
        "3/invoicepayments/<str:number>/bookkeep",
        endpoint("payment", put=payment_bookkeep_view),
        name="payment_bookkeep",
    ),
    path("3/vouchers/<str:series>/<str:number>", endpoint("bookkeeping", get=voucher_view), name="voucher"),
    path(
        "api/warehouse/status-v1/stockbalance",
        endpoint("warehouse", get=stock_balance_view, warehouse=True),
        name="stockbalance",
    ),
    path(
        "api/warehouse/stockpoints-v1", endpoint("warehouse", get=stock_points_view, warehouse=True), name="stockpoints"
    ),
]
