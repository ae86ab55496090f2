"""Messages of the order, refund and VAT mappings name amounts with their currency ("0.01 SEK"), as the record log
shows them: never a bare "0.01", a "Decimal('0.01')" or a "0.0100"."""

from dataclasses import replace
from decimal import Decimal

import pytest

from sync.flows.base import RecordFailed
from sync.flows.order_mapping import exact_in, invoice_draft
from tests.sync.test_order_mapping import MAPPINGS, line, order
from tests.sync.test_refund_mapping import credit_note_draft, refund

D = Decimal


def failure(call) -> str:
    with pytest.raises(RecordFailed) as failed:
        call()
    message = failed.value.message
    assert "Decimal(" not in message
    return message


def test_an_amount_with_more_decimals_than_its_currency_is_shown_as_sent():
    message = failure(lambda: exact_in(D("2499.5"), "JPY", 0, what="Order 7: the total"))
    assert message.startswith("Order 7: the total is 2,499.5\u00a0JPY, which has more decimals than JPY has (0).")


def test_vat_that_does_not_add_up_names_both_amounts_with_the_currency():
    o = order("SE", [line("100.00", 25)], total="100.00", tax_total="21.01")
    message = failure(lambda: invoice_draft(o, MAPPINGS))
    assert (
        "the shop charged 21.01\u00a0SEK VAT, but its lines at the rates they state (25 %) give 20.00\u00a0SEK."
        in message
    )


def test_vat_per_rate_that_is_not_the_vat_total_names_the_amounts_with_the_currency():
    o = order("SE", [line("100.00", 25)], currency="EUR")
    stated = replace(o, vat_by_rate=((D("25"), D("19.9900")),))
    message = failure(lambda: invoice_draft(stated, MAPPINGS))
    assert (
        "its VAT per rate (25 %: 19.99\u00a0EUR) is not its VAT total 20.00\u00a0EUR on the rates its lines charge"
        in message
    )


def test_a_refund_beyond_the_invoice_names_the_amounts_with_the_currency():
    o = order("SE", [line("1249.00", 25)])
    message = failure(
        lambda: credit_note_draft(
            refund([line("1249.00", 25)], total="1300.00"), o, MAPPINGS, invoice_number="100116", customer_number="2"
        )
    )
    assert (
        "refunds 1,300.00\u00a0SEK, but only 1,249.00\u00a0SEK of invoice 100116 (1,249.00\u00a0SEK) is left uncredited"
        in message
    )


def test_a_refunded_line_beyond_the_invoiced_line_names_the_amounts_with_the_currency():
    o = order("SE", [line("499.00", 25, qty=2), line("10.00", 25)])
    message = failure(
        lambda: credit_note_draft(
            refund([line("600.00", 25, qty=2)], total="100.00"), o, MAPPINGS, invoice_number="1", customer_number="2"
        )
    )
    assert "refunds 2 for 600.00\u00a0SEK, but only 2 for 499.00\u00a0SEK of it is left uncredited" in message
