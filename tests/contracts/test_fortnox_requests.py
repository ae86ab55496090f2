"""Every request body FortnoxErp sends validates against the official spec (fortnox-v3.openapi.json).

Object schemas are made strict (additionalProperties: false), so a field the spec does not know fails.
Bodies come from the adapter's own builders (the ones its creates send): customer, invoice, credit
invoice (partial refund), the reference put on a credit made by the credit action, and the payment
with a fee written off to an account. Drafts carry every field the builders read.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from integrations.fortnox.adapter import credit_reference_body
from integrations.fortnox.adapter_payments import payment_body
from integrations.fortnox.payloads import credit_invoice_body, customer_body, invoice_body, order_body
from sync.drafts import (
    CreditNoteDraft,
    CustomerDraft,
    DraftLine,
    InvoiceDraft,
    PaymentDraft,
    PaymentDraftLine,
    TaxDetail,
)
from sync.shop import ShopAddress
from tests.contracts.openapi import fortnox, problems

SPEC = fortnox()

ADDRESS = ShopAddress(
    first_name="Erika",
    last_name="Muster",
    company="Muster GmbH",
    address1="Friedrichstraße 12",
    address2="Hinterhaus",
    zip_code="10117",
    city="Berlin",
    country="DE",
    email="erika@muster.example",
    phone="+49 30 123456",
)
CUSTOMER = CustomerDraft(
    email="erika@muster.example",
    name="Muster GmbH",
    is_company=True,
    vat_number="DE123456789",
    customer_type="B2B",
    customer_class="EUB2B",
    vat_zone="EURC",
    country="DE",
    address=ADDRESS,
    currency="EUR",
    credit_terms="30",
    payment_method="INVOICE",
)
LINES = (
    DraftLine("Merino T-shirt, black, M", Decimal("3"), Decimal("31.96"), Decimal("95.88"), "RC0", "3108",
              inventory_number="1001-BLK-M", key="line:1", rate=Decimal("0")),
    DraftLine("Wool socks", Decimal("3"), Decimal("3.333"), Decimal("10.00"), "RC0", "3108", key="line:2"),
    DraftLine("Shipping", Decimal("1"), Decimal("9.90"), Decimal("9.90"), "RC0", "3108", key="shipping"),
)  # fmt: skip
INVOICE = InvoiceDraft(
    order_number="20001",
    document_date="2026-03-02",
    currency="EUR",
    customer=CUSTOMER,
    default_customer_number="",
    payment_method="INVOICE",
    credit_terms="30",
    vat_zone="EURC",
    regime="eu_b2b",
    country="DE",
    lines=LINES,
    tax_details=(TaxDetail("RC0", Decimal("115.78"), Decimal("0")),),
    net_total=Decimal("115.78"),
    vat_total=Decimal("0"),
    gross_total=Decimal("115.78"),
    text="Order 20001",
    note="the buyer's VAT number DE123456789 is from Germany (DE): intra-EU reverse charge",
    currency_rate=Decimal("11.4823"),
)
CREDIT = CreditNoteDraft(
    refund_id="501",
    order_number="20001",
    invoice_number="17",
    customer_number="42",
    document_date="2026-03-05",
    currency="EUR",
    vat_zone="EURC",
    lines=LINES[:1],
    tax_details=(TaxDetail("RC0", Decimal("95.88"), Decimal("0")),),
    net_total=Decimal("95.88"),
    vat_total=Decimal("0"),
    gross_total=Decimal("95.88"),
    text="Return 501 of order 20001",
    currency_rate=Decimal("11.4823"),
)
PAYMENT = PaymentDraft(
    customer_number="42",
    amount=Decimal("492.25"),
    lines=(PaymentDraftLine("17", Decimal("492.25"), write_off=Decimal("7.75"), write_off_account="6064"),),
    reference="PO-CONTRACT/1",
    payment_method="ADYEN",
    cash_account="1582",
    currency="SEK",
    payment_date=date(2026, 11, 20),
    text="Demo PSP payout PO-CONTRACT",
)

BODIES = {
    "customer": ("POST", "/3/customers", customer_body(CUSTOMER)),
    "customer update": ("PUT", "/3/customers/{CustomerNumber}", customer_body(replace(CUSTOMER, is_company=False))),
    "invoice": ("POST", "/3/invoices", invoice_body(INVOICE, customer_number="42")),
    "sales order": ("POST", "/3/orders", order_body(INVOICE, customer_number="42")),
    "credit invoice": ("POST", "/3/invoices", credit_invoice_body(CREDIT)),
    "invoice in SEK": ("POST", "/3/invoices", invoice_body(replace(INVOICE, currency="SEK", currency_rate=None), customer_number="42")),
    "credit reference": ("PUT", "/3/invoices/{DocumentNumber}", credit_reference_body(CREDIT, {"CustomerNumber": "42"})),
    "payment": ("POST", "/3/invoicepayments", payment_body(PAYMENT, invoice={"InvoiceDate": "2026-11-21"})),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BODIES))
def test_the_body_validates_against_the_official_spec(name):
    method, path, body = BODIES[name]
    validator = SPEC.validator(SPEC.request_schema(method, path))

    assert problems(validator, body) == []


def test_the_strict_spec_refuses_a_field_it_does_not_know():
    method, path, body = BODIES["invoice"]
    validator = SPEC.validator(SPEC.request_schema(method, path))
    body = {"Invoice": {**body["Invoice"], "RoundOff": 0.5}}

    assert problems(validator, body) == ["Invoice: Additional properties are not allowed ('RoundOff' was unexpected)"]


def test_the_bodies_carry_what_the_rules_say():
    invoice = BODIES["invoice"][2]["Invoice"]
    assert invoice["ExternalInvoiceReference1"] == "20001" and invoice["VATIncluded"] is False
    assert [(r["DeliveredQuantity"], r["Price"], r["VAT"], r["AccountNumber"]) for r in invoice["InvoiceRows"]] == [
        ("3.00", 31.96, 0, 3108),
        ("1.00", 10, 0, 3108),  # 10.00 / 3 has no two-decimal price: one row at the line's amount
        ("1.00", 9.9, 0, 3108),
    ]
    assert invoice["InvoiceRows"][1]["Description"] == "3 × Wool socks"
    customer = BODIES["customer"][2]["Customer"]
    assert (customer["Type"], customer["VATType"], customer["CountryCode"]) == ("COMPANY", "EUREVERSEDVAT", "DE")
    credit = BODIES["credit invoice"][2]["Invoice"]
    assert (credit["CreditInvoiceReference"], credit["ExternalInvoiceReference2"]) == ("17", "R501")
    assert [r["Price"] for r in credit["InvoiceRows"]] == [-31.96]
    # the shop's rate (SEK per 1 EUR) as the spec's number, per 1 unit; none on a SEK invoice
    for name, envelope in (("invoice", "Invoice"), ("sales order", "Order"), ("credit invoice", "Invoice")):
        body = BODIES[name][2][envelope]
        assert (body["CurrencyRate"], body["CurrencyUnit"]) == (11.4823, 1), name
    assert not {"CurrencyRate", "CurrencyUnit"} & set(BODIES["invoice in SEK"][2]["Invoice"])
    payment = BODIES["payment"][2]["InvoicePayment"]
    assert payment["PaymentDate"] == "2026-11-21"  # never before the invoice's date
    assert payment["WriteOffs"] == [
        {
            "AccountNumber": 6064,
            "Amount": 7.75,
            "Currency": "SEK",
            "Description": "Demo PSP payout PO-CONTRACT",
            "TransactionInformation": "PO-CONTRACT/1",
        }
    ]
