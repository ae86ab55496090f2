"""Sales orders and journal transactions: neutral drafts → Visma.net payloads, answers → neutral records. Pure.

Sales orders (SalesOrderUpdateDto, spec visma-net-erp-v1). A sales order line has neither a manual amount
nor an account, and the order has no VAT details: Visma.net computes

    line amount = round(quantity × unitPrice − discountAmount, places)   (discountAmount, else
                  round(quantity × unitPrice × discountPercent / 100, places))
    line VAT    = round(line amount × rate / 100, places) per VAT of the line's taxCategory, summed per VAT

(ROUNDING RULE of sandbox.py; "places" = the currency's decimals, half-up). So each draft line is sent as
terms that give exactly its net (`order_line_terms`), and the VAT those lines make is compared with the
draft's tax details category by category (`order_vat_differences`): a category whose VAT the lines do not
reproduce exactly is a problem before anything is written, never booked "close enough".

Journal transactions (JournalTransactionUpdateDto): one GL batch per JournalDraft, its lines as drafted
(debit or credit in the entry's currency); revenue lines carry their VAT category (vatCodeId), the VAT line
the category's VAT id (vatId), with createVatTransaction and skipVatAmountValidation so that Visma.net
books the VAT as the shop charged it (the summed orders' VAT, which need not be round(taxable × rate)).
Koppla's reference is the batch description, the field `journal_transaction_find` compares exactly.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from integrations.text_length import text_cut
from sync.drafts import DraftLine, Figures, InvoiceDraft, JournalDraft, TaxDetail
from sync.erp import JOURNAL_TRANSACTION, SALES_ORDER, ErpDocument
from sync.vat import money

from .limits import limit
from .schemas import JournalLine, JournalTransactionPayload, SalesOrderLine, SalesOrderPayload

ZERO = Decimal(0)
DEFAULT_ORDER_TYPE = "SO"
# Sales order statuses that no longer stand for a live order (ErpDocument.voided).
ORDER_VOIDED = ("Cancelled", "Voided")
# Journal transaction statuses of a batch that counts in the ledger (ErpDocument.released).
BATCH_RELEASED = ("Unposted", "Posted", "Completed", "Released")
UNIT_PRICE_PLACES = 6  # Koppla sends a derived unit price with at most this many decimals


def places_of(currency: str) -> int:
    """Decimals of a currency (ISO 4217 minor unit: JPY 0, SEK 2, KWD 3)."""
    try:
        return int(get_currency_precision(currency or "SEK"))
    except Exception:  # noqa: BLE001 - an unknown code: the common two decimals
        return 2


def round_places(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- sales orders
def order_line_terms(line: DraftLine, places: int) -> tuple[Decimal, Decimal, Decimal | None, Decimal | None] | None:
    """(quantity, unit price, discount percent, discount amount) that make Visma.net's line amount exactly
    `line.amount`; None when no such terms exist (a problem, see `order_line_problems`).

    In order: the draft's own price and percentage; its price with the rest as a discount amount; a unit
    price of amount / quantity when that is exact in UNIT_PRICE_PLACES decimals.
    """
    quantity = line.quantity or Decimal(1)
    price = line.unit_price
    extended = quantity * price
    if line.discount_percent:
        discount = round_places(extended * line.discount_percent / 100, places)
        if round_places(extended - discount, places) == line.amount:
            return quantity, price, line.discount_percent, None
    if round_places(extended, places) == line.amount:
        return quantity, price, None, None
    rest = extended - line.amount
    if rest > 0 and rest == round_places(rest, places):
        return quantity, price, None, rest
    derived = line.amount / quantity
    if derived == round_places(derived, UNIT_PRICE_PLACES) and round_places(quantity * derived, places) == line.amount:
        return quantity, derived.normalize(), None, None
    return None


def line_item(line: DraftLine, rounding_item: str) -> str:
    """The inventory number of a sales order line: the draft line's; for a line outside VAT without one (an
    öre rounding) `rounding_item`, a non-stock item (setting VISMA_NET_ROUNDING_ITEM)."""
    return line.inventory_number or ("" if line.vat_category else rounding_item)


def order_lines(
    draft: InvoiceDraft, *, exempt_category: str = "", rounding_item: str = ""
) -> tuple[SalesOrderLine, ...]:
    """The draft's lines as sales order lines (a line without exact terms goes with its own price: the
    precheck has refused it already). A line outside VAT (vat_category "") goes under `exempt_category` with
    `rounding_item` (see payloads.document_lines)."""
    places = places_of(draft.currency)
    longest = limit("line_description")
    lines = []
    for line in draft.lines:
        terms = order_line_terms(line, places) or (line.quantity, line.unit_price, None, None)
        quantity, price, percent, discount = terms
        lines.append(
            SalesOrderLine(
                inventory_number=line_item(line, rounding_item),
                quantity=quantity,
                unit_price=price,
                description=text_cut(line.description, longest),
                discount_percent=percent,
                discount_amount=discount,
                manual_discount=True if discount is not None or percent is not None else None,
                vat_category=line.vat_category or exempt_category or None,
                warehouse=draft.warehouse or None,
            )
        )
    return tuple(lines)


def sales_order_payload(
    draft: InvoiceDraft, *, customer_number: str, exempt_category: str = "", rounding_item: str = ""
) -> SalesOrderPayload:
    return SalesOrderPayload(
        order_type=draft.order_type or DEFAULT_ORDER_TYPE,
        customer_number=customer_number,
        lines=order_lines(draft, exempt_category=exempt_category, rounding_item=rounding_item),
        order_date=draft.document_date or None,
        currency=draft.currency or None,
        reference=draft.order_number,
        description=draft.text or None,
        payment_method=draft.payment_method or None,
        credit_terms=draft.credit_terms or None,
        vat_zone=draft.vat_zone or None,
        branch=draft.branch or None,
        hold=False,
        note=draft.note or None,
    )


def order_line_problems(draft: InvoiceDraft, *, rounding_item: str = "") -> list[str]:
    """Lines a sales order cannot carry as drafted: no item (inventoryNumber is mandatory on a sales order
    line, spec SalesOrderLineUpdateDto), or no quantity × price − discount that gives the line's net."""
    places = places_of(draft.currency)
    problems = []
    for index, line in enumerate(draft.lines, start=1):
        name = f"line {index} '{line.description[:40]}'"
        if not line.vat_category and not line_item(line, rounding_item):
            problems.append(
                f"{name} is the shop's öre rounding: a Visma.net sales order line needs an item, set a non-stock "
                "item for it (setting VISMA_NET_ROUNDING_ITEM)"
            )
        elif not line.inventory_number and line.vat_category:
            problems.append(
                f"{name} has no item: a Visma.net sales order line needs an inventory number "
                "(map the product, or shipping and fees, to an item; a non-stock item will do)"
            )
        if line.quantity <= 0:
            problems.append(f"{name} has quantity {line.quantity}: a sales order line needs a positive quantity")
        elif order_line_terms(line, places) is None:
            problems.append(
                f"{name}: no quantity × unit price − discount gives its net {line.amount} exactly "
                f"(quantity {line.quantity}, unit price {line.unit_price}); Visma.net computes a sales order "
                "line's amount itself, so send this order as an invoice"
            )
    return problems


