"""Sales journal entries: the writes (services) and reads (selectors) of JournalShare and JournalEntry.

Writes, one transaction each:
- `journal_shares_queue`: the orders flow records an order's shares (replacing those not yet in an entry).
- `journal_shares_withdraw`: an order sent as another document leaves the journal (its queued shares go).
- `journal_entry_intend`: the journal flow's intent, before the remote create: the entry row with its
  reference, and every share of its group not yet in an entry attached to it, its totals from those.
- `journal_entry_created`: the ERP's number on the entry once bound.
Reads: the groups due, pending entries, a group's or an entry's shares, the entries orders are in, how an
order's shares as mapped now differ from those journalled.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum

from sync.flows.journal_mapping import QueuedShare, ShareFigures
from sync.models import Integration, JournalEntry, JournalShare, JournalVatAccount
from sync.vat import round_money

ZERO = Decimal("0")


# --------------------------------------------------------------------------- services
def journal_shares_queue(
    *,
    integration: Integration,
    order_number: str,
    day: str,
    currency: str,
    places: int,
    currency_rate: Decimal | None,
    shares: list[ShareFigures],
) -> JournalEntry | None:
    """Record the order's shares (one per VAT category), replacing its shares not yet in an entry.

    Returns the entry the order is already in (nothing changed then: an order in an entry is never
    re-sent), else None. Rows are locked while they are replaced, so the journal flow attaches either
    the old shares or the new ones, never a mix."""
    with transaction.atomic():
        existing = list(
            JournalShare.objects.select_for_update().filter(integration=integration, order_number=order_number)
        )
        attached = [share for share in existing if share.entry_id]
        if attached:
            return attached[0].entry
        categories = {share.vat_category for share in shares}
        JournalShare.objects.filter(pk__in=[s.pk for s in existing if s.vat_category not in categories]).delete()
        for share in shares:
            JournalShare.objects.update_or_create(
                integration=integration,
                order_number=order_number,
                vat_category=share.vat_category,
                defaults={
                    "day": day,
                    "currency": currency,
                    "lines": [{"account": account, "net": str(net)} for account, net in share.lines]
                    + [
                        {"account": account, "net": str(amount), "outside_vat": True}
                        for account, amount in share.untaxed
                    ],
                    "net": share.net,
                    "vat": share.vat,
                    "gross": share.gross,
                    "places": places,
                    "currency_rate": currency_rate,
                },
            )
    return None


def journal_shares_withdraw(*, integration: Integration, order_number: str) -> tuple[JournalEntry | None, int]:
    """Take the order out of the journal (it is sent as another document, or no longer exported): its shares
    not yet in an entry are deleted. Returns (the entry it is already in, or None; how many shares went)."""
    with transaction.atomic():
        withdrawn, _ = JournalShare.objects.filter(
            integration=integration, order_number=order_number, entry__isnull=True
        ).delete()
        share = (
            JournalShare.objects.filter(integration=integration, order_number=order_number)
            .select_related("entry")
            .first()
        )
    return (share.entry if share else None), withdrawn


def journal_entry_intend(
    *, integration: Integration, day: str, currency: str, vat_category: str, sequence: int, reference: str
) -> tuple[JournalEntry | None, bool]:
    """(The entry of a group, made now), made and filled in one transaction before its remote create.

    Every share of (day, currency, VAT category) not yet in an entry is attached to it; its totals are those
    of the shares attached (whatever the orders flow wrote last). An entry of that reference made before is
    returned as it is, with False (it may exist remotely: look it up first). (None, False) when there was
    nothing to attach (no entry is left behind)."""
    with transaction.atomic():
        existing = JournalEntry.objects.filter(integration=integration, reference=reference).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    integration=integration,
                    day=day,
                    currency=currency,
                    vat_category=vat_category,
                    sequence=sequence,
                    reference=reference,
                )
        except IntegrityError:
            return JournalEntry.objects.filter(integration=integration, reference=reference).first(), False
        attached = JournalShare.objects.filter(
            integration=integration, day=day, currency=currency, vat_category=vat_category, entry__isnull=True
        ).update(entry=entry)
        if not attached:
            entry.delete()
            return None, False
        totals = JournalShare.objects.filter(entry=entry).aggregate(
            net=Sum("net"), vat=Sum("vat"), gross=Sum("gross"), orders=Count("order_number", distinct=True)
        )
        entry.net, entry.vat, entry.gross = totals["net"] or ZERO, totals["vat"] or ZERO, totals["gross"] or ZERO
        entry.order_count = totals["orders"] or 0
        entry.save(update_fields=["net", "vat", "gross", "order_count", "updated_at"])
    entry.refresh_from_db()  # the day as a date
    return entry, True


def journal_entry_created(*, entry: JournalEntry, number: str) -> JournalEntry:
    """The entry is in the ERP under `number` (its binding is saved already)."""
    with transaction.atomic():
        entry.status = JournalEntry.Status.CREATED
        entry.erp_number = number[:100]
        entry.save(update_fields=["status", "erp_number", "updated_at"])
    return entry


# --------------------------------------------------------------------------- selectors
def journal_groups_due(*, integration: Integration, before: str) -> list[tuple[date, str, str]]:
    """(day, currency, VAT category) of the shares not in an entry whose day is before `before` (YYYY-MM-DD)."""
    rows = (
        JournalShare.objects.filter(integration=integration, entry__isnull=True, day__lt=before)
        .values_list("day", "currency", "vat_category")
        .distinct()
        .order_by("day", "currency", "vat_category")
    )
    return list(rows)


def journal_entries_pending(*, integration: Integration) -> list[JournalEntry]:
    """Entries made in Koppla whose remote create is not confirmed (a crash or a lost answer): oldest first."""
    return list(JournalEntry.objects.filter(integration=integration, status=JournalEntry.Status.PENDING).order_by("pk"))


def journal_entry_get(*, integration: Integration, reference: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(integration=integration, reference=reference).first()


def journal_next_sequence(*, integration: Integration, day, currency: str, vat_category: str) -> int:
    """1 for a group without entries, else one more than its last entry's."""
    last = JournalEntry.objects.filter(
        integration=integration, day=day, currency=currency, vat_category=vat_category
    ).aggregate(last=Max("sequence"))["last"]
    return (last or 0) + 1


