"""Visma.net ERP API client: the only code that speaks HTTP to Visma.net.

Thin, typed methods named `<noun>_<verb>`, one per API operation (each marked
with `@operation(METHOD, path)` so contract tests can list them). Reads return
the ERP's JSON with numbers parsed as `Decimal`; writes take the payload
dataclasses of `schemas.py`. Errors are the typed errors of `integrations.http`
(Visma.net's error shapes are read in errors.py; the operation marker, filter
times, Location numbers and action results are in operations.py).

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

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests

from integrations.clients import http_client_for
from integrations.http import (
    SYSTEM_CLOCK,
    AuthError,
    Clock,
    NotFound,
    RetryPolicy,
    ValidationFailed,
)
from integrations.models import Connection

from .client_orders import VismaNetOrderCalls
from .errors import error_message_from, visma_error_message
from .keys import key_segment
from .operations import (
    ActionResult,
    _clean,
    _first_exact,
    filter_time,
    number_from_location,
    operation,
    vat_category_rate,
)
from .paging import read_pages
from .schemas import (
    ContactPerson,
    CreditNotePayload,
    CustomerPayload,
    InvoicePayload,
    PaymentPayload,
    payment_release_body,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ActionResult",
    "VismaNetClient",
    "error_message_from",
    "filter_time",
    "number_from_location",
    "operation",
    "vat_category_rate",
    "visma_error_message",
]

DEFAULT_PAGE_SIZE = 500

_segment = key_segment  # every key that goes into a path


# --------------------------------------------------------------------------- client
class VismaNetClient(VismaNetOrderCalls):
    """Visma.net ERP for one Connection. `clock` and `policy` go to the HTTP layer (tests pass a FakeClock).

    Sales order and journal transaction calls are client_orders.py's (VismaNetOrderCalls)."""

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
        """One cheap read for the admin's "Test connection", in words without the system's name (the message
        names the connection): e.g. "4 customer classes, company Koppla Demo AB"."""
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

    @operation("POST", "/v1/contact")
    def contact_create(self, contact: ContactPerson) -> str:
        """Create a contact person of a customer (its businessAccount); returns the contact's id."""
        return self._create("/v1/contact", contact.body())

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
