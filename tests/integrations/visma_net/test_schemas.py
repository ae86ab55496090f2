"""Payload builders: wrapping, exact money, dates."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.visma_net.schemas import (
    Address,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
    PaymentLine,
    PaymentPayload,
    TaxDetail,
    json_date,
    json_number,
    payment_release_body,
    unwrap,
    wrapped,
)


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_money_survives_json_exactly(amount):
    text = json.dumps({"value": json_number(amount)})
    assert json.loads(text, parse_float=Decimal)["value"] == amount


def test_json_number_forms():
    assert json.dumps(json_number(Decimal("19.99"))) == "19.99"
    assert json.dumps(json_number(Decimal("0.1") + Decimal("0.2"))) == "0.3"
    assert json_number(Decimal("100.00")) == 100 and isinstance(json_number(Decimal("100.00")), int)
    assert json_number(7) == 7


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0.1, TypeError),
        (True, TypeError),
        ("1.00", TypeError),
        (Decimal("1234567890123.4567"), ValueError),
        (Decimal("NaN"), ValueError),
    ],
)
def test_json_number_refuses_what_it_cannot_send_exactly(value, error):
    with pytest.raises(error):
        json_number(value)


def test_dates_and_wrapping():
    assert json_date(date(2026, 11, 2)) == "2026-11-02T00:00:00"
    assert json_date(datetime(2026, 11, 2, 8, 30, tzinfo=UTC)) == "2026-11-02T08:30:00+00:00"
    assert wrapped(a="x", b=None, c="", d=False, e=Decimal("1.50")) == {
        "a": {"value": "x"},
        "c": {"value": ""},
        "d": {"value": False},
        "e": {"value": 1.5},
    }


def test_customer_body_nests_wrapped_objects():
    body = CustomerPayload(
        name="Anna", main_address=Address(city="Malmö", country="SE"), payment_method="KLARNA"
    ).body()
    assert body == {
        "name": {"value": "Anna"},
        "mainAddress": {"value": {"city": {"value": "Malmö"}, "countryId": {"value": "SE"}}},
        "defaultPaymentMethod": {"value": {"paymentMethodId": {"value": "KLARNA"}, "isDefault": {"value": True}}},
    }
    assert CustomerPayload(name="Only the name").body() == {"name": {"value": "Only the name"}}


def test_invoice_body():
    body = InvoicePayload(
        customer_number="10000",
        customer_ref_number="1001",
        document_date=date(2026, 1, 2),
        tax_details=(TaxDetail("SE25", Decimal("25.00")),),
        billing_address=Address(country="DE"),
        lines=(
            DocumentLine("Shirt", quantity=Decimal("2"), amount=Decimal("159.20"), vat_category="SE25", account="3001"),
        ),
    ).body()
    assert unwrap(body) == {
        "customerNumber": "10000",
        "documentDate": "2026-01-02T00:00:00",
        "customerRefNumber": "1001",
        "billingAddress": {"overrideAddress": True, "countryId": "DE"},
        "taxDetailLines": [{"taxId": "SE25", "vatAmount": 25}],
        "invoiceLines": [
            {
                "operation": "Insert",
                "description": "Shirt",
                "quantity": 2,
                "manualAmountInCurrency": 159.2,
                "accountNumber": "3001",
                "vatCodeId": "SE25",
            }
        ],
    }


def test_payment_body_carries_the_write_off():
    body = PaymentPayload(
        customer_number="10000",
        amount=Decimal("97.10"),
        reference="S-1",
        lines=(PaymentLine("100000", Decimal("97.10"), write_off=Decimal("2.90"), write_off_reason="PSPFEE"),),
    ).body()
    assert unwrap(body)["paymentLines"] == [
        {
            "operation": "Insert",
            "documentType": "Invoice",
            "refNbr": "100000",
            "amountPaid": 97.1,
            "balanceWriteOff": 2.9,
            "writeOffReasonCode": "PSPFEE",
        }
    ]
    assert unwrap(body)["type"] == "Payment" and unwrap(body)["paymentRef"] == "S-1"
    assert payment_release_body() == {"type": {"value": "Payment"}}