def _queued(share: JournalShare) -> QueuedShare:
    """The share in its currency's decimals (the columns hold 4; what is stored was exact in `places`)."""
    places = share.places

    def rows(outside: bool) -> tuple[tuple[str, Decimal], ...]:
        return tuple(
            (row["account"], round_money(Decimal(row["net"]), places))
            for row in share.lines
            if bool(row.get("outside_vat")) == outside
        )

    figures = ShareFigures(
        share.vat_category,
        rows(False),
        round_money(Decimal(share.net), places),
        round_money(Decimal(share.vat), places),
        rows(True),
    )
    return QueuedShare(share.order_number, figures, share.currency_rate)


def journal_group_shares(
    *, integration: Integration, day, currency: str, vat_category: str
) -> tuple[list[QueuedShare], int]:
    """The shares of a group not yet in an entry, and the currency's decimals."""
    shares = list(
        JournalShare.objects.filter(
            integration=integration, day=day, currency=currency, vat_category=vat_category, entry__isnull=True
        ).order_by("order_number")
    )
    return [_queued(share) for share in shares], (shares[0].places if shares else 2)


def journal_entry_shares(*, entry: JournalEntry) -> tuple[list[QueuedShare], int]:
    """The shares attached to an entry, and the currency's decimals."""
    shares = list(entry.shares.order_by("order_number"))
    return [_queued(share) for share in shares], (shares[0].places if shares else 2)


def journal_entries_of(*, integration: Integration, order_numbers) -> dict[str, JournalEntry]:
    """order number → an entry the order is in (orders with a share attached to an entry)."""
    shares = JournalShare.objects.filter(
        integration=integration, order_number__in=list(order_numbers), entry__isnull=False
    ).select_related("entry")
    return {share.order_number: share.entry for share in shares}


def journal_shares_exist(*, integration: Integration) -> bool:
    """Whether the integration has ever queued an order for the sales journal (one query)."""
    return JournalShare.objects.filter(integration=integration).exists()


def journal_share_of(*, integration: Integration, order_number: str) -> JournalShare | None:
    """A share of the order (one in an entry first), with its entry, or None when the order is not in the journal."""
    return (
        JournalShare.objects.filter(integration=integration, order_number=order_number)
        .select_related("entry")
        .order_by(F("entry_id").desc(nulls_last=True))
        .first()
    )


def journal_share_difference(*, integration: Integration, order_number: str, shares: list[ShareFigures]) -> str:
    """How the order's shares as mapped now differ from those in the journal, per VAT category ("" when the
    same): "SE25 net 100.00 → 120.00, VAT 25.00 → 30.00; SE6 net 10.00 → none"."""
    stored = {
        share.vat_category: (round_money(share.net, share.places), round_money(share.vat, share.places))
        for share in JournalShare.objects.filter(integration=integration, order_number=order_number)
    }
    now = {share.vat_category: (share.net, share.vat) for share in shares}
    parts = []
    for category in sorted(set(stored) | set(now)):
        before, after = stored.get(category), now.get(category)
        if before == after:
            continue
        if before is None or after is None:
            shown = f"net {before[0]} + VAT {before[1]}" if before else f"net {after[0]} + VAT {after[1]}"
            parts.append(f"{category} {shown} {'now missing' if before else 'not in the entry'}")
            continue
        changes = [
            f"{name} {old} → {new}"
            for name, old, new in (("net", before[0], after[0]), ("VAT", before[1], after[1]))
            if old != new
        ]
        parts.append(f"{category} {', '.join(changes)}")
    return "; ".join(parts)


def journal_vat_accounts(*, integration: Integration) -> dict[str, str]:
    """VAT category → account of Sync › Sales journal VAT accounts."""
    return dict(JournalVatAccount.objects.filter(integration=integration).values_list("vat_category", "account"))
