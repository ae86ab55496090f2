"""Customer refunds (payment type Refund) that pay out open credit notes: client, sandbox and the spec."""

from decimal import Decimal

import pytest

from integrations.http import ValidationFailed, record_calls
from integrations.visma_net import sandbox
from integrations.visma_net.schemas import CreditNotePayload, DocumentLine, PaymentLine, PaymentPayload
from tests.contracts.openapi import problems, visma_net

from .test_client import new_customer, new_invoice

SPEC = visma_net()


def open_credit_note(client, customer, price="100") -> str:
    number = client.credit_note_create(
        CreditNotePayload(
            customer_number=customer,
            customer_ref_number="R-1",
            lines=(DocumentLine("Return", unit_price=Decimal(price), vat_category="SE25", account="3001"),),
        )
    )
    client.credit_note_release(number)
    return number


def refund(customer, document, amount, **fields) -> PaymentPayload:
    return PaymentPayload(
        customer_number=customer,
        amount=Decimal(amount),
        lines=(PaymentLine(document, Decimal(amount), document_type="CreditNote"),),
        payment_method="ADYEN",
        payment_type="Refund",
        reference="PO-1/3",
        **fields,
    )


def test_a_refund_pays_out_the_credit_note(client):
    customer = new_customer(client)
    note = open_credit_note(client, customer)  # 125.00
    assert (client.credit_note_get(note)["status"], client.credit_note_get(note)["balance"]) == ("Open", Decimal("125"))

    with record_calls() as calls:
        number = client.payment_create(refund(customer, note, "125"))
        client.payment_release(number, payment_type="Refund")

    payment = client.payment_get(number)
    assert (payment["type"], payment["status"]) == ("Refund", "Closed")
    assert payment["paymentLines"][0]["documentType"] == "CreditNote"
    note_after = client.credit_note_get(note)
    assert (note_after["status"], note_after["balance"]) == ("Closed", Decimal("0"))
    assert client.payment_find("PO-1/3", customer_number=customer)["refNbr"] == number
    create, release = calls
    assert create["request_body"]["type"] == {"value": "Refund"}
    assert release["request_body"] == {"type": {"value": "Refund"}}


def test_refund_bodies_and_answers_match_the_spec(client):
    customer = new_customer(client)
    note = open_credit_note(client, customer)
    with record_calls() as calls:
        number = client.payment_create(refund(customer, note, "100", cash_account="1582", currency="SEK"))
        client.payment_release(number, payment_type="Refund")
        client.payment_get(number)
    create, release, read = calls
    assert problems(SPEC.validator(SPEC.request_schema("POST", "/v1/customerPayment")), create["request_body"]) == []
    release_schema = SPEC.request_schema("POST", "/v1/customerPayment/{paymentNumber}/action/release")
    assert problems(SPEC.validator(release_schema), release["request_body"]) == []
    answer = SPEC.response_schema("GET", "/v1/customerPayment/{paymentNumber}", 200)
    assert problems(SPEC.validator(answer), read["response_body"]) == []
    assert client.credit_note_get(note)["balance"] == Decimal("25")  # partly paid out: still open


def test_refund_refusals_name_the_problem(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer, release=True)
    note = open_credit_note(client, customer)
    unreleased = client.credit_note_create(
        CreditNotePayload(customer_number=customer, lines=(DocumentLine("x", unit_price=1, vat_category="SE25"),))
    )
    cases = [
        (refund(customer, note, "200"), "exceeds the balance 125"),
        (refund(customer, unreleased, "1"), f"credit note '{unreleased}' is not open"),
        (
            PaymentPayload(
                customer_number=customer,
                amount=Decimal("1"),
                lines=(PaymentLine(invoice, Decimal("1")),),
                payment_type="Refund",
            ),
            "documentType 'Invoice': a Refund is applied to documents of type CreditNote",
        ),
        (
            PaymentPayload(customer_number=customer, amount=Decimal("1"), payment_type="Prepayment"),
            "type 'Prepayment'",
        ),
    ]
    for payload, message in cases:
        with pytest.raises(ValidationFailed, match=message):
            client.payment_create(payload)
    assert sandbox.payment_count() == 0


def test_releasing_a_refund_as_a_payment_is_refused(client):
    customer = new_customer(client)
    number = client.payment_create(refund(customer, open_credit_note(client, customer), "125"))
    with pytest.raises(ValidationFailed, match="does not match payment"):
        client.payment_release(number)
