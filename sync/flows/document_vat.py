"""A shop document's charged amounts → ERP lines and VAT per VAT category, exact to the smallest unit. Pure.

The rule (README, "How VAT and rounding are booked"):
1. Each charged amount (an order line, shipping, an order discount) is a `Part` with the rate the shop
   charged and the VAT category the rate check chose (vat_rules.line_tax).
2. The VAT of each VAT category is what the shop charged: its VAT per rate where the shop states
   it, else the shop's VAT total split over the categories by what their amounts give at their
   rates (each rounded to the unit, the last units to the categories rounded furthest from their
   exact VAT), so the categories add up to the shop's VAT exactly. A shop VAT that its lines cannot
   explain (off by more than half a unit per amount) fails the record: the order does not add up.
3. Each line's net is its amount without VAT rounded to the currency's decimals (prices incl. VAT) or
   the amount itself (prices excl. VAT). The taxable amount of a category is its gross minus its VAT;
   when the lines' nets do not add up to it (they are rounded one by one), the remainder becomes a
   "Rounding" line of that category, booked to the integration's rounding account. VAT is never
   adjusted to absorb a remainder.
So the document's total, and its VAT per category, equal the shop's to the currency's smallest unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sync.drafts import DraftLine, TaxDetail
from sync.money import money_text
from sync.vat import net_from_gross, rate_text, round_money, settle_units, split_by_weight, unit

from .base import RecordFailed

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Part:
    """One charged amount: `amount` as the shop charged it (gross when prices include VAT, else net)."""

    key: str  # stable within the document: "line:<shop line id>", "shipping", "discount:<category>"
    description: str
    quantity: Decimal
    amount: Decimal
    rate: Decimal
    vat_category: str
    account: str
    inventory_number: str = ""
    discount_percent: Decimal = ZERO


def net_of(part: Part, incl: bool, places: int) -> Decimal:
    if not incl:
        return round_money(part.amount, places)
    return net_from_gross(part.amount, part.rate, places)


def exact_vat(part: Part, incl: bool) -> Decimal:
    rate = part.rate
    return part.amount * rate / (HUNDRED + rate) if incl else part.amount * rate / HUNDRED


def groups_of(parts: list[Part]) -> dict[tuple[str, Decimal], list[Part]]:
    """Parts by (VAT category, rate), in first-seen order."""
    result: dict[tuple[str, Decimal], list[Part]] = {}
    for part in parts:
        result.setdefault((part.vat_category, part.rate), []).append(part)
    return result


def spread(
    amount: Decimal, parts: list[Part], places: int, *, key: str, description: str, account: str = ""
) -> list[Part]:
    """`amount` (shipping, a discount) split over the (category, rate) groups of `parts` by their amounts.

    One part per group; the parts add up to `amount` exactly. With one group, one part."""
    groups = groups_of(parts)
    keys = list(groups)
    weights = [sum((p.amount for p in groups[k]), ZERO) for k in keys]
    shares = split_by_weight(amount, weights, places) if len(keys) > 1 else [amount]
    result = []
    for (category, rate), share in zip(keys, shares, strict=True):
        if not share:
            continue
        first = groups[(category, rate)][0]
        suffix = f" ({rate_text(rate)})" if len(keys) > 1 else ""
        result.append(
            Part(
                key=f"{key}:{category}:{rate.normalize():f}" if len(keys) > 1 else key,
                description=f"{description}{suffix}",
                quantity=Decimal("1"),
                amount=share,
                rate=rate,
                vat_category=category,
                account=account or first.account,
            )
        )
    return result


def stated_vat(
    parts: list[Part],
    stated: dict[Decimal, Decimal],
    vat_total: Decimal,
    *,
    incl: bool,
    places: int,
    what: str,
    currency: str,
) -> dict[str, Decimal] | None:
    """The shop's stated VAT per rate as VAT per category; None when a rate spans several categories.

    RecordFailed when the stated amounts do not add up to the VAT total, or one cannot be what its
    rate's amounts give (off by more than half a unit per amount). Amounts in messages carry `currency`."""

    def money(value: Decimal) -> str:
        return money_text(value, currency, places)

    categories: dict[Decimal, set[str]] = {}
    for part in parts:
        categories.setdefault(part.rate.normalize(), set()).add(part.vat_category)
    stated = {Decimal(rate).normalize(): Decimal(vat) for rate, vat in stated.items()}
    if sum(stated.values(), ZERO) != vat_total or any(r not in categories for r, v in stated.items() if v):
        shown = ", ".join(f"{rate_text(r)}: {money(v)}" for r, v in sorted(stated.items()))
        raise RecordFailed(
            f"{what} does not add up: its VAT per rate ({shown}) is not its VAT total {money(vat_total)} on the rates its "
            "lines charge. Check the order's VAT in the shop, then resync."
        )
    if any(len(c) > 1 for c in categories.values()):
        return None
    result = {next(iter(c)): stated.get(rate, ZERO) for rate, c in categories.items()}
    for rate, in_categories in categories.items():
        category = next(iter(in_categories))
        given = [p for p in parts if p.rate.normalize() == rate]
        exact = sum((exact_vat(p, incl) for p in given), ZERO)
        if abs(result[category] - exact) > unit(places) * len(given) / 2:
            raise RecordFailed(
                f"{what} does not add up: the shop states {money(result[category])} VAT at {rate_text(rate)}, but "
                f"its amounts at that rate give {money(round_money(exact, places))}. Check the order's VAT in the shop, then resync."
            )
    return result


