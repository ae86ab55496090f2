"""Visma eAccounting API client (API v2): the only code that speaks HTTP to eAccounting.

Thin methods named `<noun>_<verb>`, one per API operation, each marked `@operation(METHOD, path)` so
contract tests can list them. Reads return eAccounting's JSON (numbers as Decimal); lists are iterators
of records read a page at a time.

Facts of the API this client relies on (spec visma-eaccounting-v2, OpenAPI 3.1.1, and
../shared/api-notes/fortnox-eaccounting.md § B):
- The connection's base URL is the API root with its version (https://eaccountingapi.vismaonline.com/v2);
  paths are relative to it ("/orders").
- OAuth2 authorization code at Visma's identity server (scopes `ea:api offline_access ea:sales`). Refresh
  tokens are single-use and rotate on every refresh: integrations/oauth.py refreshes under the
  connection's row lock and re-reads the token after taking it, so two workers never spend one refresh
  token twice (tests/integrations/eaccounting/test_client.py shows it).
- 600 requests per minute per client **and per endpoint**: the registry marks the system
  `rate_limit_per_endpoint`, so the shared database limiter keeps one budget per path template
  ("/orders", "/orders/{id}", "/customerinvoices"), shared by every worker. A 429 (ErrorCode 4010) is
  waited out by Retry-After, else by its text "Try again in N seconds" (errors.quota_wait); a wait of up
  to RetryPolicy.max_retry_after holds that endpoint's budget for every worker (RateLimiter.hold) while
  the other endpoints go on; a longer one pauses the whole connection (integrations/pauses.py).
- Lists: `{"Meta": {CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults, ServerTimeUtc},
  "Data": [...]}`, paged with `$page` (1-based) and `$pagesize` (at most 1000); read to the stated
  TotalNumberOfPages, not to a short page.
- "Changed since": OData `$filter=ModifiedUtc ge <UTC time>` with `$orderby=ModifiedUtc` (orders),
  `ChangedUtc` for customers (CustomerApi has no ModifiedUtc); the spec lists no query parameter for
  /orders (SPEC-GAP, api-notes § B), only /customerinvoices documents `modifiedSinceUtc`, which is used there.
- Errors: `{ErrorCode, DeveloperErrorMessage, ErrorId, Errors: [{Field, ErrorCode, Message, Key}]}`
  (errors.py); the code is kept on the raised error as `code`, and 3000 (not found) is raised as NotFound
  whatever its HTTP status.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from integrations.clients import http_client_for
from integrations.http import SYSTEM_CLOCK, Clock, NotFound, RemoteError, RetryPolicy
from integrations.json_api import CodedJsonClient, operation, segment
from integrations.listing import listing_page_read
from integrations.models import Connection

from .errors import NOT_FOUND_CODES, eaccounting_error_code, eaccounting_error_message, quota_wait

SYSTEM = "eaccounting"
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
MAX_PAGES = 10_000


def filter_time(moment: datetime | date) -> str:
    """A moment as eAccounting's filters take it: UTC, 'YYYY-MM-DDTHH:MM:SSZ'.

    An aware moment is converted to UTC; a naive one is taken as UTC already (eAccounting's stamps are UTC);
    a date is its midnight UTC. Fractions of a second are dropped, so the filter reads from the start of the
    second (never later)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def since_filter(field: str, moment: datetime | date | None) -> dict:
    """`$filter` and `$orderby` params for records whose `field` (ModifiedUtc, ChangedUtc) is at or after `moment`."""
    params = {"$orderby": field}
    if moment is not None:
        params["$filter"] = f"{field} ge {filter_time(moment)}"
    return params


class EAccountingClient(CodedJsonClient):
    """Visma eAccounting for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock).

    `request` keeps eAccounting's ErrorCode on a RemoteError as `code`; 3000 is raised as NotFound."""

    error_code = staticmethod(eaccounting_error_code)
    not_found_codes = NOT_FOUND_CODES

    def __init__(
        self,
        connection: Connection,
        *,
        clock: Clock = SYSTEM_CLOCK,
        policy: RetryPolicy | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ):
        self.connection = connection
        self.page_size = max(1, min(MAX_PAGE_SIZE, page_size))
        self.http = http_client_for(
            connection, error_parser=eaccounting_error_message, clock=clock, policy=policy, wait_reader=quota_wait
        )

    # -- plumbing (request, _json, _get: integrations/json_api.py) ------------------
    def _one(self, path: str) -> dict | None:
        """One record by its key; None when eAccounting says it is not there (404 or code 3000)."""
        try:
            data = self._get(path)
        except NotFound:
            return None
        return data if isinstance(data, dict) else None

    def pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every record of a list, page by page (one page held at a time), to the stated TotalNumberOfPages."""
        page = 1
        while page <= MAX_PAGES:
            data = self._get(path, {**(params or {}), "$page": page, "$pagesize": self.page_size})
            if not isinstance(data, dict) or not isinstance(data.get("Data"), list):
                raise RemoteError(
                    f"Visma eAccounting answered {path} without its list shape ({{Meta, Data}}).", system=SYSTEM
                )
            records = data["Data"]
            meta = data.get("Meta") or {}
            total_pages = int(meta.get("TotalNumberOfPages") or 0)
            total = meta.get("TotalNumberOfResults")
            listing_page_read(records=len(records), total=int(total) if total is not None else None)
            yield from records
            if page >= total_pages:
                return
            if not records:
                raise RemoteError(
                    f"Visma eAccounting said {path} has {total_pages} pages but page {page} came back empty: the "
                    "list changed while it was read. The next run reads it again.",
                    system=SYSTEM,
                )
            page += 1
        raise RemoteError(f"Visma eAccounting listed more than {MAX_PAGES} pages of {path}.", system=SYSTEM)

    # -- connection check ---------------------------------------------------
    @operation("GET", "/companysettings")
    def company_settings(self) -> dict:
        return self._get("/companysettings") or {}

    def ping(self) -> str:
        """One cheap read for the admin's "Test connection": e.g. "company Koppla Demo AB (556677-8899)"."""
        info = self.company_settings()
        number = info.get("CorporateIdentityNumber")
        return f"company {info.get('Name') or '?'}" + (f" ({number})" if number else "")

    # -- orders ---------------------------------------------------------------
    @operation("GET", "/orders")
    def order_list(self, *, modified_since: datetime | date | None = None) -> Iterator[dict]:
        """Orders (OrderApi, rows included) modified at or after `modified_since`, in ModifiedUtc order."""
        return self.pages("/orders", since_filter("ModifiedUtc", modified_since))

    @operation("GET", "/orders/{id}")
    def order_get(self, order_id: str) -> dict | None:
        """The order (OrderApi) of that Id; None when eAccounting has none."""
        return self._one(f"/orders/{segment(order_id)}")

    @operation("GET", "/orders")
    def order_find(self, number: str) -> dict | None:
        """The order whose Number is `number` (compared again here); None when there is none."""
        if not str(number).strip().isdigit():
            return None
        wanted = int(str(number).strip())
        found = self.pages("/orders", {"$filter": f"Number eq {wanted}"})
        return next((o for o in found if str(o.get("Number")) == str(wanted)), None)

    # -- customer invoices (credit invoices included) ----------------------------
    @operation("GET", "/customerinvoices")
    def invoice_list(self, *, modified_since: datetime | date | None = None) -> Iterator[dict]:
        """Customer invoices (CustomerInvoiceApi) modified at or after `modified_since` (the documented
        `modifiedSinceUtc`), in ModifiedUtc order."""
        params = {"$orderby": "ModifiedUtc"}
        if modified_since is not None:
            params["modifiedSinceUtc"] = filter_time(modified_since)
        return self.pages("/customerinvoices", params)

    @operation("GET", "/customerinvoices/{invoiceId}")
    def invoice_get(self, invoice_id: str) -> dict | None:
        return self._one(f"/customerinvoices/{segment(invoice_id)}")

    # -- customers ------------------------------------------------------------
    @operation("GET", "/customers")
    def customer_list(self, *, changed_since: datetime | date | None = None) -> Iterator[dict]:
        """Customers (CustomerApi) changed at or after `changed_since` (their ChangedUtc), in that order."""
        return self.pages("/customers", since_filter("ChangedUtc", changed_since))

    @operation("GET", "/customers/{customerId}")
    def customer_get(self, customer_id: str) -> dict | None:
        return self._one(f"/customers/{segment(customer_id)}")

    # -- catalogue and customers in (integrations/eaccounting/adapter_catalogue.py) --------------
    @staticmethod
    def _quoted(value: str) -> str:
        """A text literal of an OData `$filter` ('' doubles a quote)."""
        return "'" + str(value).replace("'", "''") + "'"

    @operation("GET", "/articles")
    def article_find(self, number: str) -> dict | None:
        """The article (ArticleApi) whose Number is exactly `number` (compared again here); None when none."""
        found = self.pages("/articles", {"$filter": f"Number eq {self._quoted(number)}"})
        return next((a for a in found if str(a.get("Number")) == str(number)), None)

    @operation("GET", "/articles/{articleId}")
    def article_get(self, article_id: str) -> dict | None:
        return self._one(f"/articles/{segment(article_id)}")

    @operation("POST", "/articles")
    def article_create(self, body: dict) -> dict:
        """The article as created (201, ArticleApi with its Id)."""
        return self.request("POST", "/articles", json_body=body) or {}

    @operation("PUT", "/articles/{articleId}")
    def article_replace(self, article_id: str, body: dict) -> dict:
        """PUT replaces the whole article: `body` carries every writable field (adapter_catalogue merges)."""
        return self.request("PUT", f"/articles/{segment(article_id)}", json_body=body) or {}

    @operation("GET", "/articleaccountcodings")
    def coding_list(self) -> list[dict]:
        return list(self.pages("/articleaccountcodings"))

    @operation("GET", "/units")
    def unit_list(self) -> list[dict]:
        return list(self.pages("/units"))

    @operation("GET", "/termsofpayments")
    def terms_list(self) -> list[dict]:
        return list(self.pages("/termsofpayments"))

    @operation("GET", "/customers")
    def customer_find_by_email(self, email: str) -> list[dict]:
        """Customers whose EmailAddress is `email` (compared again here, case-insensitively)."""
        wanted = str(email).strip().lower()
        found = self.pages("/customers", {"$filter": f"EmailAddress eq {self._quoted(email.strip())}"})
        return [c for c in found if str(c.get("EmailAddress") or "").strip().lower() == wanted]

    @operation("POST", "/customers")
    def customer_create(self, body: dict) -> dict:
        return self.request("POST", "/customers", json_body=body) or {}

    @operation("PUT", "/customers/{customerId}")
    def customer_replace(self, customer_id: str, body: dict) -> dict:
        """PUT replaces the whole customer: `body` carries every writable field (adapter_catalogue merges)."""
        return self.request("PUT", f"/customers/{segment(customer_id)}", json_body=body) or {}
