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


@pytest.mark.parametrize(
    ("category", "day", "rate", "vat"),
    [
        ("OSS-EE", date(2025, 6, 30), 22, "22"),
        ("OSS-EE", date(2025, 7, 1), 24, "24"),
        ("OSS-FI", date(2024, 8, 31), 24, "24"),
        ("OSS-FI", date(2024, 9, 1), D("25.5"), "25.5"),
        ("OSS-SK", date(2024, 12, 31), 20, "20"),
        ("OSS-SK", date(2025, 1, 1), 23, "23"),
        ("OSS-RO", date(2025, 7, 31), 19, "19"),
        ("OSS-RO", date(2025, 8, 1), 21, "21"),
    ],
)
def test_a_document_takes_the_rate_in_force_on_its_date(client, category, day, rate, vat):
    doc = invoice(client, line("100", vat=category, account="3106"), document_date=day)
    detail = doc["taxDetails"][0]
    assert (detail["vatRate"], detail["vatAmount"], doc["vatTotal"]) == (rate, D(vat), D(vat))


def test_vat_categories_publish_their_rate_history(client):
    from integrations.visma_net.client import vat_category_rate

    categories = {c["vatCategoryId"]: c for c in client.vat_category_list()}
    estonia = categories["OSS-EE"]
    assert [(r["startDate"][:10], r["vatRate"]) for r in estonia["vatCategoryLines"][0]["vatRates"]] == [
        ("2000-01-01", 20),
        ("2024-01-01", 22),
        ("2025-07-01", 24),
    ]
    assert vat_category_rate(estonia, on=date(2025, 6, 30)) == 22
    assert vat_category_rate(categories["OSS-FI"], on=date(2024, 9, 1)) == D("25.5")
    assert vat_category_rate(categories["OSS-XI"], on=date(2026, 5, 1)) == 20
    for category, history in demo_data.RATE_HISTORIES.items():  # the demo's current rate is the last of the history
        assert history[-1][1] == demo_data.OSS_RATES[category.removeprefix("OSS-")]
        assert demo_data.category_rate(category, date(2026, 5, 1)) == history[-1][1]


def test_yen_documents_are_rounded_to_whole_yen(client):
    doc = invoice(
        client,
        line("1665.83", vat="OSS-AT", account="3106"),
        line("416.67", vat="OSS-AT", account="3106"),
        currency="JPY",
    )
    assert [(x["amount"], x["amountInCurrency"]) for x in doc["invoiceLines"]] == [(1666, 1666), (417, 417)]
    assert (doc["detailTotal"], doc["vatTotal"], doc["amount"], doc["balance"]) == (2083, 416, 2499, 2499)
    assert doc["taxDetails"][0]["vatAmount"] == 416  # 333.2 → 333 and 83.4 → 83: rounded per line to whole yen


def test_a_currency_table_entry_decides_the_decimals(client):
    assert sandbox.currency_decimals("JPY") == 0 and sandbox.currency_decimals("EUR") == 2
    assert sandbox.currency_decimals("KWD") == 3  # not in the company's table: the ISO 4217 minor unit
    doc = invoice(client, line("10.0005", vat="RC0", account="3108"), currency="KWD")
    assert doc["amount"] == D("10.001")
    currencies = client.http.request("GET", "/v1/currency").json()
    assert {c["id"]: c["decimalPrecision"] for c in currencies}["JPY"] == 0


def test_tax_detail_overrides_are_taken_as_given_in_the_currencys_places(client):
    doc = invoice(
        client,
        line("1665.83", vat="OSS-AT", account="3106"),
        currency="JPY",
        tax_details=(TaxDetail("OSS-AT", D("334"), taxable_amount=D("1665")),),
    )
    detail = doc["taxDetails"][0]
    assert (detail["taxableAmount"], detail["vatAmount"], doc["vatTotal"], doc["amount"]) == (1665, 334, 334, 2000)
    with pytest.raises(
        ValidationFailed, match=r"taxDetailLines\[1\]\.vatAmount 333.5 has more decimals than JPY has \(0\)"
    ):
        invoice(client, line("1665.83", vat="OSS-AT"), currency="JPY", tax_details=(TaxDetail("OSS-AT", D("333.5")),))
    with pytest.raises(ValidationFailed, match=r"taxableAmount 100.005 has more decimals than EUR has \(2\)"):
        invoice(
            client,
            line("100", vat="OSS-DE"),
            currency="EUR",
            tax_details=(TaxDetail("OSS-DE", D("19"), taxable_amount=D("100.005")),),
        )


