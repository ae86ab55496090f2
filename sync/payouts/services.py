"""Payouts: drafts from a settlement file (preview), import (all payouts of a file or none), the report.

A payout's identity is (provider = the format's preset, merchant account, payout/batch id; letter case
ignored), whichever format row reads the file: a file with
several merchant accounts or batches makes one payout each. Reading the file (presets, strict
amounts, row kinds, totals rows) is `sync.payouts.files`; the demo file is `sync.payouts.demo`.

Fees that are not on a payment row (on refunds, chargebacks, fee and bank-transfer rows) are carried by one
payment of the same payout: its write-off is its own fee plus theirs, so the cash the ERP
books for the payout (payments − fees − refunds) equals the bank amount to the cent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from config.storable import storable_text
from mappings.file_problems import invisible_strip
from sync.models import Integration, Payout, PayoutFormat, PayoutLine

from .checks import (  # noqa: F401  (AlreadyImported re-exported)
    AlreadyImported,
    draft_limit_problems,
    typed_bank_amount_problem,
    typed_reference_problem,
)
from .demo import demo_fee, payout_csv_demo  # noqa: F401  (re-exported)
from .files import (  # noqa: F401  (re-exported)
    PRESETS,
    ParsedLine,
    PayoutFileError,
    payout_file_parse,
    payout_format_from_preset,
    payout_provider,
)
from .report import PayoutFigures, PayoutReport, figure_rows, money_text, payout_report  # noqa: F401  (re-exported)

ZERO = Decimal("0")
Kind = PayoutLine.Kind
BOOKABLE = (Kind.PAYMENT, Kind.REFUND)
# Rows whose fee a payment writes off: every fee not on a payment or a correction (booked by hand whole).
CARRIED = (Kind.REFUND, Kind.CHARGEBACK, Kind.FEE, Kind.PAYOUT)


# --------------------------------------------------------------------------- drafts (preview)
@dataclass
class PayoutDraft:
    """One payout as the file states it, before anything is written."""

    reference: str
    merchant_account: str
    currency: str
    bank_amount: Decimal
    paid_out_on: date | None
    lines: list[ParsedLine]
    carrier: ParsedLine | None = None  # the payment whose write-off carries the other rows' fees
    carried: Decimal = ZERO
    messages: dict[int, str] = field(default_factory=dict)  # line_no -> note for the operator

    @property
    def name(self) -> str:
        return f"{self.reference} ({self.merchant_account})" if self.merchant_account else self.reference

    @property
    def kinds(self) -> dict[str, int]:
        return dict(Counter(PayoutLine.Kind(line.kind).label for line in self.lines))

    @property
    def figures(self) -> PayoutFigures:
        return PayoutFigures.of_lines(self.lines, self.carried)

    @property
    def difference(self) -> Decimal:
        return self.figures.net - self.bank_amount

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The figures as the payout's page shows them: (label, '1,749.00 SEK')."""
        return figure_rows(self.figures, bank_amount=self.bank_amount, currency=self.currency)

    @property
    def difference_text(self) -> str:
        return money_text(self.difference, self.currency)

    @property
    def by_hand_text(self) -> str:
        return money_text(self.figures.by_hand, self.currency)

    @property
    def balances(self) -> bool:
        return self.difference == ZERO


@dataclass
class PayoutFilePreview:
    payouts: list[PayoutDraft]
    skipped: list[str]


def _fold_fee_rows(lines: list[ParsedLine]) -> list[ParsedLine]:
    """An order's fee written on a row of its own belongs to that order's payment."""
    payments = {line.order_number: line for line in lines if line.kind == Kind.PAYMENT}
    kept = []
    for line in lines:
        payment = payments.get(line.order_number) if line.kind == Kind.FEE and line.order_number else None
        # Only while the payment still pays more than its fees: a write-off may not exceed the payment.
        if payment is not None and payment.gross > payment.fee + line.fee:
            payment.fee += line.fee
        else:
            kept.append(line)
    return kept


def _carry_fees(draft: PayoutDraft) -> None:
    """Give the fees of refund, chargeback and fee rows to the largest payment that can write them off."""
    loose = [line for line in draft.lines if line.kind in CARRIED and line.fee]
    total = sum((line.fee for line in loose), ZERO)
    if not loose:
        return

    def money(value: Decimal) -> str:
        return money_text(value, draft.currency)

    payments = [p for p in draft.lines if p.kind == Kind.PAYMENT and p.gross > p.fee + total]
    if total > 0 and payments:
        draft.carrier = max(payments, key=lambda p: (p.gross, -p.line_no))
        draft.carried = total
        rows = ", ".join(str(line.line_no) for line in loose)
        draft.messages[draft.carrier.line_no] = f"Also writes off the fees of row(s) {rows} ({money(total)})."
        for line in loose:
            draft.messages[line.line_no] = (
                f"Fee {money(line.fee)} written off with the payment of row {draft.carrier.line_no} "
                f"(order {draft.carrier.order_number})."
            )
    else:
        for line in loose:
            draft.messages[line.line_no] = (
                f"Fee {money(line.fee)}: no payment of this payout can carry it as a write-off (none is larger than its "
                f"own fees plus {money(total)}, the fees of row(s) {', '.join(str(n.line_no) for n in loose)}); book it "
                "by hand (fee expense against the provider's cash account)."
            )