def category_vat(
    parts: list[Part],
    vat_total: Decimal,
    *,
    incl: bool,
    places: int,
    what: str,
    currency: str,
    stated: dict[Decimal, Decimal] | None = None,
) -> dict[str, Decimal]:
    """The shop's VAT per VAT category of `parts` (rule 2 of the module); `currency` names the amounts in messages."""
    if stated:
        by_category = stated_vat(parts, stated, vat_total, incl=incl, places=places, what=what, currency=currency)
        if by_category is not None:
            return by_category
    exact: dict[str, Decimal] = {}
    for part in parts:
        exact[part.vat_category] = exact.get(part.vat_category, ZERO) + exact_vat(part, incl)
    given = sum(exact.values(), ZERO)
    slack = unit(places) * len(parts) / 2
    if abs(vat_total - given) > slack:
        rates = ", ".join(sorted({rate_text(p.rate) for p in parts}))
        raise RecordFailed(
            f"{what} does not add up: the shop charged {money_text(vat_total, currency, places)} VAT, but its lines "
            f"at the rates they state ({rates}) give {money_text(round_money(given, places), currency, places)}. Check the order's VAT in the shop, then resync."
        )
    taxed = [c for c, v in exact.items() if v]
    result = {c: ZERO for c in exact}
    if not taxed:
        if vat_total:
            raise RecordFailed(
                f"{what} charged {money_text(vat_total, currency, places)} VAT on lines that carry no VAT rate. "
                "Check it in the shop."
            )
        return result
    for category, vat in zip(taxed, settle_units(vat_total, [exact[c] for c in taxed], places), strict=True):
        result[category] = vat
    return result


def document_figures(
    parts: list[Part],
    *,
    vat_total: Decimal,
    incl: bool,
    places: int,
    rounding_account: str,
    what: str,
    currency: str,
    stated: dict[Decimal, Decimal] | None = None,
) -> tuple[tuple[DraftLine, ...], tuple[TaxDetail, ...]]:
    """ERP lines and tax details of the parts, with the shop's VAT per category (module rules 2 and 3).
    `currency` (ISO 4217) names the amounts in the messages of RecordFailed."""
    vat = category_vat(parts, vat_total, incl=incl, places=places, what=what, currency=currency, stated=stated)
    lines: list[DraftLine] = []
    nets: dict[str, Decimal] = {c: ZERO for c in vat}
    gross: dict[str, Decimal] = {c: ZERO for c in vat}
    rates: dict[str, Decimal] = {}
    for part in parts:
        net = net_of(part, incl, places)
        nets[part.vat_category] += net
        charged = round_money(part.amount, places) if incl else None
        gross[part.vat_category] += charged if incl else net
        rates.setdefault(part.vat_category, part.rate)
        quantity = part.quantity or Decimal("1")
        lines.append(
            DraftLine(
                description=part.description,
                quantity=quantity,
                unit_price=round_money(net / quantity, places + 2),
                amount=net,
                vat_category=part.vat_category,
                account=part.account,
                inventory_number=part.inventory_number,
                discount_percent=part.discount_percent,
                key=part.key,
                gross=charged if incl else net + round_money(exact_vat(part, False), places),
                rate=part.rate,
            )
        )
    details = []
    for category, category_vat_amount in vat.items():
        taxable = gross[category] - category_vat_amount if incl else nets[category]
        remainder = taxable - nets[category]
        if remainder:
            lines.append(
                DraftLine(
                    description="Rounding",
                    quantity=Decimal("1"),
                    unit_price=remainder,
                    amount=remainder,
                    vat_category=category,
                    account=rounding_account,
                    key=f"rounding:{category}",
                    gross=ZERO,  # the shop charged nothing for it: it moves net against VAT
                    rate=rates[category],
                )
            )
        details.append(TaxDetail(category, taxable, category_vat_amount))
    return tuple(lines), tuple(details)
