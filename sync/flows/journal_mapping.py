"""Orders → sales journal entries, the pure part: an order's share per VAT category, a group's journal draft.

An order sent as a sales journal entry (Integration.order_document "journal_entry") is mapped exactly as its
invoice would be (order_mapping.invoice_draft: same tax zone, VAT categories, accounts, rounding line). Its
share of the journal (`shares_of`) is, per VAT category of the invoice draft: the lines' nets summed per
revenue account, the category's VAT (the shop's, as the draft states it), and net + VAT. So the shares of an
order add up to its invoice's net, VAT and total exactly. Lines outside VAT (the shop's öre rounding,
order_mapping.rounding_line) belong to no category: they ride in the share of the order's first category
(`untaxed`, on their own account), so the shares still add up to the invoice's total.

A day's shares of one currency and VAT category become one balanced JournalDraft (`journal_draft`):
    credit  each revenue account: the sum of the shares' nets on it (taxable: that net, under the category)
    credit  the category's VAT account: the sum of the shares' VAT (left out when it is zero; under the
            category with taxable zero, which tells an adapter it is the VAT line)
    credit  each account of lines outside VAT (the öre rounding): their sum, under no VAT category
    debit   the integration's receivable account: the sum of the shares' gross
An amount below zero (an order discount larger than an account's sales) goes to the other side. Every amount
is exact to the currency's smallest unit: nothing is rounded here, sums of exact amounts are exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sync.drafts import InvoiceDraft, JournalDraft, JournalLineDraft
from sync.money import money_text
from sync.vat import round_money

from .base import RecordFailed

ZERO = Decimal("0")
REFERENCE_PREFIX = "KOPPLA"


@dataclass(frozen=True)
class ShareFigures:
    """One order's part of the journal in one VAT category; `lines` are (revenue account, net) by account."""

    vat_category: str
    lines: tuple[tuple[str, Decimal], ...]
    net: Decimal
    vat: Decimal
    untaxed: tuple[tuple[str, Decimal], ...] = ()  # (account, amount) outside VAT: the order's öre rounding

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat + sum((amount for _, amount in self.untaxed), ZERO)


@dataclass(frozen=True)
class QueuedShare:
    """A share as the journal flow reads it back (JournalShare), with its order number."""

    order_number: str
    figures: ShareFigures
    currency_rate: Decimal | None = None


def shares_of(draft: InvoiceDraft) -> list[ShareFigures]:
    """The order's shares, one per VAT category of its invoice draft (lines or VAT), in category order.

    A category whose lines and VAT are all zero (a free line alone) is left out. RecordFailed when a
    category's lines do not add up to its taxable amount (a guard on document_vat, not on the shop's data)."""
    nets: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    outside: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in draft.lines:
        if line.vat_category:
            nets[line.vat_category][line.account] += line.amount
        else:
            outside[line.account] += line.amount
    untaxed = tuple((account, amount) for account, amount in sorted(outside.items()) if amount)
    vats = {detail.vat_category: detail for detail in draft.tax_details}
    shares = []
    for category in sorted(set(nets) | set(vats)):
        accounts = {account: amount for account, amount in sorted(nets[category].items()) if amount}
        net = sum(accounts.values(), ZERO)
        detail = vats.get(category)
        vat = detail.vat if detail else ZERO
        if detail is not None and detail.taxable != net:
            raise RecordFailed(
                f"Order {draft.order_number}: the lines of VAT category {category} add up to "
                f"{money_text(net, draft.currency)}, not to its taxable {money_text(detail.taxable, draft.currency)}; "
                "a Koppla bug."
            )
        if not accounts and not vat:
            continue
        shares.append(ShareFigures(category, tuple(accounts.items()), net, vat))
    if untaxed:
        if not shares:
            raise RecordFailed(
                f"Order {draft.order_number} has only a rounding and no sale to put it in a sales journal entry with."
            )
        shares[0] = ShareFigures(shares[0].vat_category, shares[0].lines, shares[0].net, shares[0].vat, untaxed)
    return shares


def journal_reference(day: str, currency: str, vat_category: str, sequence: int) -> str:
    """Koppla's key of an entry: "KOPPLA-2026-11-30-SEK-SE25-1" (day, currency, VAT category, sequence)."""
    return f"{REFERENCE_PREFIX}-{day}-{currency}-{vat_category}-{sequence}"


def reference_parse(reference: str) -> tuple[str, str, str, int] | None:
    """(day, currency, VAT category, sequence) of a `journal_reference`, or None when it is not one.

    The category may itself hold dashes ("OSS-AT"): the day is fixed-width, the currency three letters and
    the sequence follows the last dash."""
    head = f"{REFERENCE_PREFIX}-"
    if not reference.startswith(head):
        return None
    rest = reference[len(head) :]
    day, currency, tail = rest[:10], rest[11:14], rest[15:]
    category, _, sequence = tail.rpartition("-")
    if rest[10:11] != "-" or rest[14:15] != "-" or not category or not sequence.isdigit() or len(currency) != 3:
        return None
    return day, currency, category, int(sequence)


