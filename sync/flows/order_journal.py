"""The orders flow in journal mode (Integration.order_document "journal_entry"), and the journal's word on the
other modes. A mixin of OrdersFlow.

In journal mode an order is not sent alone: its invoice draft (order_mapping.invoice_draft: the same mapping
and VAT rules as an invoice) is recorded as its shares of the sales journal (journal_mapping.shares_of), dated
by the draft's document date (the order's day in the home country). The journal flow (journal.py) sends each
closed day's shares as entries. Re-reading an order not journalled yet replaces its shares; an order in an
entry is skipped, or fails naming the difference when its figures changed since (an entry is never re-sent); an order bound as an invoice or sales order is not journalled, and an order in an entry is
not sent as an invoice or sales order (an order is booked once).
"""

from __future__ import annotations

from sync.journal import (
    journal_entries_of,
    journal_share_difference,
    journal_shares_exist,
    journal_shares_queue,
    journal_shares_withdraw,
)
from sync.models import JournalEntry, OrderDocument
from sync.money import money_text
from sync.shop import ShopOrder

from .base import Outcome, RecordFailed
from .journal_mapping import shares_of
from .order_mapping import currency_places, invoice_draft

JOURNAL_NOUN = "sales journal entry"


def entry_name(entry: JournalEntry) -> str:
    """ "sales journal entry 42 (KOPPLA-2026-11-30-SEK-SE25-1)", or the reference alone before the ERP numbered it."""
    return (
        f"{JOURNAL_NOUN} {entry.erp_number} ({entry.reference})"
        if entry.erp_number
        else f"{JOURNAL_NOUN} {entry.reference}"
    )


def in_entry_outcome(order_number: str, entry: JournalEntry, *, now: str = "") -> Outcome:
    """Skipped: the order is in a sales journal entry already (`now`: what the integration sends today)."""
    message = f"Already in {entry_name(entry)}."
    if now:
        message += f" The integration now sends {now}s, but an order is sent once, so no {now} is made for it."
    return Outcome(status="skipped", target_id=entry.erp_number or entry.reference, message=message)


class OrderJournalMixin:
    """Journal mode of OrdersFlow (needs its integration, shop, mappings, item_numbers, dry_run)."""

    _journal_empty: bool | None = None  # no share of this integration exists (read once per run)

    @property
    def journal_mode(self) -> bool:
        return self.integration.order_document == OrderDocument.JOURNAL_ENTRY

    def journalled(self, items) -> set[str]:
        """Orders of a page (SourceItems) that are in an entry created in the ERP and still map to the figures
        journalled: nothing to do, nothing to log. One changed since is processed, so its record says so."""
        entries = journal_entries_of(integration=self.integration, order_numbers=[i.source_id for i in items])
        orders = {i.source_id: i.data for i in items if isinstance(i.data, ShopOrder)}
        return {
            number
            for number, entry in entries.items()
            if entry.status == JournalEntry.Status.CREATED and not self._changed_since_journalled(orders.get(number))
        }

    def _changed_since_journalled(self, order: ShopOrder | None) -> str:
        """How the order, as mapped now, differs from its shares in the journal ("" when it does not, or cannot
        be mapped: then it is left as journalled)."""
        if order is None:
            return ""
        try:
            shares = shares_of(invoice_draft(order, self.mappings, item_numbers=self.item_numbers))
        except RecordFailed:
            return ""
        return journal_share_difference(integration=self.integration, order_number=order.number, shares=shares)

    def _in_entry(self, order: ShopOrder, entry: JournalEntry) -> Outcome:
        """Skipped (the order is journalled); RecordFailed when it changed since: an entry is never re-sent,
        so the difference must be booked by hand."""
        difference = self._changed_since_journalled(order)
        if difference:
            raise RecordFailed(
                f"Order {order.number} changed after it was booked in {entry_name(entry)}: {difference} "
                f"({order.currency}). Koppla does not send an entry again: book the difference by hand in the ERP "
                "(or credit the order there)."
            )
        return in_entry_outcome(order.number, entry)

    def journal_withdraw(self, order_number: str, noun: str) -> Outcome | None:
        """Before an order is sent as an invoice or sales order (`noun`): skipped when it is in an entry;
        else its shares still queued for the journal are withdrawn (the setting changed). An integration
        that never journalled an order (read once per run) has nothing to withdraw: no query per order."""
        if self._journal_empty is None:
            self._journal_empty = not journal_shares_exist(integration=self.integration)
        if self._journal_empty:
            return None
        entry, _ = journal_shares_withdraw(integration=self.integration, order_number=order_number)
        return in_entry_outcome(order_number, entry, now=noun) if entry is not None else None

    def journal_queue(self, order: ShopOrder) -> Outcome:
        """Record the order's shares for its day's sales journal entries (or skip it, saying why)."""
        entries = journal_entries_of(integration=self.integration, order_numbers=[order.number])
        if order.number in entries:
            return self._in_entry(order, entries[order.number])
        elsewhere = self._sent_as_another(order.number)
        if elsewhere is not None:
            return elsewhere
        reason = self._not_exportable(order)
        if reason:
            if not self.dry_run:  # queued while it was exportable (paid, in an allowed status): no longer
                _, withdrawn = journal_shares_withdraw(integration=self.integration, order_number=order.number)
                if withdrawn:
                    reason += " Its share queued for the sales journal entry was withdrawn."
            return Outcome(status="skipped", message=reason)
        draft = invoice_draft(order, self.mappings, item_numbers=self.item_numbers)
        _, places = currency_places(self.mappings, order.currency, what=f"Order {order.number}")
        shares = shares_of(draft)
        if not shares:
            return Outcome(
                status="skipped",
                message=f"Order {order.number} books nothing (no amount in any VAT category): there is nothing to "
                "put in a sales journal entry.",
            )
        request = {
            "day": draft.document_date,
            "currency": draft.currency,
            "shares": [
                {
                    "vat_category": share.vat_category,
                    "lines": [{"account": account, "net": str(net)} for account, net in share.lines],
                    "net": str(share.net),
                    "vat": str(share.vat),
                    "gross": str(share.gross),
                    **(
                        {"outside_vat": [{"account": a, "amount": str(x)} for a, x in share.untaxed]}
                        if share.untaxed
                        else {}
                    ),
                }
                for share in shares
            ],
        }
        totals = "; ".join(
            f"{share.vat_category}: net {money_text(share.net, draft.currency, places)} + VAT "
            f"{money_text(share.vat, draft.currency, places)}"
            + "".join(f" + öre rounding {money_text(x, draft.currency, places)}" for _, x in share.untaxed)
            + f" = {money_text(share.gross, draft.currency, places)}"
            for share in shares
        )
        if self.dry_run:
            return Outcome(
                status="dry_run",
                request=request,
                message=f"Would be queued for the sales journal entry of {draft.document_date} ({totals}).",
            )
        entry = journal_shares_queue(
            integration=self.integration,
            order_number=order.number,
            day=draft.document_date,
            currency=draft.currency,
            places=places,
            currency_rate=draft.currency_rate,
            shares=shares,
        )
        if entry is not None:  # journalled meanwhile by the journal flow
            return in_entry_outcome(order.number, entry)
        message = f"Queued for the sales journal entry of {draft.document_date} ({totals})."
        if draft.warnings:
            message += " Warning: " + " ".join(draft.warnings)
        return Outcome(status="ok", request=request, message=message)
