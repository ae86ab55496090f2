"""Fortnox API client: the only code that speaks HTTP to Fortnox (API v3 and the warehouse API).

Thin methods named `<noun>_<verb>`, one per API operation, each marked `@operation(METHOD, path)`
so contract tests can list them. Reads return Fortnox's JSON (numbers as Decimal) unwrapped from
its envelope (`{"Invoice": {...}}` → the invoice); writes take the bodies adapter.py builds.

Facts of the API this client relies on (spec fortnox-v3, OpenAPI 3.0.3, and
../shared/api-notes/fortnox-eaccounting.md § A):
- The connection's base URL is the API host (https://api.fortnox.se); paths carry /3/ or /api/warehouse/.
- 25 requests per 5 s sliding window per tenant (the registry's quota), paced at 25 per 5.2 s by the
  guard of the database limiter shared by every worker (integrations/ratelimit.py). Fortnox sends no
  Retry-After: a 429 is retried after a full window (FORTNOX_POLICY: 5 s, then doubling).
- Errors: ErrorInformation in either key casing (errors.py); the Fortnox code is kept on the
  raised error as `code`, and a "not found" code is raised as NotFound whatever its HTTP status.
- Lists: `{"MetaInformation": {"@TotalResources", "@TotalPages", "@CurrentPage"}, "<Plural>": [...]}`,
  paged with `page` and `limit` (at most 500); read to the stated last page.
- Searches (`email`, `externalinvoicereference1`) are substring matches: every search result is
  compared again here on the exact value, so 123 never binds to 1234.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from integrations.clients import http_client_for
from integrations.http import SYSTEM_CLOCK, Clock, RemoteError, RetryPolicy
from integrations.json_api import CodedJsonClient, operation, segment
from integrations.listing import listing_page_read
from integrations.models import Connection

from .errors import NOT_FOUND_CODES, fortnox_error_code, fortnox_error_message

DEFAULT_PAGE_SIZE = 500
# No Retry-After from Fortnox: after a 429 wait one full 5 s window, then longer.
FORTNOX_POLICY = RetryPolicy(base_delay=5.0, max_delay=30.0, jitter=0.2)
MAX_PAGES = 10_000


FORTNOX_TIME_ZONE = ZoneInfo("Europe/Stockholm")  # `lastmodified` is Swedish local time (the sandbox reads it so)


def filter_time(moment: datetime | date) -> str:
    """Fortnox's `lastmodified` form: 'YYYY-MM-DD HH:MM' (local time of the company, Europe/Stockholm).

    A naive moment is taken as that local time already (the adapter's stamps are); an aware one is
    converted. Seconds are dropped, so the filter reads from the start of the minute (never later).
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(FORTNOX_TIME_ZONE)
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def exact(records: Iterator[dict], field: str, value: str, *, fold: bool = False) -> list[dict]:
    """Records whose `field` is exactly `value` (case-insensitively when `fold`), after a substring search."""
    wanted = value.strip().lower() if fold else value.strip()
    found = []
    for record in records:
        have = str(record.get(field) or "").strip()
        if (have.lower() if fold else have) == wanted:
            found.append(record)
    return found


class FortnoxClient(CodedJsonClient):
    """Fortnox for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock).

    `request` keeps Fortnox's code on a RemoteError as `code`; a "not found" code is raised as NotFound."""

    error_code = staticmethod(fortnox_error_code)
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
        self.page_size = page_size
        self.http = http_client_for(
            connection, error_parser=fortnox_error_message, clock=clock, policy=policy or FORTNOX_POLICY
        )

    # -- plumbing (request, _json, _get: integrations/json_api.py) ------------------
    def _one(self, method: str, path: str, envelope: str, body: dict | None = None) -> dict:
        data = self.request(method, path, json_body=body) or {}
        return data.get(envelope) or {}

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[dict]:
        """Every record of a list (`key` names its array), page by page, one page held at a time."""
        page = 1
        while page <= MAX_PAGES:
            data = self._get(path, {**(params or {}), "page": page, "limit": self.page_size}) or {}
            records = data.get(key) or []
            meta = data.get("MetaInformation") or {}
            total_pages = int(meta.get("@TotalPages") or 0)
            total = meta.get("@TotalResources")
            listing_page_read(records=len(records), total=int(total) if total is not None else None)
            yield from records
            if not records or page >= total_pages:
                return
            page += 1
        raise RemoteError(f"Fortnox listed more than {MAX_PAGES} pages of {path}.", system="fortnox")

    # -- connection check ---------------------------------------------------
    @operation("GET", "/3/companyinformation")
    def company_information(self) -> dict:
        return self._one("GET", "/3/companyinformation", "CompanyInformation")

    def ping(self) -> str:
        """One cheap read for the admin's "Test connection": e.g. "company Koppla Demo AB (tenant 1234567)"."""
        info = self.company_information()
        tenant = info.get("DatabaseNumber")
        return f"company {info.get('CompanyName') or '?'}" + (f" (tenant {tenant})" if tenant else "")

    # -- customers ------------------------------------------------------------
    @operation("GET", "/3/customers")
    def customer_find_by_email(self, email: str) -> list[dict]:
        """Customers whose e-mail is exactly `email`, case-insensitively (Fortnox's search is a substring match)."""
        return exact(self.pages("/3/customers", "Customers", {"email": email.strip()}), "Email", email, fold=True)

    @operation("GET", "/3/customers/{CustomerNumber}")
    def customer_get(self, number: str) -> dict:
        return self._one("GET", f"/3/customers/{segment(number)}", "Customer")

    @operation("POST", "/3/customers")
    def customer_create(self, body: dict) -> str:
        """Create a customer ({"Customer": {...}}); returns the number Fortnox gave it."""
        return str(self._one("POST", "/3/customers", "Customer", body).get("CustomerNumber") or "")

    @operation("PUT", "/3/customers/{CustomerNumber}")
    def customer_update(self, number: str, body: dict) -> None:
        self.request("PUT", f"/3/customers/{segment(number)}", json_body=body)

    # -- invoices (credit invoices are invoices) --------------------------------
    @operation("POST", "/3/invoices")
    def invoice_create(self, body: dict) -> dict:
        """Create an invoice ({"Invoice": {...}}); returns it as Fortnox holds it. Search first: no idempotency key."""
        return self._one("POST", "/3/invoices", "Invoice", body)

    @operation("GET", "/3/invoices/{DocumentNumber}")
    def invoice_get(self, number: str) -> dict:
        return self._one("GET", f"/3/invoices/{segment(number)}", "Invoice")

    @operation("PUT", "/3/invoices/{DocumentNumber}")
    def invoice_update(self, number: str, body: dict) -> dict:
        return self._one("PUT", f"/3/invoices/{segment(number)}", "Invoice", body)

    @operation("GET", "/3/invoices")
    def invoice_find(self, reference: str, *, field: str = "ExternalInvoiceReference1") -> list[dict]:
        """Invoices whose `field` (ExternalInvoiceReference1 or 2) is exactly `reference` (the search is substring)."""
        found = self.pages("/3/invoices", "Invoices", {field.lower(): reference})
        return exact(found, field, reference)

    @operation("GET", "/3/invoices")
    def invoice_list(
        self, *, modified_since: datetime | date | None = None, credit: bool | None = None, customer_number: str = ""
    ) -> Iterator[dict]:
        """Invoices (list rows) page by page; `customer_number` is Fortnox's substring search: compare after."""
        params = {"lastmodified": filter_time(modified_since) if modified_since else None}
        if customer_number:
            params["customernumber"] = customer_number
        if credit is not None:
            params["credit"] = "true" if credit else "false"
        return self.pages("/3/invoices", "Invoices", params)

    @operation("PUT", "/3/invoices/{DocumentNumber}/bookkeep")
    def invoice_bookkeep(self, number: str) -> dict:
        return self._one("PUT", f"/3/invoices/{segment(number)}/bookkeep", "Invoice")

    @operation("PUT", "/3/invoices/{DocumentNumber}/credit")
    def invoice_credit(self, number: str) -> dict:
        """Credit the whole invoice (once per invoice); returns the original, its CreditInvoiceReference set."""
        return self._one("PUT", f"/3/invoices/{segment(number)}/credit", "Invoice")

    # -- sales orders ------------------------------------------------------------
    @operation("POST", "/3/orders")
    def order_create(self, body: dict) -> dict:
        """Create an order ({"Order": {...}}); returns it as Fortnox holds it. Search first: no idempotency key."""
        return self._one("POST", "/3/orders", "Order", body)

    @operation("GET", "/3/orders/{DocumentNumber}")
    def order_get(self, number: str) -> dict:
        return self._one("GET", f"/3/orders/{segment(number)}", "Order")

    @operation("GET", "/3/orders")
    def order_find(self, reference: str) -> list[dict]:
        """Orders whose ExternalInvoiceReference1 is exactly `reference` (the search is substring)."""
        found = self.pages("/3/orders", "Orders", {"externalinvoicereference1": reference})
        return exact(found, "ExternalInvoiceReference1", reference)

    # -- payments -------------------------------------------------------------
    @operation("POST", "/3/invoicepayments")
    def payment_create(self, body: dict) -> dict:
        return self._one("POST", "/3/invoicepayments", "InvoicePayment", body)

    @operation("GET", "/3/invoicepayments/{Number}")
    def payment_get(self, number: str) -> dict:
        return self._one("GET", f"/3/invoicepayments/{segment(number)}", "InvoicePayment")

    @operation("GET", "/3/invoicepayments")
    def payment_list(self, *, invoice_number: str | None = None) -> Iterator[dict]:
        return self.pages("/3/invoicepayments", "InvoicePayments", {"invoicenumber": invoice_number})

    @operation("PUT", "/3/invoicepayments/{Number}/bookkeep")
    def payment_bookkeep(self, number: str) -> dict:
        return self._one("PUT", f"/3/invoicepayments/{segment(number)}/bookkeep", "InvoicePayment")

    # -- articles and stock -----------------------------------------------------
    @operation("GET", "/3/articles")
    def article_list(self, *, modified_since: datetime | date | None = None) -> Iterator[dict]:
        params = {"lastmodified": filter_time(modified_since) if modified_since else None}
        return self.pages("/3/articles", "Articles", params)

    @operation("GET", "/3/articles/{ArticleNumber}")
    def article_get(self, number: str) -> dict:
        return self._one("GET", f"/3/articles/{segment(number)}", "Article")

    @operation("GET", "/api/warehouse/status-v1/stockbalance")
    def stock_balance(self, item_ids: list[str]) -> list[dict]:
        """Stock per stock point of the items (the warehouse module, Fortnox Lager): a list of
        {itemId, stockPointCode, availableStock, inStock} (availableStock = inStock less reserved), one row
        per item and stock point it has a balance at. The spec pages nothing here: ask for a batch of items."""
        if not item_ids:
            return []
        return self._get("/api/warehouse/status-v1/stockbalance", {"itemIds": ",".join(item_ids)}) or []

    @operation("GET", "/api/warehouse/stockpoints-v1")
    def stock_points(self) -> list[dict]:
        """The company's active stock points (warehouse module): {id, code, name, active, …} each."""
        return self._get("/api/warehouse/stockpoints-v1") or []
