"""Refund → ERP credit note draft: pure, reversing what the order's invoice booked.

The credit note goes to the customer the invoice went to and reverses the invoice's own figures
(figures.py: what the invoice's binding stored, less what earlier credit notes reversed):
- The refund that takes back all that is left of the order (its total is what is left) reverses
  every remaining line, and the VAT of every category, exactly: invoice and credit notes then net
  to zero on every account and every VAT category, rounding lines and discounts included.
- A partial refund reverses the refunded lines' own figures: each refunded line's share of the
  invoiced line's net (by the amount refunded), with the rest of what was refunded for it as VAT;
  refunded shipping likewise from the invoiced shipping. What the refund's total holds beyond its
  lines becomes a "Refund adjustment" per VAT category, in proportion to what is credited. The refund's own
  rounding of its total (ShopRefund.rounding_amount, eAccounting's öre rounding) is credited as a line outside
  VAT on the account of the invoice's rounding line (else the integration's rounding account), as the
  invoice booked its own (order_mapping.rounding_line).
Amounts on the credit note are positive (the document type makes it a credit), in the currency's
decimals. Quantities: a return line's quantity is what came back, positive; a negative one fails
the record like a negative order line, unless the integration allows negative quantities.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mappings.selectors import MappingSet
from sync.drafts import CreditNoteDraft
from sync.money import money_text
from sync.record_names import record_name
from sync.shop import ShopLine, ShopOrder, ShopRefund
from sync.vat import net_from_gross, rate_text, round_money, split_by_weight

from .base import RecordFailed
from .document_vat import DraftLine, TaxDetail
from .figures import Figures, figures_left
from .order_mapping import ROUNDING_KEY, currency_places, exact_in, line_name, negative_quantity_check, rounding_line

ZERO = Decimal("0")


def credit_note_draft(
    refund: ShopRefund,
    order: ShopOrder,
    mappings: MappingSet,
    *,
    invoiced: Figures,
    credited: list[Figures],
    invoice_number: str,
    customer_number: str,
    vat_zone: str,
    currency_rate: Decimal | None = None,
) -> CreditNoteDraft:
    """The credit note of `refund`, reversing `invoiced` less `credited` (figures of earlier credit notes).

    `currency_rate` is the invoice's (its binding's, None when not stored): the credit note mirrors it.
    RecordFailed when the refund is in another currency, refunds nothing, or credits more of a line
    than is left on the invoice."""
    what = record_name("return", refund.id, order=order.number)
    if refund.currency and refund.currency != order.currency:
        raise RecordFailed(f"{what} is in {refund.currency} but the order was in {order.currency}.")
    currency, places = currency_places(mappings, order.currency, what=what)
    negative_quantity_check(refund.lines, mappings, what=what, currency=order.currency)
    total = exact_in(refund.total, order.currency, places, what=f"{what}: the refund total")
    if total <= 0:
        raise RecordFailed(f"{what} refunds nothing.")
    left = figures_left(invoiced, credited)
    if total > left.gross:
        raise RecordFailed(
            f"{what} refunds {money_text(total, currency, places)}, but only {money_text(left.gross, currency, places)} "
            f"of invoice {invoice_number} ({money_text(invoiced.gross, currency, places)}) "
            "is left uncredited. Check the return in the shop; credit anything beyond the invoice by hand."
        )
    full = all(note.known for note in credited) and invoiced.known and total == left.gross
    if full:
        lines = tuple(_reversed(line, places) for line in left.lines if line.amount or line.gross or line.quantity)
        tax = tuple(t for t in left.tax if t.taxable or t.vat)
    else:
        lines, tax = _partial(refund, order, left, total, mappings, places=places, what=what, full_left=left.gross)
    net_total = sum((line.amount for line in lines), ZERO)
    vat_total = sum((t.vat for t in tax), ZERO)
    if net_total + vat_total != total:
        raise RecordFailed(
            f"{what}: the credit note would total {money_text(net_total + vat_total, currency, places)}, not the "
            f"refund's {money_text(total, currency, places)}; "
            "a Koppla bug."
        )
    return CreditNoteDraft(
        refund_id=refund.id,
        order_number=order.number,
        invoice_number=invoice_number,
        customer_number=customer_number,
        document_date=refund.created_at[:10],
        currency=currency,
        vat_zone=vat_zone,
        lines=lines,
        tax_details=tax,
        net_total=net_total,
        vat_total=vat_total,
        gross_total=total,
        text=f"Refund {refund.id} of order {order.number} (invoice {invoice_number})",
        full=full,
        rounding_account=mappings.rounding_account,
        currency_rate=currency_rate,
    )


def _reversed(line: DraftLine, places: int) -> DraftLine:
    """An invoice line as the credit note of the rest reverses it: same figures, a credit's wording."""
    if line.key.startswith(("line:", "erp:")):
        description = f"Return: {line.description}"
    elif line.key.startswith("shipping"):
        description = f"Refunded {line.description[:1].lower()}{line.description[1:]}"
    else:
        description = line.description
    unit_price = round_money(line.amount / line.quantity, places + 2) if line.quantity else line.amount
    return replace(line, description=description, unit_price=unit_price)


