"""Sales journal entries → ERP (Flow.JOURNAL): each closed day's orders, one journal transaction per day,
currency and VAT category, exactly once.

fetch: the groups (day, currency, VAT category) with shares not in an entry (order_journal.py queued them)
       whose day is over: strictly before today in the integration's home country (vat_rules.local_today,
       else settings.TIME_ZONE), the zone its orders are dated in; and the entries made but not confirmed.
       One record per entry, keyed by its reference "KOPPLA-<day>-<currency>-<category>-<sequence>".
map:   journal_mapping.journal_draft: credit the revenue accounts (the nets), credit the category's VAT account
       (Sync › Sales journal VAT accounts, else the ERP's word: an adapter's optional
       `journal_vat_account(vat_category) -> str`), debit Integration.journal_receivable_account (the gross).
       Balanced and exact. A group that cannot be mapped fails alone before anything is written.
bind:  the intent first (sync.journal.journal_entry_intend): the entry row with its reference and its shares,
       in one transaction, before the remote create. Then document_ensure (ExternalRef JOURNAL_TRANSACTION,
       source the reference, target the ERP's number): an entry made in an earlier attempt is looked up by its
       reference (`erp.journal_transaction_find`) before it is created; a fresh intent is created at once.
write: `erp.journal_transaction_create`, bound the moment it answers.
Late orders of a day that has entries go into the next sequence of that day. A refund of a journalled order
is not credited (refunds.py says so on the return's record).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.adapters import erp_for
from sync import ports
from sync.bindings import binding_get, document_ensure
from sync.drafts import JournalDraft
from sync.journal import (
    journal_entries_pending,
    journal_entry_created,
    journal_entry_get,
    journal_entry_intend,
    journal_entry_shares,
    journal_group_shares,
    journal_groups_due,
    journal_next_sequence,
    journal_vat_accounts,
)
from sync.models import ExternalRef, Flow, JournalEntry
from sync.money import money_text
from sync.record_names import record_name

from .base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from .erp_documents import nothing_written
from .journal_mapping import QueuedShare, journal_draft, journal_reference, journal_totals_text, reference_parse
from .vat_rules import local_today


@dataclass(frozen=True)
class Group:
    day: str  # YYYY-MM-DD
    currency: str
    vat_category: str
    sequence: int

    @property
    def reference(self) -> str:
        return journal_reference(self.day, self.currency, self.vat_category, self.sequence)


class JournalFlow(FlowRunner):
    flow = Flow.JOURNAL

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.erp = erp_for(self.integration)
        self._vat_accounts: dict[str, str] | None = None
        self.payload = None

    def connections(self) -> list:
        return [self.integration.erp]

    # -- reading ------------------------------------------------------------------
    def _check_erp(self) -> None:
        if ports.JOURNAL_TRANSACTION not in self.erp.capabilities:
            raise RecordFailed(
                f"Koppla cannot send sales journal entries to {self.erp.display_name}. Choose another order document "
                "in Sync › Integrations, or switch this flow off."
            )

    def _item(self, data: Group | JournalEntry) -> SourceItem:
        reference = data.reference
        return SourceItem(source_id=reference, label=record_name("journal_transaction", reference), data=data)

    def changed_since(self, cursor: str) -> Plan:
        """Entries not confirmed yet first (their shares are fixed), then each closed day's groups left."""
        self._check_erp()
        today = local_today(self.integration.home_country)
        items = [self._item(entry) for entry in journal_entries_pending(integration=self.integration)]
        for day, currency, category in journal_groups_due(integration=self.integration, before=today):
            sequence = journal_next_sequence(
                integration=self.integration, day=day, currency=currency, vat_category=category
            )
            items.append(self._item(Group(day.isoformat(), currency, category, sequence)))
        notes = [] if items else [f"No closed day (before {today}) has orders waiting for a sales journal entry."]
        return Plan(items=items, total=len(items), notes=notes)

    def fetch(self, source_id: str) -> SourceItem:
        self._check_erp()
        entry = journal_entry_get(integration=self.integration, reference=source_id)
        if entry is not None:
            return self._item(entry)
        parsed = reference_parse(source_id)
        if parsed is None:
            raise RecordFailed(f"'{source_id}' is not the reference of a sales journal entry of Koppla.")
        return self._item(Group(*parsed))

    # -- one entry -------------------------------------------------------------------
    def vat_account(self, vat_category: str) -> str:
        """The account the category's VAT is credited to: the mapping's, else the ERP's word, else ""."""
        if self._vat_accounts is None:
            self._vat_accounts = journal_vat_accounts(integration=self.integration)
        if vat_category not in self._vat_accounts:
            ask = getattr(self.erp, "journal_vat_account", None)
            self._vat_accounts[vat_category] = (ask(vat_category) or "") if callable(ask) else ""
        return self._vat_accounts[vat_category]

    def _draft(self, reference: str, group: Group, shares: list[QueuedShare], places: int) -> JournalDraft:
        vat = sum((share.figures.vat for share in shares), 0)
        return journal_draft(
            reference=reference,
            day=group.day,
            currency=group.currency,
            vat_category=group.vat_category,
            shares=shares,
            receivable_account=self.integration.journal_receivable_account,
            vat_account=self.vat_account(group.vat_category) if vat else "",
            places=places,
            branch=self.integration.erp_branch,
        )

    def _precheck(self, draft: JournalDraft) -> None:
        problems = self.erp.journal_transaction_problems(draft)
        if problems:
            raise RecordFailed(
                f"{record_name('journal_transaction', draft.reference)} cannot be sent as it is: "
                f"{'; '.join(problems)}. {nothing_written(self.erp)}. Correct the mapping or the orders, then resync.",
                request=self.erp.journal_transaction_request(draft),
            )

    def process(self, item: SourceItem) -> Outcome:
        data = item.data
        fresh = False
        if isinstance(data, Group):
            entry = journal_entry_get(integration=self.integration, reference=data.reference)
            if entry is None:
                if data.day >= local_today(self.integration.home_country):
                    return Outcome(status="skipped", message=f"{data.day} is not over yet; its entry is made after it.")
                shares, places = journal_group_shares(
                    integration=self.integration, day=data.day, currency=data.currency, vat_category=data.vat_category
                )
                if not shares:
                    return Outcome(status="skipped", message=f"No order of {data.day} is waiting for this entry.")
                draft = self._draft(data.reference, data, shares, places)  # fails before anything is written
                self._precheck(draft)
                if self.dry_run:
                    return Outcome(
                        status="dry_run",
                        request=self.erp.journal_transaction_request(draft),
                        message=f"Would create {self._summary(draft, shares, places)}",
                    )
                entry, fresh = journal_entry_intend(
                    integration=self.integration,
                    day=data.day,
                    currency=data.currency,
                    vat_category=data.vat_category,
                    sequence=data.sequence,
                    reference=data.reference,
                )
                if entry is None:
                    return Outcome(status="skipped", message=f"No order of {data.day} is waiting for this entry.")
        else:
            entry = data
        return self._send(entry, fresh=fresh)

    def _send(self, entry: JournalEntry, *, fresh: bool) -> Outcome:
        """Find (an entry made in an earlier attempt) or create the entry's transaction, bound at once."""
        reference = entry.reference
        ref = binding_get(integration=self.integration, kind=ExternalRef.Kind.JOURNAL_TRANSACTION, source_id=reference)
        if entry.status == JournalEntry.Status.CREATED and ref is not None:
            return Outcome(
                status="skipped", target_id=entry.erp_number, message=f"Already created as {entry.erp_number}."
            )
        group = Group(entry.day.isoformat(), entry.currency, entry.vat_category, entry.sequence)
        shares, places = journal_entry_shares(entry=entry)
        draft = self._draft(reference, group, shares, places)
        if not fresh and ref is None:
            self._precheck(draft)
        if self.dry_run:
            return Outcome(
                status="dry_run",
                request=self.erp.journal_transaction_request(draft),
                message=f"Made in Koppla, not confirmed by the ERP; a live run would look it up, then create "
                f"{self._summary(draft, shares, places)}",
            )
        ensured = document_ensure(
            integration=self.integration,
            kind=ExternalRef.Kind.JOURNAL_TRANSACTION,
            source_id=reference,
            ref=ref,
            find=lambda: None if fresh else self._find(draft),
            create=lambda: self._create(draft),
            post=lambda number, check_status: None,  # journal transactions are not released by Koppla
            posted_data=lambda ensured, bound: self._binding_data(draft, shares, places),
            pending=not fresh,  # the entry row is the intent: an entry made before may exist remotely
        )
        journal_entry_created(entry=entry, number=ensured.number)
        verb = "Created" if ensured.created else "Bound the earlier"
        return Outcome(
            status="ok",
            target_id=ensured.number,
            request=self.payload,
            response={
                "journal_transaction": ensured.number,
                "reference": reference,
                "orders": list(draft.order_numbers),
                **self._binding_data(draft, shares, places),
            },
            message=f"{verb} {self._summary(draft, shares, places, number=ensured.number)}",
        )

    def _find(self, draft: JournalDraft) -> tuple[str, dict] | None:
        found = self.erp.journal_transaction_find(draft.reference)
        if found is None:
            return None
        return found.number, {"found_by": "search", "total": str(found.total) if found.total is not None else ""}

    def _create(self, draft: JournalDraft) -> tuple[str, dict]:
        self.payload = self.erp.journal_transaction_request(draft)
        number = self.erp.journal_transaction_create(draft)
        return number, {"created": True}

    @staticmethod
    def _binding_data(draft: JournalDraft, shares: list[QueuedShare], places: int) -> dict:
        net = sum((share.figures.net for share in shares), 0)
        vat = sum((share.figures.vat for share in shares), 0)
        return {
            "day": draft.transaction_date,
            "currency": draft.currency,
            "vat_category": draft.vat_category,
            "net": str(net),
            "vat": str(vat),
            "total": str(draft.total),
            "order_count": len(draft.order_numbers),
        }

    @staticmethod
    def _summary(draft: JournalDraft, shares: list[QueuedShare], places: int, *, number: str = "") -> str:
        net = sum((share.figures.net for share in shares), 0)
        vat = sum((share.figures.vat for share in shares), 0)
        name = (
            f"sales journal entry {number} ({draft.reference})" if number else f"sales journal entry {draft.reference}"
        )
        orders = ", ".join(draft.order_numbers[:20]) + (" …" if len(draft.order_numbers) > 20 else "")
        return (
            f"{name} of {draft.transaction_date}: {journal_totals_text(draft, net=net, vat=vat, places=places)} "
            f"(debit {money_text(draft.total, draft.currency, places)}). Orders: {orders}."
        )
