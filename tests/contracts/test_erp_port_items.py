"""ErpPort contract: payments with a fee written off, items and stock out, documents out.

Runs against every ERP adapter through its sandbox (the `erp_port` fixture). What a suite needs
in an ERP before it starts (an open invoice for a customer) is made by the system's entry in
OPEN_INVOICE, in that system's own terms; everything asserted goes through the port.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from sync import ports
from sync.drafts import PaymentDraft, PaymentDraftLine
from sync.erp import CREDIT_NOTE, INVOICE, ErpDocument, ErpItem


def _visma_net_open_invoice(erp, price: Decimal) -> str:
    from integrations.visma_net.schemas import Address, Contact, CustomerPayload, DocumentLine, InvoicePayload

    client = erp.client
    customer = client.customer_create(
        CustomerPayload(
            name="Port Contract",
            customer_class="DOMESTIC",
            credit_terms="0",
            currency="SEK",
            payment_method="ADYEN",
            main_contact=Contact(name="Port Contract", email="contract@example.com"),
            main_address=Address(line1="Storgatan 1", postal_code="111 22", city="Stockholm", country="SE"),
        )
    )
    number = client.invoice_create(
        InvoicePayload(
            customer_number=customer,
            currency="SEK",
            customer_ref_number="9001",
            payment_method="ADYEN",
            lines=(DocumentLine("Merino T-shirt", unit_price=price, vat_category="SE25", account="3001"),),
        )
    )
    client.invoice_release(number)
    return number


# system → makes a released invoice of one line at `price` (net) in SEK; returns its number
OPEN_INVOICE = {"visma_net": _visma_net_open_invoice}
# system → a write-off reason code its sandbox knows
REASON_CODE = {"visma_net": "PSPFEE"}


@pytest.fixture
def open_invoice(erp_port) -> ErpDocument:
    number = OPEN_INVOICE[erp_port.system](erp_port, Decimal("400"))
    document = erp_port.document_get(INVOICE, number)
    assert document is not None
    return document


# --------------------------------------------------------------------------- payments
def test_an_invoice_reads_as_released_with_its_balance_open(erp_port, open_invoice):
    assert open_invoice.kind == INVOICE and open_invoice.released and not open_invoice.settled
    assert open_invoice.customer_number and open_invoice.currency == "SEK"
    assert open_invoice.balance == open_invoice.total == Decimal("500.00")  # 400 + 25 % VAT


def test_a_payment_with_a_fee_is_booked_found_posted_and_settles_the_invoice(erp_port, open_invoice):
    if ports.PAYMENT_WRITE_OFF_REASON_CODE not in erp_port.capabilities:
        pytest.skip(f"{erp_port.display_name} writes off no fee on a payment")
    fee = Decimal("7.75")
    paid = open_invoice.balance - fee
    draft = PaymentDraft(
        customer_number=open_invoice.customer_number,
        amount=paid,
        lines=(
            PaymentDraftLine(open_invoice.number, paid, write_off=fee, write_off_reason=REASON_CODE[erp_port.system]),
        ),
        reference="PO-CONTRACT/1",
        currency="SEK",
        payment_date=date(2026, 11, 20),
        text="Demo PSP payout PO-CONTRACT",
    )
    assert erp_port.payment_find("PO-CONTRACT/1", document_number=open_invoice.number) is None
    assert erp_port.payment_request(draft)  # the body a booking sends

    number = erp_port.payment_book(draft)

    found = erp_port.payment_find("PO-CONTRACT/1", document_number=open_invoice.number)
    assert found is not None and found.number == number and open_invoice.number in found.document_numbers
    booked = erp_port.payment_get(number)
    assert booked.refund is not True and not booked.on_hold
    assert (booked.amount_paid, booked.written_off, booked.write_off_reason) == (paid, fee, "PSPFEE")
    if not booked.released:
        assert booked.awaiting_release
        erp_port.payment_post(number)
        assert erp_port.payment_get(number).released
    settled = erp_port.document_get(INVOICE, open_invoice.number)
    assert settled.settled and settled.balance == 0  # the fee settled its share of the invoice


def test_records_not_in_the_erp_read_as_none(erp_port):
    assert erp_port.payment_get("NO-SUCH-PAYMENT") is None
    assert erp_port.document_get(INVOICE, "NO-SUCH-INVOICE") is None
    assert erp_port.document_get(CREDIT_NOTE, "NO-SUCH-NOTE") is None
    assert erp_port.item_get("NO-SUCH-ITEM") is None
    assert erp_port.item_stock_get("NO-SUCH-ITEM") is None


# --------------------------------------------------------------------------- items and stock
def test_items_changed_lists_stock_and_non_stock_items_and_item_get_reads_one(erp_port):
    items = list(erp_port.items_changed(updated_from=None))
    assert items and all(isinstance(item, ErpItem) and item.number for item in items)
    stocked = [item for item in items if item.is_stock]
    assert stocked and len(stocked) < len(items)  # shipping, fees and services are items too
    one = stocked[0]
    again = erp_port.item_get(one.number)
    assert (again.number, again.description, again.price, again.ean) == (
        one.number,
        one.description,
        one.price,
        one.ean,
    )
    assert isinstance(one.price, Decimal) and one.updated_at


def test_items_changed_since_a_later_moment_lists_nothing(erp_port):
    assert list(erp_port.items_changed(updated_from=datetime(2100, 1, 1))) == []


def test_stock_is_read_per_warehouse_in_a_listing_and_for_one_item(erp_port):
    stocked = [item for item in erp_port.stock_changed(updated_from=None) if item.is_stock]
    assert stocked and any(item.warehouses for item in stocked)
    one = next(item for item in stocked if item.warehouses)
    assert all(isinstance(quantity, Decimal) for quantity in one.warehouses.values())
    assert one.availability_updated_at
    assert erp_port.item_stock_get(one.number).warehouses == one.warehouses


# --------------------------------------------------------------------------- documents out
def test_documents_changed_lists_the_released_invoice_with_its_stamp(erp_port, open_invoice):
    listed = {d.number: d for d in erp_port.documents_changed(INVOICE, updated_from=None)}
    assert open_invoice.number in listed
    document = listed[open_invoice.number]
    assert document.kind == INVOICE and document.released and document.updated_at and document.date
    assert list(erp_port.documents_changed(INVOICE, updated_from=datetime(2100, 1, 1))) == []
    assert all(d.kind == CREDIT_NOTE for d in erp_port.documents_changed(CREDIT_NOTE, updated_from=None))
