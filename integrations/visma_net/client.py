"""Visma.net ERP API client: the only code that speaks HTTP to Visma.net.

Thin, typed methods named `<noun>_<verb>`, one per API operation (each marked
with `@operation(METHOD, path)` so contract tests can list them). Reads return
the ERP's JSON with numbers parsed as `Decimal`; writes take the payload
dataclasses of `schemas.py`. Errors are the typed errors of `integrations.http`.

Facts of the API this client relies on (spec: visma-net-erp-v1, OpenAPI 3.0.4):
- Creates answer 201 with the new number only in the `Location` header.
- Actions (release) answer 200 with an action result whose `actionResult` may
  be "Failed" with the ERP's message in `errorInfo`: that is raised as
  `ValidationFailed`, never returned as success.
- Lists are JSON arrays; paging is `pageNumber`/`pageSize` and each record
  carries `metadata: {totalCount, maxPageSize}`. `pages()` reads page after
  page until the stated total is reached (paging.py); only a list without a
  total ends on a short page.
- Keys go into paths as they are when plain, else in the ERP's base64url
  form `b64(...)` (keys.py): an item number such as TEE/BLK/M is readable.
- There is no idempotency key: search by our reference before creating.
  Invoices and credit notes have `customerRefNumber`/`externalReference`
  filters; payments have none for `paymentRef`, so `payment_find` narrows by
  invoice (`invoiceRefNbr`) or customer and matches `paymentRef` here.
- Every search result is matched again here on the exact value, so an ERP
  that ignored a filter can never make us bind to the wrong record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from integrations.clients import http_client_for
from integrations.http import (
    SYSTEM_CLOCK,
    AuthError,
    Clock,
    NotFound,
    RemoteError,
    RetryPolicy,
    ValidationFailed,
    response_error_text,
)
from integrations.models import Connection

from .keys import key_decode, key_segment
from .paging import read_pages
from .schemas import CreditNotePayload, CustomerPayload, InvoicePayload, PaymentPayload, payment_release_body

DEFAULT_PAGE_SIZE = 500


# --------------------------------------------------------------------------- errors
def error_message_from(body: Any) -> str:
    """The ERP's own message from any of Visma.net's error shapes ('' when there is none)."""
    if isinstance(body, list):
        return "; ".join(m for m in (error_message_from(item) for item in body) if m)
    if not isinstance(body, dict):
        return ""
    # The exception object: {"ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID", "ExceptionDetails"}
    message = body.get("ExceptionMessage") or body.get("exceptionMessage")
    if message:
        details = body.get("ExceptionDetails") or body.get("exceptionDetails")
        if details and str(details) not in str(message):
            message = f"{message} ({details})"
        return str(message)
    # {"message": ...}, optionally with ASP.NET's modelState {"field": ["problem", ...]}
    message = body.get("message") or body.get("Message")
    problems = body.get("modelState") or body.get("ModelState") or body.get("errors")
    if not message and body.get("title"):  # RFC 7807 problem details
        message = body["title"]
    if isinstance(problems, dict) and problems:
        listed = "; ".join(
            f"{field}: {', '.join(map(str, issues)) if isinstance(issues, list) else issues}"
            for field, issues in problems.items()
        )
        message = f"{str(message).rstrip('. ')}: {listed}" if message else listed
    if message:
        return str(message)
    # An action result or DTO that failed: {"actionResult": "Failed", "errorInfo": ...}
    if body.get("errorInfo"):
        return str(body["errorInfo"])
    if body.get("error_description") or body.get("error"):
        return str(body.get("error_description") or body.get("error"))
    return ""


def visma_error_message(response: requests.Response) -> str:
    """error_parser for HttpClient: what Visma.net said, from its JSON or text."""
    try:
        body = response.json()
    except ValueError:
        return response_error_text(response)  # e.g. a gateway's HTML page: its title, not its markup
    return error_message_from(body) or json.dumps(body)[:500]


# --------------------------------------------------------------------------- helpers
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


_segment = key_segment  # every key that goes into a path


@dataclass(frozen=True)
class ActionResult:
    """What an action (release) answered: actionResult Done/Queued/InProcess (Failed is raised)."""

    action_id: str
    result: str
    error: str = ""


# --------------------------------------------------------------------------- client
class VismaNetClient:
    """Visma.net ERP for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock)."""

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
        self.http = http_client_for(connection, error_parser=visma_error_message, clock=clock, policy=policy)

    # -- plumbing -----------------------------------------------------------
    @staticmethod
    def _json(response: requests.Response) -> Any:
        if not response.content:
            return None
        return response.json(parse_float=Decimal)

    def _get(self, path: str, params: dict | None = None) -> Any:
        return self._json(self.http.request("GET", path, params=_clean(params)))

    def _create(self, path: str, body: dict) -> str:
        return number_from_location(self.http.request("POST", path, json_body=body))

    def _action(self, path: str, body: dict | None = None) -> ActionResult:
        response = self.http.request("POST", path, json_body=body)
        data = self._json(response) or {}
        result = ActionResult(
            action_id=str(data.get("actionId") or ""),
            result=str(data.get("actionResult") or ""),
            error=str(data.get("errorInfo") or ""),
        )
        if result.result == "Failed":
            raise ValidationFailed(
                result.error or "Visma.net reported the action as failed without a reason.",
                system="visma_net",
                status=response.status_code,
                method="POST",
                url=self.http.redactor.url(response.url),
                body=data,
            )
        return result

    def pages(self, path: str, params: dict | None = None, *, page_size: int | None = None) -> Iterator[dict]:
        """Every record of a list endpoint, page by page (only one page is held in memory).

        Reads until the ERP's stated total is reached; without a total, until a
        short or empty page (rules and errors: paging.read_pages).
        """
        return read_pages(
            lambda paging: self._get(path, {**(params or {}), **paging}), path, size=page_size or self.page_size
        )

    @staticmethod
    def _changed(modified_since: datetime | date | None, condition: str) -> dict:
        if modified_since is None:
            return {}
        return {"lastModifiedDateTime": filter_time(modified_since), "lastModifiedDateTimeCondition": condition}

    # -- connection check ---------------------------------------------------
    def ping(self) -> str:
        """One cheap read for the admin's "Test connection": e.g. "4 customer classes, company Koppla Demo AB"."""
        classes = self.customer_class_list()
        summary = f"{len(classes)} customer class{'es' if len(classes) != 1 else ''}"
        try:
            branches = self.branch_list()
        except (NotFound, AuthError) as exc:
            if exc.status == 401:
                raise
            return summary
        main = next((b for b in branches if b.get("isMainBranch")), branches[0] if branches else None)
        if main and main.get("name"):
            summary += f", company {main['name']}"
        return summary

    # -- customers ------------------------------------------------------------
    @operation("GET", "/v1/customer/{customerCd}")
    def customer_get(self, number: str) -> dict:
        """A customer by number; NotFound when there is none."""
        return self._get(f"/v1/customer/{_segment(number)}")

    @operation("GET", "/v1/customer")
    def customer_find_by_email(self, email: str) -> list[dict]:
        """Customers whose main contact e-mail is exactly `email` (the API's equality filter; case-insensitive here)."""
        wanted = email.strip().lower()
        return [
            c
            for c in self.pages("/v1/customer", {"email": email.strip()})
            if str((c.get("mainContact") or {}).get("email") or "").strip().lower() == wanted
        ]

    @operation("GET", "/v1/customer")
    def customer_list(
        self, *, modified_since: datetime | date | None = None, condition: str = ">=", page_size: int | None = None
    ) -> Iterator[dict]:
        """Customers, optionally only those modified since a moment (lastModifiedDateTime + condition)."""
        return self.pages("/v1/customer", self._changed(modified_since, condition), page_size=page_size)

    @operation("POST", "/v1/customer")
    def customer_create(self, customer: CustomerPayload) -> str:
        """Create a customer; returns the number the ERP gave it."""
        return self._create("/v1/customer", customer.body())

    @operation("PUT", "/v1/customer/{customerCd}")
    def customer_update(self, number: str, customer: CustomerPayload) -> None:
        """Change the fields set in `customer` (the others are not sent, so they stay)."""
        self.http.request("PUT", f"/v1/customer/{_segment(number)}", json_body=customer.body())

    # -- reference data -------------------------------------------------------
    @operation("GET", "/v1/customer/customerClass")
    def customer_class_list(self) -> list[dict]:
        return self._get("/v1/customer/customerClass") or []

    @operation("GET", "/v1/vatZone")
    def vat_zone_list(self) -> list[dict]:
        return list(self.pages("/v1/vatZone"))

    @operation("GET", "/v1/vatCategory")
    def vat_category_list(self) -> list[dict]:
        """VAT categories with their lines and rates (see `vat_category_rate`)."""
        return self._get("/v1/vatCategory") or []

    @operation("GET", "/v1/vat")
    def vat_list(self) -> list[dict]:
        return self._get("/v1/vat") or []

    @operation("GET", "/v1/account")
    def account_list(self, *, active: bool | None = None) -> list[dict]:
        """General ledger accounts (to validate mapped sales accounts)."""
        return self._get("/v1/account", {"active": active}) or []

    @operation("GET", "/v1/paymentmethod")
    def payment_method_list(self) -> list[dict]:
        return self._get("/v1/paymentmethod") or []

    @operation("GET", "/v1/creditTerm")
    def credit_term_list(self) -> list[dict]:
        return list(self.pages("/v1/creditTerm"))

    @operation("GET", "/v1/cashaccount")
    def cash_account_list(self) -> list[dict]:
        return self._get("/v1/cashaccount") or []

    @operation("GET", "/v1/branch")
    def branch_list(self) -> list[dict]:
        return self._get("/v1/branch") or []

    # -- invoices -------------------------------------------------------------
    @operation("POST", "/v2/customerinvoice")
    def invoice_create(self, invoice: InvoicePayload) -> str:
        """Create an invoice; returns its number. Search with `invoice_find` first: there is no idempotency key."""
        return self._create("/v2/customerinvoice", invoice.body())

    @operation("POST", "/v1/customerinvoice/{invoiceNumber}/action/release")
    def invoice_release(self, number: str) -> ActionResult:
        """Release an invoice; ValidationFailed with the ERP's message when the action failed."""
        return self._action(f"/v1/customerinvoice/{_segment(number)}/action/release")

    @operation("GET", "/v1/customerinvoice/{invoiceNumber}")
    def invoice_get(self, number: str) -> dict:
        return self._get(f"/v1/customerinvoice/{_segment(number)}")

    @operation("GET", "/v1/customerinvoice")
    def invoice_find(self, reference: str, *, field: str = "customerRefNumber") -> dict | None:
        """The invoice whose customerRefNumber (or externalReference) is exactly `reference`, or None."""
        return _first_exact(self.pages("/v1/customerinvoice", {field: reference}), field, reference)

    @operation("GET", "/v1/customerinvoice")
    def invoice_list(
        self,
        *,
        modified_since: datetime | date | None = None,
        condition: str = ">=",
        status: str | None = None,
        customer_number: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict]:
        params = {**self._changed(modified_since, condition), "status": status, "customer": customer_number}
        return self.pages("/v1/customerinvoice", params, page_size=page_size)

    # -- credit notes -----------------------------------------------------------
    @operation("POST", "/v2/customerCreditNote")
    def credit_note_create(self, credit_note: CreditNotePayload) -> str:
        return self._create("/v2/customerCreditNote", credit_note.body())

    @operation("POST", "/v1/customerCreditNote/{creditNoteNumber}/action/release")
    def credit_note_release(self, number: str) -> ActionResult:
        return self._action(f"/v1/customerCreditNote/{_segment(number)}/action/release")

    @operation("GET", "/v1/customerCreditNote/{creditNoteNumber}")
    def credit_note_get(self, number: str) -> dict:
        return self._get(f"/v1/customerCreditNote/{_segment(number)}")

    @operation("GET", "/v1/customerCreditNote")
    def credit_note_find(self, reference: str, *, field: str = "customerRefNumber") -> dict | None:
        """The credit note whose customerRefNumber (or externalReference) is exactly `reference`, or None."""
        return _first_exact(self.pages("/v1/customerCreditNote", {field: reference}), field, reference)

    @operation("GET", "/v1/customerCreditNote")
    def credit_note_list(
        self,
        *,
        modified_since: datetime | date | None = None,
        condition: str = ">=",
        status: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict]:
        params = {**self._changed(modified_since, condition), "status": status}
        return self.pages("/v1/customerCreditNote", params, page_size=page_size)

    # -- payments -------------------------------------------------------------
    @operation("POST", "/v1/customerPayment")
    def payment_create(self, payment: PaymentPayload) -> str:
        """Create a payment applied to invoices (fees as balance write-offs); returns its number."""
        return self._create("/v1/customerPayment", payment.body())

    @operation("POST", "/v1/customerPayment/{paymentNumber}/action/release")
    def payment_release(self, number: str, *, payment_type: str = "Payment") -> ActionResult:
        """Release a payment (or a refund: payment_type "Refund"); ValidationFailed when the action failed."""
        return self._action(
            f"/v1/customerPayment/{_segment(number)}/action/release", payment_release_body(payment_type)
        )

    @operation("GET", "/v1/customerPayment/{paymentNumber}")
    def payment_get(self, number: str) -> dict:
        return self._get(f"/v1/customerPayment/{_segment(number)}")

    @operation("GET", "/v1/customerPayment")
    def payment_find(
        self, reference: str, *, invoice_number: str | None = None, customer_number: str | None = None
    ) -> dict | None:
        """The payment whose paymentRef is exactly `reference`, or None.

        The API cannot filter on paymentRef: give the invoice it pays (or the
        customer) to narrow the search; without either every payment is read.
        """
        params = {"invoiceRefNbr": invoice_number, "customer": customer_number}
        return _first_exact(self.pages("/v1/customerPayment", params), "paymentRef", reference)

    # -- inventory ------------------------------------------------------------
    @operation("GET", "/v1/inventory")
    def inventory_list(
        self,
        *,
        modified_since: datetime | date | None = None,
        availability_modified_since: datetime | date | None = None,
        condition: str = ">=",
        status: str | None = None,
        expand_warehouse_detail: bool = True,
        expand_attribute: bool = True,
        page_size: int | None = None,
    ) -> Iterator[dict]:
        """Items page by page. Stock changes move availabilityLastModifiedDateTime, not lastModifiedDateTime."""
        params = {
            **self._changed(modified_since, condition),
            "status": status,
            "expandWarehouseDetail": expand_warehouse_detail,
            "expandAttribute": expand_attribute,
        }
        if availability_modified_since is not None:
            params["availabilityLastModifiedDateTime"] = filter_time(availability_modified_since)
            params["availabilityLastModifiedDateTimeCondition"] = condition
        return self.pages("/v1/inventory", params, page_size=page_size)

    @operation("GET", "/v1/inventory/{inventoryNumber}")
    def inventory_get(self, number: str) -> dict:
        return self._get(f"/v1/inventory/{_segment(number)}")

    # -- number sequences -----------------------------------------------------
    @operation("GET", "/v1/numberSequence")
    def number_sequence_list(self) -> list[dict]:
        return self._get("/v1/numberSequence") or []

    @operation("GET", "/v1/numberSequence/{numberingId}")
    def number_sequence_get(self, numbering_id: str) -> dict:
        """A numbering with its segments (startNbr, endNbr, lastNbr, nextNumber) for capacity checks."""
        return self._get(f"/v1/numberSequence/{_segment(numbering_id)}")


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