def order_vat(lines: tuple[DraftLine, ...], places: int) -> dict[str, tuple[Decimal, Decimal]]:
    """(taxable, VAT) per VAT category as Visma.net computes them from the lines (module docstring)."""
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        taxable, vat = result.get(line.vat_category, (ZERO, ZERO))
        result[line.vat_category] = (
            taxable + line.amount,
            vat + round_places(line.amount * line.rate / 100, places),
        )
    return result


def order_vat_differences(draft: InvoiceDraft) -> list[str]:
    """Each VAT category whose taxable amount or VAT the lines would not make exactly what the draft says."""
    places = places_of(draft.currency)
    computed = order_vat(draft.lines, places)
    drafted = {t.vat_category: (t.taxable, t.vat) for t in draft.tax_details}
    problems = []
    for category in sorted(set(computed) | set(drafted)):
        made = computed.get(category, (ZERO, ZERO))
        wanted = drafted.get(category, (ZERO, ZERO))
        if not category and category not in drafted and made[1] == ZERO:
            continue  # lines outside VAT (an öre rounding): no VAT, under the VAT-exempt category
        if made != wanted:
            problems.append(
                f"VAT category {category or '(none)'}: Visma.net computes taxable {made[0]}, VAT {made[1]} from the "
                f"sales order's lines (each line's VAT rounded), the order says taxable {wanted[0]}, VAT {wanted[1]}; "
                "a sales order carries no VAT details, so send this order as an invoice (it carries the VAT as charged)"
            )
    return problems


def sales_order_from_visma(
    node: dict, *, rates: dict[str, Decimal] | None = None, figures: bool = False
) -> ErpDocument:
    """A SalesOrderDto as an ErpDocument (kind SALES_ORDER: not booked, so never `released`).

    With `figures`: its lines (amount = extPrice − discountAmount) and its VAT per category as Visma.net
    computes it from them (`rates`: category → rate on the order's date); the DTO itself states only the
    VAT total (taxTotal)."""
    status = str(node.get("status") or "")
    method = node.get("paymentMethod") or {}
    currency = str(node.get("currency") or "")
    return ErpDocument(
        kind=SALES_ORDER,
        number=str(node.get("orderNo") or ""),
        status=status,
        released=False,
        customer_number=str((node.get("customer") or {}).get("number") or ""),
        currency=currency,
        total=None if node.get("orderTotal") is None else money(node.get("orderTotal")),
        order_number=str(node.get("customerRefNo") or ""),
        date=str(node.get("date") or "")[:10],
        payment_method=str(method.get("id") or "") if isinstance(method, dict) else "",
        vat_zone=str((node.get("customerVATZone") or {}).get("id") or ""),
        figures=order_figures(node, rates or {}, places_of(currency)) if figures else None,
        updated_at=str(node.get("lastModifiedDateTime") or ""),
        voided=status in ORDER_VOIDED,
        on_hold=status == "Hold",
    )


