"""VismaNetClient's sales order and journal transaction calls (mixed into client.py's VismaNetClient).

Facts of the spec (visma-net-erp-v1) these calls rely on:
- POST /v1/salesorder (SalesOrderUpdateDto) and POST /v2/journaltransaction (JournalTransactionUpdateDto)
  answer 201 with the new number in the Location header, like every create. Journal transactions have
  no v1 create in the spec: v2 is the one.
- GET /v1/salesorder filters by orderType, status, order number (greaterThanValue) and lastModifiedDateTime,
  not by customerRefNo / customerOrder: an order is found by our reference by reading the list and
  comparing exactly here (adapter_orders.py keeps what it read, so a run reads the list once).
- GET /v2/journaltransaction needs periodId or lastModifiedDateTime ("modified since that time, up to the
  present": no condition parameter), filters by module and branch, not by description or reference; its
  paging counts journal transaction lines, not batches, and one batch may come split over two pages
  (paging.read_pages with the lines as weight; `journal_transaction_batches` joins the parts).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from .keys import key_segment
from .operations import filter_time, operation
from .paging import read_pages
from .schemas import JournalTransactionPayload, SalesOrderPayload


def _lines(record: dict) -> int:
    return max(1, len(record.get("journalTransactionLines") or []))


class VismaNetOrderCalls:
    """Sales orders and journal transactions; needs VismaNetClient's `_get`, `_create`, `_changed`, `pages`."""

    # -- sales orders -----------------------------------------------------------------
    @operation("POST", "/v1/salesorder")
    def sales_order_create(self, order: SalesOrderPayload | dict) -> str:
        """Create a sales order (a payload, or its body as finished); returns its order number. Look it up
        first: there is no idempotency key."""
        return self._create("/v1/salesorder", order if isinstance(order, dict) else order.body())

    @operation("GET", "/v1/salesorder/{orderNbr}")
    def sales_order_get(self, number: str) -> dict:
        """A sales order (SalesOrderDto) by its number; NotFound when there is none."""
        return self._get(f"/v1/salesorder/{key_segment(number)}")

    @operation("GET", "/v1/salesorder")
    def sales_order_list(
        self,
        *,
        order_type: str | None = None,
        modified_since: datetime | date | None = None,
        condition: str = ">=",
        page_size: int | None = None,
    ) -> Iterator[dict]:
        """Sales orders (of one order type when given), optionally only those modified since a moment."""
        params = {**self._changed(modified_since, condition), "orderType": order_type}
        return self.pages("/v1/salesorder", params, page_size=page_size)

    # -- journal transactions -------------------------------------------------------------
    @operation("POST", "/v2/journaltransaction")
    def journal_transaction_create(self, transaction: JournalTransactionPayload | dict) -> str:
        """Create a journal transaction (a GL batch; a payload, or its body as finished); returns its batch number."""
        body = transaction if isinstance(transaction, dict) else transaction.body()
        return self._create("/v2/journaltransaction", body)

    @operation("GET", "/v2/journaltransaction/{journalTransactionNumber}")
    def journal_transaction_get(self, number: str) -> dict:
        """A journal transaction (JournalTransactionDto) by its batch number; NotFound when there is none."""
        return self._get(f"/v2/journaltransaction/{key_segment(number)}")

    @operation("GET", "/v2/journaltransaction")
    def journal_transaction_list(
        self,
        *,
        modified_since: datetime | date | None = None,
        period: str | None = None,
        module: str | None = "GL",
        branch: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict]:
        """Journal transactions modified since a moment, or of a financial period (YYYYPP): one is required.

        Parts of a batch split over two pages come as separate records: use `journal_transaction_batches`.
        """
        if modified_since is None and not period:
            raise ValueError("Visma.net lists journal transactions of a period or modified since a moment: give one.")
        params = {
            "lastModifiedDateTime": filter_time(modified_since) if modified_since is not None else None,
            "periodId": period,
            "module": module,
            "branch": branch,
        }
        path = "/v2/journaltransaction"
        return read_pages(
            lambda paging: self._get(path, {**params, **paging}), path, size=page_size or self.page_size, weight=_lines
        )


def journal_transaction_batches(records: Iterator[dict]) -> Iterator[dict]:
    """Whole batches from a journal transaction listing: a batch split over two pages is joined again
    (its parts follow each other), its lines in order."""
    current: dict | None = None
    for record in records:
        if current is not None and record.get("batchNumber") == current.get("batchNumber"):
            current["journalTransactionLines"] = list(current.get("journalTransactionLines") or []) + list(
                record.get("journalTransactionLines") or []
            )
            continue
        if current is not None:
            yield current
        current = dict(record)
    if current is not None:
        yield current
