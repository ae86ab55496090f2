"""VismaNetErp's sales orders and sales journal entries (mixed into integrations/visma_net/adapter.py).

Ports: `sales_order_*` (capability SALES_ORDER) and `journal_transaction_*` (capability JOURNAL_TRANSACTION),
sync/ports.py. Payloads and records are payloads_orders.py's (the exact-amount and VAT rules are in its
docstring), the calls client_orders.py's.

Finding what Koppla sent (there is no idempotency key, and neither list filters on our reference):
- A sales order carries the shop's order number in customerRefNo. `sales_order_find` reads the sales order
  list once per adapter (one run), keeps each order (its head, without lines) by its customerRefNo, and on
  later finds reads only the orders modified since the newest change it saw (minus FIND_OVERLAP, for the
  ERP's clock and time zone): a run reads the list once, and an order created since is found. The
  reference is compared exactly.
- A journal transaction carries Koppla's reference as its description. `journal_transaction_find` reads the
  GL batches modified since the day before the entry's date (JournalDraft.reference names the day summarised,
  "KOPPLA-2026-11-30-…"; a batch for a day is made on or after that day), or every GL batch when the
  reference names no day, and compares the description exactly.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.conf import settings

from sync.drafts import InvoiceDraft, JournalDraft
from sync.erp import JOURNAL_TRANSACTION, SALES_ORDER, ErpDocument

from .client_orders import journal_transaction_batches
from .limits import document_problems
from .payloads_orders import (
    journal_from_visma,
    journal_payload,
    journal_problems,
    order_line_problems,
    order_vat_differences,
    sales_order_from_visma,
    sales_order_payload,
)

FIND_OVERLAP = timedelta(minutes=15)
DEFAULT_ROUNDING_ITEM = "ROUNDING"
EARLIEST = date(2000, 1, 1)  # a reference without a day: every GL batch since
DAY_IN_REFERENCE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
ERP_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def rounding_item() -> str:
    """The non-stock item a sales order's öre rounding line is sold as (setting VISMA_NET_ROUNDING_ITEM,
    default "ROUNDING"): a sales order line needs an item (spec SalesOrderLineUpdateDto)."""
    return str(getattr(settings, "VISMA_NET_ROUNDING_ITEM", DEFAULT_ROUNDING_ITEM) or "")


def reference_day(reference: str) -> date | None:
    """The day a journal entry's reference names (its first YYYY-MM-DD), None when it names none."""
    match = DAY_IN_REFERENCE.search(reference)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


