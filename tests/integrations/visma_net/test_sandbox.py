"""The Visma.net emulator's document arithmetic (the rounding rule flows mirror), demo data and scale."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.http import ValidationFailed
from integrations.sandbox import store
from integrations.visma_net import demo_data, sandbox
from integrations.visma_net.schemas import DocumentLine, InvoicePayload, TaxDetail

from .test_client import new_customer

D = Decimal


def invoice(client, *lines, customer=None, **fields) -> dict:
    customer = customer or new_customer(client)
    number = client.invoice_create(InvoicePayload(customer_number=customer, lines=lines, **fields))
    return client.invoice_get(number)


def line(amount_or_price, **fields) -> DocumentLine:
    return DocumentLine("Item", unit_price=D(amount_or_price), vat_category=fields.pop("vat", "SE25"), **fields)


# --------------------------------------------------------------------------- line amounts
def test_line_amount_rounds_half_up_from_exact_decimals(client):
    doc = invoice(client, line("33.335", quantity=3))
    assert doc["invoiceLines"][0]["amount"] == D("100.01")  # 100.005 → 100.01; binary floats would give 100.00


def test_line_discount_amount_is_subtracted_before_rounding(client):
    doc = invoice(client, line("100", quantity=2, discount_amount=D("15.555")))
    assert doc["invoiceLines"][0]["amount"] == D("184.45")


def test_line_discount_percent_becomes_a_rounded_discount_amount(client):
    doc = invoice(client, line("19.99", quantity=3, discount_percent=D("12.5")))
    first = doc["invoiceLines"][0]
    assert (first["discountAmountInCurrency"], first["amount"]) == (D("7.5"), D("52.47"))


def test_manual_amount_wins(client):
    doc = invoice(client, line("19.99", quantity=3, amount=D("50.004"), discount_amount=D("1")))
    assert doc["invoiceLines"][0]["amount"] == D("50")
    assert doc["invoiceLines"][0]["manualAmountInCurrency"] == D("50")


def test_defaults_come_from_the_item_and_the_zone(client):
    customer = new_customer(client)
    doc = invoice(client, DocumentLine("Shipping", inventory_number="FREIGHT"), customer=customer)
    first = doc["invoiceLines"][0]
    assert (first["amount"], first["vatCode"]["id"], first["account"]["number"]) == (D("59"), "SE25", "3001")
    export = invoice(client, DocumentLine("Sample", unit_price=D("10")), customer=customer, vat_zone="EXPORT")
    assert export["invoiceLines"][0]["vatCode"]["id"] == "EXP0"  # the zone's default VAT category
    assert export["vatTotal"] == 0


# --------------------------------------------------------------------------- VAT and totals
def test_vat_is_rounded_per_line_then_summed(client):
    doc = invoice(client, line("0.10"), line("0.10"))
    assert doc["vatTotal"] == D("0.06")  # 0.025 → 0.03 per line; 25 % of the 0.20 total would be 0.05
    assert doc["amount"] == D("0.26")


@pytest.mark.parametrize(
    ("category", "net", "vat"),
    [
        ("SE25", "100", "25"),
        ("OSS-FI", "100", "25.5"),
        ("OSS-HU", "9.99", "2.7"),
        ("OSS-LU", "33.33", "5.67"),
        ("RC0", "100", "0"),
    ],
)
def test_rates_of_the_demo_categories(client, category, net, vat):
    doc = invoice(client, line(net, vat=category, account="3106"))
    detail = doc["taxDetails"][0]
    assert (detail["taxId"], detail["taxableAmount"], detail["vatAmount"]) == (category, D(net), D(vat))
    assert doc["vatTotal"] == D(vat)


def test_totals_and_tax_details_of_a_mixed_document(client):
    doc = invoice(client, line("100", quantity=2), line("40", vat="EXP0", account="3105"), line("10.01"))
    assert (doc["detailTotal"], doc["vatTotal"], doc["amount"], doc["balance"]) == (
        D("250.01"),
        D("52.5"),
        D("302.51"),
        D("302.51"),
    )
    assert (doc["vatTaxableTotal"], doc["vatExemptTotal"]) == (D("210.01"), D("40"))
    by_vat = {d["taxId"]: (d["taxableAmount"], d["vatAmount"], d["vatRate"]) for d in doc["taxDetails"]}
    assert by_vat == {"SE25": (D("210.01"), D("52.5"), 25), "EXP0": (D("40"), 0, 0)}


def test_tax_detail_lines_override_the_vat_of_a_vat_id(client):
    doc = invoice(client, line("0.10"), line("0.10"), tax_details=(TaxDetail("SE25", D("0.05")),))
    assert (doc["vatTotal"], doc["amount"]) == (D("0.05"), D("0.25"))
    with pytest.raises(ValidationFailed, match="taxId 'OSS-DE' is not a VAT of any line"):
        invoice(client, line("1"), tax_details=(TaxDetail("OSS-DE", D("0.19")),))


def test_due_date_follows_the_credit_terms(client):
    customer = new_customer(client, credit_terms="30")
    doc = invoice(client, line("1"), customer=customer, document_date=date(2026, 11, 20))
    assert (doc["documentDate"], doc["documentDueDate"], doc["financialPeriod"]) == (
        "2026-11-20T00:00:00",
        "2026-12-20T00:00:00",
        "202611",
    )


def test_a_line_that_is_not_wrapped_is_refused_precisely(client):
    customer = new_customer(client)
    response = client.http.request(
        "POST",
        "/v2/customerinvoice",
        json_body={"customerNumber": {"value": customer}, "invoiceLines": [{"quantity": 2}]},
        allow_statuses=(400,),
    )
    assert response.status_code == 400
    assert response.json()["ExceptionMessage"] == 'invoiceLines[1].quantity must be sent as {"value": ...}.'


# --------------------------------------------------------------------------- helpers, demo data, scale
def test_helpers_expose_what_was_created(client):
    customer = new_customer(client)
    invoice(client, line("1"), customer=customer, customer_ref_number="A")
    assert sandbox.invoice_count() == 1 and sandbox.customer_count() == 1
    assert [i["customerRefNumber"] for i in sandbox.invoices()] == ["A"]
    assert sandbox.document_get(sandbox.INVOICE, "100000")["status"] == "Balanced"
    assert "_fields" not in sandbox.customers()[0]
    sandbox.reset()
    assert store.obj_count(sandbox.SYSTEM, sandbox.INVENTORY) == 0 and sandbox.invoice_count() == 0


def test_demo_seed_is_idempotent_and_keeps_changes(db):
    created = demo_data.seed()
    assert created[sandbox.INVENTORY] == 42
    assert created[sandbox.VAT_CATEGORY] == 29
    assert created[sandbox.NUMBERING] == 4
    sandbox.inventory_item_set("1001-BLK-M", available=99)
    assert demo_data.seed() == {}
    item = sandbox.document_get(sandbox.INVENTORY, "1001-BLK-M")
    assert next(w for w in item["warehouseDetails"] if w["warehouse"] == "MAIN")["available"] == 99


def test_demo_data_matches_the_mapping_fixtures(db):
    demo_data.seed()
    numbers = [i["inventoryNumber"] for i in sandbox._objects(sandbox.INVENTORY)]
    stock = [n for n in numbers if not n.startswith("FREIGHT")]
    assert len(stock) == 40
    assert all(re.fullmatch(r"\d{4}-[A-Z]{3}-[A-Z0-9]{1,2}", n) for n in stock)
    assert {"FREIGHT", "FREIGHT-EXP"} <= set(numbers)
    categories = {c["vatCategoryId"] for c in sandbox._objects(sandbox.VAT_CATEGORY)}
    assert {f"OSS-{cc}" for cc in demo_data.OSS_RATES} <= categories and "OSS-SE" not in categories
    assert len(demo_data.OSS_RATES) == 26
    methods = {m["paymentMethodID"]: m["_cashAccount"] for m in store.obj_list(sandbox.SYSTEM, sandbox.PAYMENT_METHOD)}
    assert methods == {"KLARNA": "1581", "ADYEN": "1582", "STRIPE": "1583", "PAYPAL": "1584", "INVOICE": "1930"}
    assert store.obj_get(sandbox.SYSTEM, sandbox.REASON_CODE, "PSPFEE")
    eans = [sandbox.document_get(sandbox.INVENTORY, n)["crossReferences"][0]["alternateID"] for n in stock]
    assert all(len(e) == 13 and e == demo_data.ean13(e[:12]) for e in eans) and len(set(eans)) == 40


def test_a_page_of_a_big_inventory_reads_one_page_of_rows(client):
    sandbox.inventory_bulk_create(
        sandbox.inventory_item_build(f"BULK-{i:05d}", f"Bulk item {i}", price=D("9.90"), available={"MAIN": i % 7})
        for i in range(3000)
    )
    with CaptureQueriesContext(connection) as queries:
        page = next(iter(client.inventory_list(page_size=1000)))
    assert page["metadata"]["totalCount"] == 3042
    selects = [
        q["sql"]
        for q in queries.captured_queries
        if '"sandbox_sandboxobject"."data"' in q["sql"] and "'inventory'" in q["sql"]
    ]
    assert selects and all("LIMIT 1000" in sql for sql in selects)
    assert sum(1 for _ in client.inventory_list(page_size=1000)) == 3042