def test_reduced_rate_and_northern_ireland_categories_and_the_rounding_account(client):
    doc = invoice(
        client,
        line("100", vat="SE6", account="3003"),
        line("100", vat="SE12", account="3002"),
        line("100", vat="OSS-IE0", account="3106"),
        line("100", vat="OSS-XI", account="3106"),
    )
    by_vat = {d["taxId"]: d["vatAmount"] for d in doc["taxDetails"]}
    assert by_vat == {"SE6": 6, "SE12": 12, "OSS-IE0": 0, "OSS-XI": 20}
    accounts = {a["accountCD"]: (a["description"], a["type"]) for a in client.account_list()}
    assert accounts["3740"] == ("Rounding differences", "Income")


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
    assert created[sandbox.INVENTORY] == 47
    assert created[sandbox.VAT_CATEGORY] == 42  # with EXEMPT, outside the scope of VAT (öre rounding)
    assert created[sandbox.CURRENCY] == 6
    assert created[sandbox.NUMBERING] == 6  # customers, invoices, credit notes, payments, sales orders, GL batches
    sandbox.inventory_item_set("1001-BLK-M", available=99)
    assert demo_data.seed() == {}
    item = sandbox.document_get(sandbox.INVENTORY, "1001-BLK-M")
    assert next(w for w in item["warehouseDetails"] if w["warehouse"] == "MAIN")["available"] == 99


def test_demo_data_matches_the_mapping_fixtures(db):
    demo_data.seed()
    numbers = [i["inventoryNumber"] for i in sandbox._objects(sandbox.INVENTORY)]
    stock = [n for n in numbers if not n.startswith("FREIGHT")]
    assert len(stock) == 45
    assert all(re.fullmatch(r"\d{4}-[A-Z]{3}-[A-Z0-9]{1,2}", n) for n in stock)
    assert {"FREIGHT", "FREIGHT-EXP"} <= set(numbers)
    categories = {c["vatCategoryId"] for c in sandbox._objects(sandbox.VAT_CATEGORY)}
    assert {f"OSS-{cc}" for cc in demo_data.OSS_RATES} <= categories and "OSS-SE" not in categories
    assert len(demo_data.OSS_RATES) == 26
    methods = {m["paymentMethodID"]: m["_cashAccount"] for m in store.obj_list(sandbox.SYSTEM, sandbox.PAYMENT_METHOD)}
    assert methods == {"KLARNA": "1581", "ADYEN": "1582", "STRIPE": "1583", "PAYPAL": "1584", "INVOICE": "1930"}
    assert store.obj_get(sandbox.SYSTEM, sandbox.REASON_CODE, "PSPFEE")
    eans = [sandbox.document_get(sandbox.INVENTORY, n)["crossReferences"][0]["alternateID"] for n in stock]
    assert all(len(e) == 13 and e == demo_data.ean13(e[:12]) for e in eans) and len(set(eans)) == 45


def test_the_demo_vat_rate_mapping_books_to_categories_of_the_demo_company(db):
    """mappings/fixtures/demo/vat_rates.csv: each row's category exists here with that rate, its account too."""
    import csv
    from pathlib import Path

    demo_data.seed()
    fixture = Path(__file__).resolve().parents[3] / "mappings" / "fixtures" / "demo" / "vat_rates.csv"
    with fixture.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["country", "rate", "vat_category", "sales_account", "description"]
    categories = {c["vatCategoryId"]: c for c in sandbox._objects(sandbox.VAT_CATEGORY)}
    for row in rows:
        rates = sandbox.vat_rates(categories[row["vat_category"]], date(2026, 5, 1))
        assert [rate for _id, _d, rate in rates] == [D(row["rate"])], row
        assert not row["sales_account"] or store.obj_get(sandbox.SYSTEM, sandbox.ACCOUNT, row["sales_account"])
    assert {r["vat_category"] for r in rows} == {c for c, *_ in demo_data.REDUCED_CATEGORIES}


def test_a_page_of_a_big_inventory_reads_one_page_of_rows(client):
    sandbox.inventory_bulk_create(
        sandbox.inventory_item_build(f"BULK-{i:05d}", f"Bulk item {i}", price=D("9.90"), available={"MAIN": i % 7})
        for i in range(3000)
    )
    with CaptureQueriesContext(connection) as queries:
        page = next(iter(client.inventory_list(page_size=1000)))
    assert page["metadata"]["totalCount"] == 3047
    selects = [
        q["sql"]
        for q in queries.captured_queries
        if '"sandbox_sandboxobject"."data"' in q["sql"] and "'inventory'" in q["sql"]
    ]
    assert selects and all("LIMIT 1000" in sql for sql in selects)
    assert sum(1 for _ in client.inventory_list(page_size=1000)) == 3047
