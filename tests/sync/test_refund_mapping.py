from decimal import Decimal

import pytest

from sync.flows.base import RecordFailed
from sync.flows.figures import Figures
from sync.flows.order_mapping import invoice_draft
from sync.flows.refund_mapping import credit_note_draft as draft_of
from sync.shop import ShopRefund
from tests.sync.test_order_mapping import MAPPINGS, line, order

D = Decimal


def credit_note_draft(refund, order, mappings, *, invoice_number, customer_number):
    """The credit note of `refund` against the invoice the mapping gives for `order`, nothing credited before."""
    invoice = invoice_draft(order, mappings)
    return draft_of(
        refund,
        order,
        mappings,
        invoiced=Figures.of(invoice),
        credited=[],
        invoice_number=invoice_number,
        customer_number=customer_number,
        vat_zone=invoice.vat_zone,
    )


def refund(lines, shipping="0", total=None, currency="SEK"):
    lines = tuple(lines)
    total = D(total) if total is not None else sum((ln.line_total for ln in lines), D("0")) + D(shipping)
    return ShopRefund(
        id="R-7",
        order_number="1234",
        created_at="2026-11-25T12:00:00Z",
        updated_at="2026-11-25T12:00:00Z",
        currency=currency,
        prices_include_vat=True,
        lines=lines,
        shipping_amount=D(shipping),
        total=total,
    )


def test_full_refund_nets_the_invoice_to_zero():
    o = order("FR", [line("120.00", 20, qty=2), line("60.00", 20)], shipping="9.90", currency="EUR")
    invoice = invoice_draft(o, MAPPINGS)
    note = credit_note_draft(
        refund([line("120.00", 20, qty=2), line("60.00", 20)], shipping="9.90", currency="EUR"),
        o,
        MAPPINGS,
        invoice_number="100001",
        customer_number="10042",
    )
    assert note.gross_total == invoice.gross_total
    assert note.net_total == invoice.net_total and note.vat_total == invoice.vat_total
    assert note.vat_zone == invoice.vat_zone and {ln.vat_category for ln in note.lines} == {"OSS-FR"}
    assert note.customer_number == "10042" and "invoice 100001" in note.text


def test_partial_refund_of_one_line():
    o = order("SE", [line("499.00", 25, qty=2), line("199.90", 25)], shipping="49.00")
    note = credit_note_draft(refund([line("249.50", 25)]), o, MAPPINGS, invoice_number="1", customer_number="2")
    assert note.gross_total == D("249.50")
    assert note.net_total == D("199.60") and note.vat_total == D("49.90")


def test_refund_of_a_reverse_charge_order_stays_at_zero_vat():
    o = order("DE", [line("100.00", 0)], currency="EUR", vat="DE123456789", company="GmbH", method="invoice")
    note = credit_note_draft(
        refund([line("40.00", 0)], currency="EUR"), o, MAPPINGS, invoice_number="1", customer_number="2"
    )
    assert note.vat_total == D("0") and note.lines[0].vat_category == "RC0"


def test_a_refund_that_refunds_nothing_is_refused():
    o = order("SE", [line("100", 25)])
    with pytest.raises(RecordFailed, match="refunds nothing"):
        credit_note_draft(refund([], total="0"), o, MAPPINGS, invoice_number="1", customer_number="2")


def test_refund_total_below_the_lines_gets_an_adjustment_and_still_adds_up():
    o = order("SE", [line("500.00", 25)])
    note = credit_note_draft(
        refund([line("500.00", 25)], total="450.00"), o, MAPPINGS, invoice_number="1", customer_number="2"
    )
    assert note.gross_total == D("450.00") and note.lines[-1].description == "Refund adjustment"
    assert note.net_total + note.vat_total == D("450.00")


def test_credit_note_quantities_are_positive_and_a_negative_returned_quantity_is_refused():
    """A return line's quantity is what came back: the credit note credits it positive; negative would charge."""
    o = order("SE", [line("499.00", 25, qty=2)])
    note = credit_note_draft(refund([line("249.50", 25)]), o, MAPPINGS, invoice_number="1", customer_number="2")
    assert [ln.quantity for ln in note.lines] == [D("1")] and note.lines[0].amount > 0

    with pytest.raises(RecordFailed) as refused:
        credit_note_draft(
            refund([line("-249.50", 25, qty=-1)], total="249.50"), o, MAPPINGS, invoice_number="1", customer_number="2"
        )

    assert "Return R-7 (order 1234), line 1 'Shirt (1001BLKM)': quantity -1 × 249.50\u00a0SEK is negative" in (
        refused.value.message
    )