def _match(line: ShopLine, left: dict[str, DraftLine], used: set[str]) -> DraftLine | None:
    """The invoiced line a refunded line takes back: by the shop's order line id, else by SKU."""
    found = left.get(f"line:{line.line_id}") if line.line_id else None
    if found is None and line.sku:
        found = next(
            (
                v
                for k, v in left.items()
                if k.startswith("line:") and k not in used and v.description.endswith(f"({line.sku})")
            ),
            None,
        )
    return found


def _share(invoiced: DraftLine, amount: Decimal, incl: bool, places: int) -> tuple[Decimal, Decimal]:
    """(net, VAT) of refunding `amount` of an invoiced line, from the line's own figures."""
    if incl:
        net = round_money(invoiced.amount * amount / invoiced.gross, places) if invoiced.gross else ZERO
        return net, amount - net
    net = round_money(amount, places)
    vat = round_money((invoiced.gross - invoiced.amount) * net / invoiced.amount, places) if invoiced.amount else ZERO
    return net, vat


def _partial(
    refund: ShopRefund,
    order: ShopOrder,
    left: Figures,
    total: Decimal,
    mappings: MappingSet,
    *,
    places: int,
    what: str,
    full_left: Decimal,
) -> tuple[tuple[DraftLine, ...], tuple[TaxDetail, ...]]:
    incl = order.prices_include_vat

    def money(value: Decimal) -> str:
        return money_text(value, order.currency, places)

    remaining = {line.key: line for line in left.lines}
    credited: list[tuple[DraftLine, Decimal]] = []  # (line, its VAT)
    used: set[str] = set()
    for index, line in enumerate(refund.lines, start=1):
        if not line.line_total:
            continue
        invoiced = _match(line, remaining, used)
        if invoiced is None:
            raise RecordFailed(
                f"{what}, line {index} '{line_name(line)}' is not on the invoice (or all of it is credited already). "
                "Credit it by hand, then mark the record done."
            )
        if line.quantity > invoiced.quantity or abs(line.line_total) > abs(invoiced.gross if incl else invoiced.amount):
            raise RecordFailed(
                f"{what}, line {index} '{line_name(line)}' refunds {line.quantity} for {money(line.line_total)}, but "
                f"only {invoiced.quantity} for {money(invoiced.gross if incl else invoiced.amount)} of it is left uncredited "
                "on the invoice. Check the return in the shop."
            )
        used.add(invoiced.key)
        net, vat = _share(invoiced, round_money(line.line_total, places), incl, places)
        credited.append(
            (_credit_line(invoiced, f"Return: {line_name(line)}", line.quantity or Decimal(1), net, vat, places), vat)
        )
        remaining[invoiced.key] = replace(
            invoiced,
            quantity=invoiced.quantity - line.quantity,
            amount=invoiced.amount - net,
            gross=invoiced.gross - net - vat,
        )
    if refund.shipping_amount:
        shipping = [v for k, v in remaining.items() if k.startswith("shipping") and (v.gross or v.amount)]
        if not shipping:
            raise RecordFailed(
                f"{what} refunds shipping {money(refund.shipping_amount)}, but no shipping is left on the invoice."
            )
        weights = [s.gross if incl else s.amount for s in shipping]
        refunded = round_money(refund.shipping_amount, places)
        if refunded > sum(weights, ZERO):
            raise RecordFailed(
                f"{what} refunds shipping {money(refunded)}, but only {money(sum(weights, ZERO))} of the invoiced shipping is left "
                "uncredited. Check the return in the shop."
            )
        for invoiced, amount in zip(shipping, split_by_weight(refunded, weights, places), strict=True):
            net, vat = _share(invoiced, amount, incl, places)
            credited.append(
                (_credit_line(invoiced, f"Refunded {invoiced.description.lower()}", Decimal(1), net, vat, places), vat)
            )
    rounding = round_money(refund.rounding_amount, places)
    if not credited and total != full_left:
        raise RecordFailed(f"{what} names no line or shipping that was invoiced; credit it by hand.")
    if rounding:
        invoiced = remaining.get(ROUNDING_KEY)
        line = rounding_line(rounding, mappings, what=what, currency=order.currency, places=places)
        credited.append((replace(line, account=invoiced.account) if invoiced else line, ZERO))
    gross = sum((line.amount + vat for line, vat in credited), ZERO)
    difference = total - gross
    if difference:
        basis = [(line, vat) for line, vat in credited if line.vat_category]
        credited.extend(_adjustments(difference, basis or [(x, ZERO) for x in left.lines if x.vat_category], places))
    tax: dict[str, TaxDetail] = {}
    for line, vat in credited:
        if not line.vat_category:  # outside VAT (the rounding): no tax detail
            continue
        t = tax.get(line.vat_category, TaxDetail(line.vat_category, ZERO, ZERO))
        tax[line.vat_category] = TaxDetail(line.vat_category, t.taxable + line.amount, t.vat + vat)
    return tuple(line for line, _ in credited), tuple(tax.values())