def _group_key(line: ParsedLine) -> tuple[str, str]:
    """A payout's identity in a file: merchant account and payout id, letter case ignored ('BATCH-1' = 'batch-1')."""
    return (line.merchant_account.casefold(), line.payout_ref.casefold())


def payout_file_preview(
    *,
    integration: Integration,
    fmt: PayoutFormat,
    content: str,
    file_name: str = "",
    reference: str = "",
    bank_amount: Decimal | None = None,
) -> PayoutFilePreview:
    """The payouts a file would make, with their figures; PayoutFileError listing every problem. Writes nothing.

    Rows are grouped by (merchant account, payout id). `reference` and `bank_amount` (from the
    import form) apply only to a file holding one payout. Refused: a payout with rows in several
    currencies, without a currency or a bank amount, already imported (same provider, account and id, letter
    case ignored), with rows lacking the merchant account the rest of their batch has, or a typed payout id
    that is not the file's, or a typed bank amount that is not the file's transfer rows' or that is finer than the
    currency's decimals (Mappings › Currencies, else ISO 4217). Ids typed or read lose spaces and invisible
    characters at their ends (mappings.file_problems.invisible_strip).
    """
    reference = invisible_strip(reference or "")
    bank_amount = None if bank_amount is None else Decimal(str(bank_amount))  # 99 and 99.0 read as written
    parsed = payout_file_parse(fmt=fmt, content=content)
    groups: dict[tuple[str, str], list[ParsedLine]] = {}
    spelled: dict[tuple[str, str], tuple[str, str]] = {}  # the group's account and id as its first row writes them
    for line in parsed.lines:
        groups.setdefault(_group_key(line), []).append(line)
        spelled.setdefault(_group_key(line), (line.merchant_account, line.payout_ref))
    problems: list[str] = [p for p in [typed_reference_problem(reference)] if p]
    if len(groups) > 1:
        named = ", ".join(
            f"{ref or '(none)'}" + (f" ({account})" if account else "") for account, ref in spelled.values()
        )
        if reference or bank_amount is not None:
            problems.append(
                f"the file holds {len(groups)} payouts ({named}): leave the payout id and the bank amount blank, "
                "each payout takes them from its own rows"
            )
        without = [line.line_no for (_, ref), lines in groups.items() if not ref for line in lines]
        if without:
            problems.append(
                f"Row(s) {', '.join(map(str, without[:20]))}: no payout id in column {fmt.col_payout} while other "
                "rows have one"
            )
    accounts_of = {}
    for (_, ref_key), (account, _) in spelled.items():
        if account:
            accounts_of.setdefault(ref_key, []).append(account)
    drafts = []
    for key, lines in groups.items():
        account, ref = spelled[key]
        if fmt.col_merchant_account and not account and accounts_of.get(key[1]):
            problems.append(
                f"Row(s) {', '.join(str(line.line_no) for line in lines[:20])}: no merchant account in column "
                f"{fmt.col_merchant_account} while the other rows of payout {ref or '(no id)'} have one "
                f"({', '.join(accounts_of[key[1]])}); fill in the merchant account the row(s) belong to"
            )
            continue
        if reference and ref and reference.casefold() != ref.casefold():
            problems.append(
                f"the payout id you entered ({reference}) is not the file's ({ref}, column {fmt.col_payout}): "
                "leave it blank, the file's id is used"
            )
            continue
        label = (ref or reference or file_name) + (f" ({account})" if account else "")
        currencies = sorted({line.currency for line in lines if line.currency})
        if len(currencies) > 1:
            by_currency = "; ".join(
                f"{c}: row(s) {', '.join(str(line.line_no) for line in lines if line.currency == c)}"
                for c in currencies
            )
            problems.append(
                f"payout {label} has rows in {' and '.join(currencies)} ({by_currency}): a payout is paid in one "
                "currency; correct the file or the format's currency column"
            )
            continue
        if not currencies:
            problems.append(f"payout {label}: no currency in column {fmt.col_currency or '(none set)'}")
            continue
        name = (ref or reference or file_name).strip()
        if not name:
            problems.append("no payout reference: enter it, or give the file a payout column")
            continue
        transfer = [line for line in lines if line.kind == Kind.PAYOUT]
        amount = sum((line.gross for line in transfer), ZERO) if transfer else None
        if bank_amount is not None:
            typed = typed_bank_amount_problem(
                integration=integration,
                typed=bank_amount,
                currency=currencies[0],
                transfer=transfer,
                column=fmt.col_type,
            )
            if typed:
                problems.append(f"payout {label}: {typed}")
                continue
            amount = bank_amount
        if amount is None:
            problems.append(f"payout {label} has no bank transfer row: enter the amount that reached the bank")
            continue
        existing = (
            Payout.objects.filter(
                integration=integration,
                provider=payout_provider(fmt),
                merchant_account__iexact=account[:100],
                reference__iexact=name[:100],
            )
            .select_related("format")
            .first()
        )
        if existing is not None:
            problems.append(AlreadyImported(existing, label))
            continue
        draft = PayoutDraft(
            reference=name[:100],
            merchant_account=account[:100],
            currency=currencies[0],
            bank_amount=amount,
            paid_out_on=max((line.booked_on for line in lines if line.booked_on), default=None),
            lines=_fold_fee_rows(lines),
        )
        _carry_fees(draft)
        too_large = draft_limit_problems(draft, label)
        if too_large:
            problems.extend(too_large)
            continue
        drafts.append(draft)
    if problems:
        raise PayoutFileError(problems)
    return PayoutFilePreview(payouts=drafts, skipped=parsed.skipped)


