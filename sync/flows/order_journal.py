"""The orders flow in journal mode (Integration.order_document "journal_entry"), and the journal's word on the
other modes. A mixin of OrdersFlow.

In journal mode an order is not sent alone: its invoice draft (order_mapping.invoice_draft: the same mapping
and VAT rules as an invoice) is recorded as its shares of the sales journal (journal_mapping.shares_of), dated
by the draft's document date (the order's day in the home country). The journal flow (journal.py) sends each
closed day's shares as entries. Re-reading an order not journalled yet replaces its shares; an order in an
entry is skipped; an order bound as an invoice or sales order is not journalled, and an order in an entry is
not sent as an invoice or sales order (an order is booked once).
"""

from __future__ import annotations

from sync.journal import journal_entries_of, journal_shares_queue, journal_shares_withdraw
from sync.models import JournalEntry, OrderDocument
from sync.money import money_text
from sync.shop import ShopOrder

from .base import Outcome
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

    @property
    def journal_mode(self) -> bool:
        return self.integration.order_document == OrderDocument.JOURNAL_ENTRY

    def journalled(self, order_numbers) -> set[str]:
        """Orders of a page that are in an entry created in the ERP: nothing to do, nothing to log."""
        entries = journal_entries_of(integration=self.integration, order_numbers=order_numbers)
        return {number for number, entry in entries.items() if entry.status == JournalEntry.Status.CREATED}

    def journal_withdraw(self, order_number: str, noun: str) -> Outcome | None:
        """Before an order is sent as an invoice or sales order (`noun`): skipped when it is in an entry;
        else its shares still queued for the journal are withdrawn (the setting changed)."""
        entry, _ = journal_shares_withdraw(integration=self.integration, order_number=order_number)
        return in_entry_outcome(order_number, entry, now=noun) if entry is not None else None

    def journal_queue(self, order: ShopOrder) -> Outcome:
        """Record the order's shares for its day's sales journal entries (or skip it, saying why)."""
        entries = journal_entries_of(integration=self.integration, order_numbers=[order.number])
        if order.number in entries:
            return in_entry_outcome(order.number, entries[order.number])
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