def _line(
    account: str, amount: Decimal, *, credit: bool, description: str, category: str = "", revenue: bool = False
) -> JournalLineDraft:
    """A line booking `amount` on the credit side (`credit`) or the debit side; a negative amount swaps sides.

    A `revenue` line's taxable is its net as sales count it (`amount`, negative on the debit side), never zero:
    an ERP adapter tells a revenue line (taxable set) from the category's VAT line (taxable zero) by it."""
    taxable = amount if revenue else ZERO
    if amount < 0:
        amount, credit = -amount, not credit
    return JournalLineDraft(
        account=account,
        debit=ZERO if credit else amount,
        credit=amount if credit else ZERO,
        description=description,
        vat_category=category,
        taxable=taxable,
    )


def journal_draft(
    *,
    reference: str,
    day: str,
    currency: str,
    vat_category: str,
    shares: list[QueuedShare],
    receivable_account: str,
    vat_account: str,
    places: int,
    branch: str = "",
) -> JournalDraft:
    """The balanced journal transaction of a group's shares (see the module docstring).

    `vat_account` may be "" only when the shares' VAT is zero. The currency rate is the orders' own when
    they all state the same one, else None (the ERP's rate of the day: one entry carries one rate).
    Raises RecordFailed naming what is missing (receivable or VAT account) or an amount the currency cannot
    hold, before anything is written."""
    what = f"Sales journal entry {reference}"
    if not shares:
        raise RecordFailed(f"{what} has no orders.")
    if not receivable_account:
        raise RecordFailed(
            f"{what}: the integration has no journal receivable account (the account the day's gross sales are "
            "debited to). Fill it in in Sync › Integrations (e.g. 1580), then resync."
        )
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    untaxed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    vat = gross = ZERO
    for share in shares:
        for account, net in share.figures.lines:
            revenue[account] += net
        for account, amount in share.figures.untaxed:
            untaxed[account] += amount
        vat += share.figures.vat
        gross += share.figures.gross
    if vat and not vat_account:
        raise RecordFailed(
            f"{what}: no account is known for the VAT of VAT category {vat_category} "
            f"({money_text(vat, currency, places)}). Add it in Sync › Sales journal VAT accounts, then resync."
        )
    for amount in (*revenue.values(), *untaxed.values(), vat, gross):
        if round_money(amount, places) != amount:
            raise RecordFailed(
                f"{what}: {money_text(amount, currency, places)} has more decimals than {currency} has ({places}). "
                "Check the decimals in Mappings › Currencies, then resync."
            )
    label = f"Sales {day} {currency}, VAT category {vat_category}"
    lines = [
        _line(account, amount, credit=True, description=f"{label}: sales", category=vat_category, revenue=True)
        for account, amount in sorted(revenue.items())
        if amount
    ]
    if vat:
        lines.append(_line(vat_account, vat, credit=True, description=f"{label}: VAT", category=vat_category))
    lines.extend(
        _line(account, amount, credit=True, description=f"{label}: öre rounding (outside VAT)")
        for account, amount in sorted(untaxed.items())
        if amount
    )
    if gross:
        lines.append(_line(receivable_account, gross, credit=False, description=f"{label}: receivable"))
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:  # a guard on the arithmetic above
        raise RecordFailed(f"{what}: debits {debit} and credits {credit} differ; a Koppla bug.")
    rates = {share.currency_rate for share in shares}
    orders = tuple(sorted({share.order_number for share in shares}))
    return JournalDraft(
        reference=reference,
        transaction_date=day,
        currency=currency,
        vat_category=vat_category,
        lines=tuple(lines),
        order_numbers=orders,
        text=f"{label}: {len(orders)} order{'' if len(orders) == 1 else 's'}",
        branch=branch,
        currency_rate=rates.pop() if len(rates) == 1 else None,
    )


def journal_totals_text(draft: JournalDraft, *, net: Decimal, vat: Decimal, places: int) -> str:
    """ "VAT category SE25: net 100.00 SEK + VAT 25.00 SEK = 125.00 SEK, 3 orders" for the record log."""

    def money(value: Decimal) -> str:
        return money_text(value, draft.currency, places)

    return (
        f"VAT category {draft.vat_category}: net {money(net)} + VAT {money(vat)} = {money(net + vat)}, "
        f"{len(draft.order_numbers)} order{'' if len(draft.order_numbers) == 1 else 's'}"
    )