def _credit_line(
    invoiced: DraftLine, description: str, quantity: Decimal, net: Decimal, vat: Decimal, places: int
) -> DraftLine:
    return DraftLine(
        description=description,
        quantity=quantity,
        unit_price=round_money(net / quantity, places + 2) if quantity else net,
        amount=net,
        vat_category=invoiced.vat_category,
        account=invoiced.account,
        inventory_number=invoiced.inventory_number,
        key=invoiced.key,
        gross=net + vat,
        rate=invoiced.rate,
    )


def _adjustments(
    difference: Decimal, basis: list[tuple[DraftLine, Decimal]], places: int
) -> list[tuple[DraftLine, Decimal]]:
    """`difference` (gross) as one "Refund adjustment" per VAT category, in proportion to what is credited."""
    categories: dict[str, DraftLine] = {}
    weights: dict[str, Decimal] = {}
    for line, vat in basis:
        categories.setdefault(line.vat_category, line)
        weights[line.vat_category] = weights.get(line.vat_category, ZERO) + line.amount + vat
    keys = list(categories)
    result = []
    for category, share in zip(keys, split_by_weight(difference, [weights[k] for k in keys], places), strict=True):
        if not share:
            continue
        model = categories[category]
        net = net_from_gross(share, model.rate, places)
        description = f"Refund adjustment ({rate_text(model.rate)})" if len(keys) > 1 else "Refund adjustment"
        line = DraftLine(
            description=description,
            quantity=Decimal(1),
            unit_price=net,
            amount=net,
            vat_category=category,
            account=model.account,
            key=f"adjustment:{category}",
            gross=share,
            rate=model.rate,
        )
        result.append((line, share - net))
    return result