def order_figures(node: dict, rates: dict[str, Decimal], places: int) -> Figures:
    lines = []
    for raw in node.get("lines") or []:
        category = str(raw.get("taxCategory") or "")
        amount = money(raw.get("extPrice") or 0) - money(raw.get("discountAmount") or 0)
        lines.append(
            DraftLine(
                description=str(raw.get("lineDescription") or ""),
                quantity=money(raw.get("quantity") or 1),
                unit_price=money(raw.get("unitPrice") or 0),
                amount=amount,
                vat_category=category,
                account="",
                inventory_number=str((raw.get("inventory") or {}).get("number") or ""),
                discount_percent=money(raw.get("discountPercent") or 0),
                rate=rates.get(category, ZERO),
            )
        )
    tax = tuple(TaxDetail(c, taxable, vat) for c, (taxable, vat) in order_vat(tuple(lines), places).items())
    return Figures(tuple(lines), tax, money(node.get("orderTotal") or 0))


# --------------------------------------------------------------------------- journal transactions
def journal_payload(draft: JournalDraft, *, vat_ids: dict[str, str]) -> JournalTransactionPayload:
    """The GL batch of a journal draft (module docstring); `vat_ids`: VAT category → its VAT id."""
    longest = limit("line_description")
    lines = []
    for line in draft.lines:
        revenue = bool(line.vat_category) and line.taxable != 0
        vat_line = bool(line.vat_category) and line.taxable == 0
        lines.append(
            JournalLine(
                account=line.account,
                debit=line.debit,
                credit=line.credit,
                description=text_cut(line.description, longest) or None,
                vat_category=line.vat_category if revenue else None,
                vat_id=vat_ids.get(line.vat_category, line.vat_category) if vat_line else None,
                branch=draft.branch or None,
            )
        )
    with_vat = any(line.vat_category for line in draft.lines)
    return JournalTransactionPayload(
        transaction_date=date.fromisoformat(draft.transaction_date) if draft.transaction_date else date.today(),
        lines=tuple(lines),
        currency=draft.currency or None,
        exchange_rate=draft.currency_rate,
        description=draft.reference,
        branch=draft.branch or None,
        hold=False,
        create_vat_transaction=True if with_vat else None,
        skip_vat_amount_validation=True if with_vat else None,
    )


def journal_from_visma(node: dict) -> ErpDocument:
    """A JournalTransactionDto as an ErpDocument (kind JOURNAL_TRANSACTION); its total is the debit total
    in the batch's currency, its order_number Koppla's reference (the batch description)."""
    status = str(node.get("status") or "")
    total = node.get("debitTotalInCurrency", node.get("debitTotal"))
    return ErpDocument(
        kind=JOURNAL_TRANSACTION,
        number=str(node.get("batchNumber") or ""),
        status=status,
        released=status in BATCH_RELEASED,
        currency=str(node.get("currencyId") or ""),
        total=None if total is None else money(total),
        order_number=str(node.get("description") or ""),
        date=str(node.get("transactionDate") or "")[:10],
        updated_at=str(node.get("lastModifiedDateTime") or ""),
        voided=status == "Voided",
        on_hold=status == "Hold",
        awaiting_release=status == "Balanced",
    )


def journal_problems(draft: JournalDraft) -> list[str]:
    """What Visma.net would refuse in the entry, or book otherwise than drafted (before anything is written)."""
    places = places_of(draft.currency)
    problems = []
    if not draft.reference:
        problems.append("the journal entry has no reference: Koppla finds it again by its reference")
    elif len(draft.reference) > limit("journal_description"):
        problems.append(
            f"the reference '{draft.reference[:40]}…' has {len(draft.reference)} characters, the batch description "
            f"that carries it takes at most {limit('journal_description')} (setting VISMA_NET_LIMITS"
            "['journal_description'])"
        )
    if not draft.lines:
        problems.append("the journal entry has no lines")
    for index, line in enumerate(draft.lines, start=1):
        name = f"line {index} ({line.account or 'no account'})"
        if not line.account:
            problems.append(f"{name} has no account")
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit) or not (line.debit or line.credit):
            problems.append(
                f"{name} must have either a debit or a credit above zero, not debit {line.debit} "
                f"and credit {line.credit}"
            )
        for amount in (line.debit, line.credit):
            if amount != round_places(amount, places):
                problems.append(f"{name}: {amount} has more decimals than {draft.currency} has ({places})")
    debit = sum((line.debit for line in draft.lines), ZERO)
    credit = sum((line.credit for line in draft.lines), ZERO)
    if debit != credit:
        problems.append(f"the entry is out of balance: debits {debit}, credits {credit} (Visma.net refuses it)")
    return problems