# --------------------------------------------------------------------------- import
def _status_and_message(draft: PayoutDraft, line: ParsedLine) -> tuple[str, str]:
    note = draft.messages.get(line.line_no, "")
    if line.kind in BOOKABLE:
        return PayoutLine.Status.PENDING, note
    if line.kind == Kind.CHARGEBACK:
        return PayoutLine.Status.MANUAL, (
            f"Chargeback of order {line.order_number}: Koppla does not book chargebacks; book it by hand (the "
            "invoice's payment reversed from the provider's cash account). " + note
        ).strip()
    if line.kind == Kind.ADJUSTMENT:
        return PayoutLine.Status.MANUAL, (
            f"Correction by the provider ('{line.type_value}', {money_text(line.gross - line.fee, draft.currency)}): "
            "book it by hand."
        )
    if line.kind in (Kind.FEE, Kind.PAYOUT) and draft.carrier is None and line.fee:
        return PayoutLine.Status.MANUAL, note
    return PayoutLine.Status.INFO, note


@transaction.atomic
def payout_file_import(
    *,
    integration: Integration,
    fmt: PayoutFormat,
    content: str,
    file_name: str = "",
    reference: str = "",
    bank_amount: Decimal | None = None,
) -> list[Payout]:
    """Import every payout of a settlement file, or none (PayoutFileError listing every problem)."""
    preview = payout_file_preview(
        integration=integration,
        fmt=fmt,
        content=content,
        file_name=file_name,
        reference=reference,
        bank_amount=bank_amount,
    )
    payouts = []
    for draft in preview.payouts:
        payout = Payout.objects.create(
            integration=integration,
            format=fmt,
            provider=payout_provider(fmt),
            reference=draft.reference,
            merchant_account=draft.merchant_account,
            currency=draft.currency,
            bank_amount=draft.bank_amount,
            paid_out_on=draft.paid_out_on,
            file_name=file_name[:200],
        )
        rows = []
        for line in draft.lines:
            status, message = _status_and_message(draft, line)
            rows.append(
                PayoutLine(
                    payout=payout,
                    line_no=line.line_no,
                    kind=line.kind,
                    order_number=line.order_number[:100],
                    psp_reference=line.psp_reference[:100],
                    gross=line.gross,
                    fee=line.fee,
                    carried_fee=draft.carried if line is draft.carrier else ZERO,
                    currency=line.currency or draft.currency,
                    booked_on=line.booked_on,
                    status=status,
                    message=storable_text(message),
                )
            )
        PayoutLine.objects.bulk_create(rows)
        payouts.append(payout)
    return payouts


@transaction.atomic
def payout_import(**kwargs) -> Payout:
    """Import a file that holds one payout (see payout_file_import); PayoutFileError if it holds several."""
    payouts = payout_file_import(**kwargs)
    if len(payouts) != 1:
        raise PayoutFileError([f"the file holds {len(payouts)} payouts: import it on the payout import page"])
    return payouts[0]


# --------------------------------------------------------------------------- booking state
def payout_line_mark(*, line: PayoutLine, status: str, message: str, target_id: str | None = None) -> PayoutLine:
    """Record what booking a line did (status, ERP payment number, a message for the operator)."""
    line.status = status
    line.message = storable_text(message)
    fields = ["status", "message", "updated_at"]
    if target_id is not None:
        line.target_id = target_id[:100]
        fields.append("target_id")
    line.save(update_fields=fields)
    return line


def payout_status_refresh(*, payout: Payout) -> Payout:
    """Booked when every payment and refund line is booked, partly booked when some are."""
    lines = payout.lines.filter(kind__in=BOOKABLE)
    total = lines.count()
    booked = lines.filter(status=PayoutLine.Status.BOOKED).count()
    if total and booked == total:
        status = Payout.Status.BOOKED
    elif booked:
        status = Payout.Status.PARTIAL
    else:
        status = Payout.Status.IMPORTED
    if payout.status != status:
        payout.status = status
        payout.save(update_fields=["status", "updated_at"])
    return payout
