"""Payout figures and report: what a payout pays, what Koppla books in the ERP, whether it equals the bank."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from mappings.selectors import currency_decimals
from sync.models import Payout, PayoutLine
from sync.money import money_text

from .files import ParsedLine

ZERO = Decimal("0")
Kind = PayoutLine.Kind


def figure_rows(
    figures: PayoutFigures, *, bank_amount: Decimal | None, currency: str, places: int | None = None
) -> list[tuple[str, str]]:
    """The payout's figures as (label, text) rows, the same on the import preview and the payout's page."""
    rows = [
        ("Captured payments", figures.payments),
        ("Refunds", -figures.refunds),
        ("Chargebacks", -figures.chargebacks),
        ("Fees", -figures.fees),
        ("Adjustments", figures.adjustments),
        ("Net paid out", figures.net),
        ("Received in the bank", bank_amount),
        ("Difference", None if bank_amount is None else figures.net - bank_amount),
        ("Cash Koppla books in the ERP", figures.erp_cash),
        ("To book by hand", figures.by_hand),
    ]
    return [(label, money_text(value, currency, places)) for label, value in rows]


# --------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class PayoutFigures:
    """A payout's money in its currency. net = payments − refunds − chargebacks − fees + adjustments.

    erp_cash is what Koppla books in the ERP's cash account once every payment and refund row is
    booked (payments less their written-off fees, refunds paid out); by_hand = net − erp_cash is
    what the operator books by hand (chargebacks, adjustments, fees no payment could carry).
    """

    payments: Decimal = ZERO
    refunds: Decimal = ZERO
    chargebacks: Decimal = ZERO
    fees: Decimal = ZERO
    adjustments: Decimal = ZERO
    erp_cash: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.payments - self.refunds - self.chargebacks - self.fees + self.adjustments

    @property
    def by_hand(self) -> Decimal:
        return self.net - self.erp_cash

    @classmethod
    def of_lines(cls, lines: list[ParsedLine], carried: Decimal = ZERO) -> PayoutFigures:
        def total(kind, attr="gross"):
            return sum((getattr(line, attr) for line in lines if line.kind == kind), ZERO)

        payments, refunds = total(Kind.PAYMENT), total(Kind.REFUND)
        return cls(
            payments=payments,
            refunds=refunds,
            chargebacks=total(Kind.CHARGEBACK),
            fees=sum((line.fee for line in lines), ZERO),
            adjustments=total(Kind.ADJUSTMENT),
            erp_cash=payments - total(Kind.PAYMENT, "fee") - carried - refunds,
        )


def _sum(expression: str, condition: Q | None = None) -> Coalesce:
    return Coalesce(
        Sum(expression, filter=condition), Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2)
    )


def payout_figure_sums(prefix: str = "") -> dict:
    """Aggregates giving PayoutFigures' fields, for `aggregate()` on lines (prefix "") or `annotate()` on
    payouts (prefix "lines__"): one grouped query whatever the number of payouts or lines."""

    def kind(value):
        return Q(**{f"{prefix}kind": value})

    return {
        "payments": _sum(f"{prefix}gross", kind(Kind.PAYMENT)),
        "refunds": _sum(f"{prefix}gross", kind(Kind.REFUND)),
        "chargebacks": _sum(f"{prefix}gross", kind(Kind.CHARGEBACK)),
        "fees": _sum(f"{prefix}fee"),
        "adjustments": _sum(f"{prefix}gross", kind(Kind.ADJUSTMENT)),
        "payment_fees": _sum(f"{prefix}fee", kind(Kind.PAYMENT)),
        "carried": _sum(f"{prefix}carried_fee"),
    }


# The lines' amounts are stored to this step (PayoutLine.gross/fee/carried_fee decimal_places), so every sum of
# them is exact at it. SQLite sums decimals as floating point ('17.5000000000000', '11199.9999999'); the step
# takes that noise away and nothing else: it is the stored unit, not the currency's (never rounds money away).
STORED_STEP = Decimal(1).scaleb(-PayoutLine._meta.get_field("gross").decimal_places)


def payout_figures_from(values: dict) -> PayoutFigures:
    """PayoutFigures from the values of `payout_figure_sums` (a dict or an annotated object's __dict__), each sum
    exact at the stored step (STORED_STEP)."""
    sums = {
        name: Decimal(values[name]).quantize(STORED_STEP)
        for name in ("payments", "refunds", "chargebacks", "fees", "adjustments", "payment_fees", "carried")
    }
    return PayoutFigures(
        payments=sums["payments"],
        refunds=sums["refunds"],
        chargebacks=sums["chargebacks"],
        fees=sums["fees"],
        adjustments=sums["adjustments"],
        erp_cash=sums["payments"] - sums["payment_fees"] - sums["carried"] - sums["refunds"],
    )


# --------------------------------------------------------------------------- where the net stands
@dataclass(frozen=True)
class PayoutState:
    """One part of a payout's net by where it stands: its payments, refunds, chargebacks, fees and adjustments,
    signed as they move the net (refunds, chargebacks and fees negative). total = the sum of the five."""

    label: str
    payments: Decimal = ZERO
    refunds: Decimal = ZERO
    chargebacks: Decimal = ZERO
    fees: Decimal = ZERO
    adjustments: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.payments + self.refunds + self.chargebacks + self.fees + self.adjustments


BOOKED_STATE, WAITING_STATE, NOT_BOOKED_STATE, BY_HAND_STATE = (
    "Booked in the ERP",
    "Waiting to be booked",
    "Not booked (no matching document or failed)",
    "To book by hand",
)


def payout_states(by_status: dict[str, PayoutFigures]) -> list[PayoutState]:
    """A payout's net split by where each part stands; the four parts add up to the net exactly.

    `by_status` is {PayoutLine.Status: figures of the lines with that status}. What Koppla books in the
    ERP's cash account for a line (a payment less the fees it writes off, a refund paid out) counts where
    the line stands: booked, waiting, or not booked (unmatched, failed). What Koppla does not book
    (chargebacks, adjustments, fees no payment writes off) is "to book by hand", whatever its line's status.
    Returns [booked, waiting, not booked, to book by hand].
    """

    def erp_part(label: str, statuses: set[str]) -> PayoutState:
        parts = [figures for status, figures in by_status.items() if status in statuses]
        payments = sum((f.payments for f in parts), ZERO)
        refunds = sum((f.refunds for f in parts), ZERO)
        return PayoutState(
            label, payments=payments, refunds=-refunds, fees=sum((f.erp_cash for f in parts), ZERO) - payments + refunds
        )

    status = PayoutLine.Status
    booked = erp_part(BOOKED_STATE, {status.BOOKED})
    waiting = erp_part(WAITING_STATE, {status.PENDING})
    not_booked = erp_part(NOT_BOOKED_STATE, set(by_status) - {status.BOOKED, status.PENDING})
    everything = list(by_status.values())
    written_off = booked.fees + waiting.fees + not_booked.fees
    by_hand = PayoutState(
        BY_HAND_STATE,
        chargebacks=-sum((f.chargebacks for f in everything), ZERO),
        fees=-sum((f.fees for f in everything), ZERO) - written_off,
        adjustments=sum((f.adjustments for f in everything), ZERO),
    )
    return [booked, waiting, not_booked, by_hand]


def state_rows(states: list[PayoutState], *, currency: str, places: int | None = None) -> list[tuple[str, ...]]:
    """The parts as (label, payments, refunds, chargebacks, fees, adjustments, total) texts, then the total line
    ("Net paid out"): the column sums of the parts, so the table adds up as shown."""
    total = PayoutState(
        "Net paid out",
        **{
            name: sum((getattr(s, name) for s in states), ZERO)
            for name in ("payments", "refunds", "chargebacks", "fees", "adjustments")
        },
    )
    return [
        (
            state.label,
            *(
                money_text(value, currency, places)
                for value in (
                    state.payments,
                    state.refunds,
                    state.chargebacks,
                    state.fees,
                    state.adjustments,
                    state.total,
                )
            ),
        )
        for state in (*states, total)
    ]


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class PayoutReport:
    figures: PayoutFigures
    net: Decimal
    bank_amount: Decimal | None
    difference: Decimal | None
    counts: dict
    booked_cash: Decimal = ZERO  # what the lines booked so far moved through the ERP's cash account
    states: tuple[PayoutState, ...] = ()  # booked, waiting, not booked, to book by hand: they add up to the net
    places: int = 2  # the currency's decimals (Mappings › Currencies, else ISO 4217)

    payments = property(lambda self: self.figures.payments)
    refunds = property(lambda self: self.figures.refunds)
    chargebacks = property(lambda self: self.figures.chargebacks)
    fees = property(lambda self: self.figures.fees)
    adjustments = property(lambda self: self.figures.adjustments)
    erp_cash = property(lambda self: self.figures.erp_cash)
    by_hand = property(lambda self: self.figures.by_hand)

    @property
    def states_total(self) -> Decimal:
        """The parts' sum: the payout's net, exactly."""
        return sum((state.total for state in self.states), ZERO)

    @property
    def balances(self) -> bool:
        """The file's net equals the bank amount exactly (a difference finer than the currency's decimals, e.g.
        0.40 HUF where the integration books whole forints, does not balance: it is shown, never rounded away)."""
        return self.difference == ZERO

    @property
    def erp_equals_bank(self) -> bool:
        """What Koppla books in the ERP's cash account equals the bank amount (nothing left to book by hand)."""
        return self.balances and self.figures.by_hand == ZERO

    @property
    def booked(self) -> int:
        return self.counts.get(PayoutLine.Status.BOOKED, 0)

    @property
    def unmatched(self) -> int:
        return self.counts.get(PayoutLine.Status.UNMATCHED, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(PayoutLine.Status.FAILED, 0)

    @property
    def waiting(self) -> int:
        return self.counts.get(PayoutLine.Status.PENDING, 0)

    @property
    def manual(self) -> int:
        return self.counts.get(PayoutLine.Status.MANUAL, 0)


def payout_report(*, payout: Payout) -> PayoutReport:
    """Payments, refunds, chargebacks, fees, adjustments and net paid out, what Koppla books in the ERP, where
    each part of the net stands (booked, waiting, not booked, to book by hand), and whether the net equals the
    bank amount exactly. `places` (Mappings › Currencies, else ISO 4217) is how many decimals the amounts are
    shown with at least; net and difference are never rounded to them.
    One query on the lines whatever their number."""
    rows = list(
        PayoutLine.objects.filter(payout=payout)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), **payout_figure_sums())
    )
    by_status = {row["status"]: payout_figures_from(row) for row in rows}
    counts = {row["status"]: row["n"] for row in rows}
    figures = PayoutFigures(
        **{
            name: sum((getattr(f, name) for f in by_status.values()), ZERO)
            for name in ("payments", "refunds", "chargebacks", "fees", "adjustments", "erp_cash")
        }
    )
    places = currency_decimals(integration=payout.integration, currency=payout.currency)
    net = figures.net  # exact: a part finer than the currency's decimals is shown, never rounded away
    difference = None if payout.bank_amount is None else net - payout.bank_amount
    states = payout_states(by_status)
    return PayoutReport(
        figures=figures,
        net=net,
        bank_amount=payout.bank_amount,
        difference=difference,
        counts=counts,
        booked_cash=states[0].total,
        states=tuple(states),
        places=places,
    )


def payout_figures_for(payouts: list[Payout]) -> dict[int, tuple[PayoutFigures, Decimal]]:
    """Figures and net (exact, as payout_report's) of many payouts: one query whatever their number.

    Returns {payout id: (figures, net)}; a payout without lines has zero figures.
    """
    if not payouts:
        return {}
    rows = (
        PayoutLine.objects.filter(payout_id__in=[p.pk for p in payouts])
        .order_by()
        .values("payout_id")
        .annotate(**payout_figure_sums())
    )
    by_payout = {row["payout_id"]: payout_figures_from(row) for row in rows}
    result = {}
    for payout in payouts:
        figures = by_payout.get(payout.pk, PayoutFigures())
        result[payout.pk] = (figures, figures.net)
    return result