class VismaNetOrders:
    """Needs VismaNetErp's `client`, `vat_categories()`, `vat_ids`, `exempt_category`, `no_vat_problems` and
    `body_finish` (BodyFinishing)."""

    client = None  # the VismaNetClient, set by VismaNetErp
    _orders_by_reference: dict[str, dict] | None = None
    _orders_read_until: datetime | None = None

    # -- sales orders ---------------------------------------------------------------------
    def sales_order_problems(self, draft: InvoiceDraft) -> list[str]:
        """What Visma.net would refuse in the sales order, or book otherwise than drafted (lines it cannot
        carry exactly, VAT per category its lines would not reproduce), before any customer is resolved."""
        body = sales_order_payload(draft, customer_number=draft.default_customer_number or "0").body()
        body = self.body_finish(SALES_ORDER, body)  # a field rule that cannot apply fails here, before any write
        problems = document_problems(body, lines_key="lines", what="sales order")
        problems += order_line_problems(draft, rounding_item=rounding_item())
        return problems + order_vat_differences(draft) + self.no_vat_problems(draft.lines)

    def sales_order_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict:
        payload = sales_order_payload(
            draft,
            customer_number=customer_number,
            exempt_category=self.exempt_category,
            rounding_item=rounding_item(),
        )
        return self.body_finish(SALES_ORDER, payload.body())

    def sales_order_create(self, draft: InvoiceDraft, *, customer_number: str) -> str:
        return self.client.sales_order_create(self.sales_order_request(draft, customer_number=customer_number))

    def sales_order_find(self, order_number: str) -> ErpDocument | None:
        """The sales order whose customerRefNo is exactly `order_number` (a cancelled one too: it was sent)."""
        node = self._orders_index().get(order_number)
        return None if node is None else sales_order_from_visma(node)

    def sales_order_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        node = self.client.sales_order_get(number)
        rates = self._rates_on(str(node.get("date") or "")[:10]) if figures else None
        return sales_order_from_visma(node, rates=rates, figures=figures)

    def _orders_index(self) -> dict[str, dict]:
        """customerRefNo → the sales order, brought up to date (see the module docstring)."""
        index, newest = self._orders_by_reference, self._orders_read_until
        if index is None or newest is None:
            index, nodes = {}, self.client.sales_order_list()
        else:
            nodes = self.client.sales_order_list(modified_since=newest - FIND_OVERLAP)
        for node in nodes:
            reference = str(node.get("customerRefNo") or "")
            if reference:
                known = index.get(reference)
                if known is None or known.get("orderNo") == node.get("orderNo"):
                    index[reference] = {k: v for k, v in node.items() if k not in ("lines", "shipments")}
            stamp = str(node.get("lastModifiedDateTime") or "")
            if ERP_STAMP.match(stamp):
                moment = datetime.fromisoformat(stamp[:19])
                newest = moment if newest is None or moment > newest else newest
        self._orders_by_reference, self._orders_read_until = index, newest
        return index

    def _rates_on(self, day: str) -> dict:
        """VAT category → its rate on `day` (YYYY-MM-DD; the latest rate when empty)."""
        rates = {}
        for category in self.vat_categories():
            in_force = [rate for start, rate in category.rates if not day or start <= day]
            if in_force:
                rates[category.id] = in_force[-1]
        return rates

    # -- journal transactions -----------------------------------------------------------------
    def journal_transaction_problems(self, draft: JournalDraft) -> list[str]:
        """What Visma.net would refuse in the entry (journal_problems, sizes), and VAT categories it does not
        hold, or whose VAT line could not name its VAT (a category of more than one VAT)."""
        body = journal_payload(draft, vat_ids={}).body()
        problems = document_problems(body, lines_key="journalTransactionLines", what="journal entry")
        known = {category.id for category in self.vat_categories()}
        for category in sorted({line.vat_category for line in draft.lines if line.vat_category}):
            if category not in known:
                problems.append(f"VAT category {category} does not exist in Visma.net: map an existing one")
            elif category not in self.vat_ids and any(
                line.vat_category == category and line.taxable == 0 for line in draft.lines
            ):
                problems.append(
                    f"VAT category {category} holds more than one VAT in Visma.net: the entry's VAT line cannot "
                    "name the VAT it books"
                )
        return problems + journal_problems(draft)

    def journal_transaction_request(self, draft: JournalDraft) -> dict:
        body = journal_payload(draft, vat_ids=self.vat_ids).body()
        return self.body_finish(JOURNAL_TRANSACTION, body)

    def journal_transaction_create(self, draft: JournalDraft) -> str:
        """Create the batch; returns its batch number."""
        return self.client.journal_transaction_create(self.journal_transaction_request(draft))

    def journal_transaction_find(self, reference: str) -> ErpDocument | None:
        """The GL batch whose description is exactly `reference`, or None (see the module docstring)."""
        day = reference_day(reference)
        since = day - timedelta(days=1) if day is not None else EARLIEST
        batches = journal_transaction_batches(self.client.journal_transaction_list(modified_since=since))
        for node in batches:
            if str(node.get("description") or "") == reference:
                return self.journal_transaction_get(str(node.get("batchNumber") or ""))
        return None

    def journal_transaction_get(self, number: str) -> ErpDocument:
        return journal_from_visma(self.client.journal_transaction_get(number))
