"""VismaNetClient against the in-process Visma.net sandbox (and `responses` for shapes the sandbox cannot make)."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.http import ValidationFailed, record_calls
from integrations.visma_net import sandbox
from integrations.visma_net.client import ActionResult, VismaNetClient, filter_time, vat_category_rate
from integrations.visma_net.schemas import (
    Address,
    Application,
    Contact,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
    PaymentLine,
    PaymentPayload,
)


def new_customer(client, email="anna@example.com", **fields) -> str:
    defaults = {
        "name": "Anna Svensson",
        "customer_class": "DOMESTIC",
        "credit_terms": "0",
        "currency": "SEK",
        "payment_method": "KLARNA",
        "main_contact": Contact(name="Anna Svensson", email=email),
        "main_address": Address(line1="Storgatan 1", postal_code="111 22", city="Stockholm", country="SE"),
    }
    return client.customer_create(CustomerPayload(**{**defaults, **fields}))


def new_invoice(client, customer, reference="1001", *, lines=None, release=False, **fields) -> str:
    lines = lines or (
        DocumentLine("Merino T-shirt", quantity=2, unit_price=Decimal("399"), vat_category="SE25", account="3001"),
    )
    number = client.invoice_create(
        InvoicePayload(customer_number=customer, lines=lines, customer_ref_number=reference, **fields)
    )
    if release:
        client.invoice_release(number)
    return number


def query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call["url"]).query).items()}


# --------------------------------------------------------------------------- connection check
def test_ping_summarises_the_company(client):
    assert client.ping() == "4 customer classes, company Koppla Demo AB (sandbox company 1)"


def test_client_for_builds_a_visma_net_client(visma_connection):
    from integrations.clients import client_for

    assert isinstance(client_for(visma_connection), VismaNetClient)


# --------------------------------------------------------------------------- customers
def test_customer_create_returns_the_number_from_the_location_header(client):
    with record_calls() as calls:
        first = new_customer(client)
        second = new_customer(client, email="bo@example.com")
    assert (first, second) == ("10000", "10001")
    assert calls[0]["status"] == 201 and calls[0]["response_body"] is None
    assert calls[0]["response_location"] == "http://testserver/sandbox/visma-net/api/v1/customer/10000"
    customer = client.customer_get(first)
    assert customer["name"] == "Anna Svensson"
    assert customer["mainContact"]["email"] == "anna@example.com"
    assert customer["customerClass"]["id"] == "DOMESTIC"
    assert customer["vatZone"]["id"] == "SE"  # from the customer class
    assert customer["mainAddress"]["country"] == {"id": "SE", "name": "Sweden"}
    assert customer["defaultPaymentMethodId"] == "KLARNA"


def test_customer_create_refuses_an_unknown_customer_class(client):
    with pytest.raises(ValidationFailed, match="Customer class 'NOPE' does not exist"):
        new_customer(client, customer_class="NOPE")
    assert sandbox.customer_count() == 0


def test_customer_find_by_email_is_an_exact_match(client):
    anna = new_customer(client, email="anna@example.com")
    new_customer(client, email="anna@example.com.au")
    new_customer(client, email="hanna@example.com")
    with record_calls() as calls:
        found = client.customer_find_by_email("Anna@Example.com")
    assert [c["number"] for c in found] == [anna]
    assert query(calls[0])["email"] == "Anna@Example.com"
    assert client.customer_find_by_email("anna@example") == []


def test_customer_update_changes_only_the_fields_sent(client):
    number = new_customer(client)
    before = client.customer_get(number)
    client.customer_update(number, CustomerPayload(name="Anna Berg", vat_zone="OSS", customer_class="EUB2C"))
    after = client.customer_get(number)
    assert (after["name"], after["vatZone"]["id"], after["customerClass"]["id"]) == ("Anna Berg", "OSS", "EUB2C")
    assert after["mainContact"]["email"] == "anna@example.com"
    assert after["mainAddress"] == before["mainAddress"]
    assert after["lastModifiedDateTime"] >= before["lastModifiedDateTime"]


def test_customer_list_filters_by_last_modified(client):
    numbers = [new_customer(client, email=f"c{i}@example.com") for i in range(3)]
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for offset, number in enumerate(numbers):
        sandbox.object_touch(sandbox.CUSTOMER, number, base + timedelta(hours=offset))
    since = base + timedelta(hours=1)
    with record_calls() as calls:
        changed = [c["number"] for c in client.customer_list(modified_since=since)]
    assert changed == numbers[1:]
    assert query(calls[0])["lastModifiedDateTime"] == "2026-03-01T13:00:00.000"
    assert query(calls[0])["lastModifiedDateTimeCondition"] == ">="
    assert [c["number"] for c in client.customer_list(modified_since=since, condition=">")] == numbers[2:]


def test_filter_time_is_utc_without_offset():
    summer_in_stockholm = timezone(timedelta(hours=2))
    assert filter_time(datetime(2026, 6, 1, 14, 30, 5, 123456, tzinfo=summer_in_stockholm)) == "2026-06-01T12:30:05.123"
    assert filter_time(datetime(2026, 6, 1, 12, 30, 5)) == "2026-06-01T12:30:05.000"
    assert filter_time(date(2026, 6, 1)) == "2026-06-01"


# --------------------------------------------------------------------------- paging
def test_paging_reads_every_page_to_exhaustion(client):
    with record_calls() as calls:
        items = list(client.inventory_list(page_size=5))
    assert len(items) == 47 == len({i["inventoryNumber"] for i in items})
    assert [int(query(c)["pageNumber"]) for c in calls] == list(range(1, 11))
    assert {query(c)["pageSize"] for c in calls} == {"5"}


def test_paging_stops_at_the_total_without_an_extra_request(client):
    for i in range(6):
        new_customer(client, email=f"p{i}@example.com")
    with record_calls() as calls:
        customers = list(client.customer_list(page_size=3))
    assert len(customers) == 6
    assert len(calls) == 2


def test_paging_honours_a_smaller_max_page_size(client, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_PAGE_SIZE", 4)
    with record_calls() as calls:
        items = list(client.inventory_list(page_size=10))
    assert len(items) == 47
    assert len(calls) == 12  # 11 full pages of 4 and a last one of 3


def test_paging_is_lazy(client):
    with record_calls() as calls:
        first = list(islice(client.inventory_list(page_size=2), 3))
    assert len(first) == 3
    assert len(calls) == 2


def test_paging_reads_the_records_shape(client):
    terms = client.credit_term_list()
    assert [(t["termsId"], t["dueDay1"]) for t in terms] == [("0", 0), ("30", 30)]


# --------------------------------------------------------------------------- reference data
def test_reference_lists(client):
    assert {c["id"]: c["taxZoneId"] for c in client.customer_class_list()} == {
        "DOMESTIC": "SE",
        "EUB2C": "OSS",
        "EUB2B": "EURC",
        "EXPORT": "EXPORT",
    }
    assert {z["id"] for z in client.vat_zone_list()} == {"SE", "OSS", "EURC", "EXPORT"}
    rates = {c["vatCategoryId"]: vat_category_rate(c) for c in client.vat_category_list()}
    assert len(rates) == 3 + 26 + 1 + 11 + 1  # SE/RC/EXP, OSS standard, OSS-XI, reduced, EXEMPT
    assert (rates["SE25"], rates["RC0"], rates["OSS-FI"], rates["OSS-HU"]) == (
        Decimal("25"),
        Decimal("0"),
        Decimal("25.5"),
        Decimal("27"),
    )
    assert {v["vatId"] for v in client.vat_list()} >= {"SE25", "RC0", "EXP0", "OSS-DE"}
    accounts = {a["accountCD"]: a["type"] for a in client.account_list()}
    assert {"3001", "3105", "3106", "3108", "1930", "6064"} <= set(accounts)
    assert accounts["6064"] == "Expense"
    assert {m["paymentMethodID"] for m in client.payment_method_list()} == {
        "KLARNA",
        "ADYEN",
        "STRIPE",
        "PAYPAL",
        "INVOICE",
    }
    assert {a["number"] for a in client.cash_account_list()} >= {"1581", "1582", "1583", "1584", "1930"}


def test_number_sequences_show_capacity(client):
    new_customer(client)
    new_customer(client, email="b@example.com")
    numbering = client.number_sequence_get("CUSTOMER")
    segment = numbering["sequence"][0]
    assert (segment["startNbr"], segment["endNbr"], segment["lastNbr"], segment["nextNumber"]) == (
        "10000",
        "19999",
        "10001",
        "10002",
    )
    ids = {n["numberingId"] for n in client.number_sequence_list()}
    assert ids == {"CUSTOMER", "ARINVOICE", "ARCREDITNO", "ARPAYMENT", "SOORDER", "GLBATCH"}
    assert client.number_sequence_get("ARINVOICE")["sequence"][0]["lastNbr"] == "099999"  # none used yet


def test_an_exhausted_numbering_refuses_the_create(client):
    sandbox.numbering_last_set("CUSTOMER", 19999)
    with pytest.raises(ValidationFailed, match="Numbering CUSTOMER has run out of numbers"):
        new_customer(client)


def test_a_number_taken_by_hand_collides(client):
    sandbox.customer_put("10000", name="Typed in by hand")
    with pytest.raises(ValidationFailed, match="Customer 10000 already exists"):
        new_customer(client)


# --------------------------------------------------------------------------- invoices
def test_invoice_create_get_release(client):
    customer = new_customer(client)
    with record_calls() as calls:
        number = new_invoice(client, customer, "1001")
    assert number == "100000"
    assert calls[0]["url"].endswith("/v2/customerinvoice")
    assert calls[0]["response_location"].endswith("/v1/customerinvoice/100000")
    invoice = client.invoice_get(number)
    assert (invoice["status"], invoice["customer"]["number"], invoice["customerRefNumber"]) == (
        "Balanced",
        customer,
        "1001",
    )
    assert (invoice["detailTotal"], invoice["vatTotal"], invoice["amount"]) == (
        Decimal("798"),
        Decimal("199.5"),
        Decimal("997.5"),
    )
    assert isinstance(invoice["vatTotal"], Decimal)
    assert invoice["invoiceLines"][0]["vatCode"]["id"] == "SE25"
    result = client.invoice_release(number)
    assert isinstance(result, ActionResult) and result.result == "Done"
    assert client.invoice_get(number)["status"] == "Open"


def test_releasing_twice_raises_the_erp_message(client):
    number = new_invoice(client, new_customer(client), release=True)
    with pytest.raises(ValidationFailed, match="Invoice 100000 has already been released") as caught:
        client.invoice_release(number)
    assert caught.value.status == 200
    assert caught.value.body["actionResult"] == "Failed"


def test_releasing_an_invoice_on_hold_fails(client):
    number = new_invoice(client, new_customer(client), hold=True)
    assert client.invoice_get(number)["status"] == "Hold"
    with pytest.raises(ValidationFailed, match="is on hold"):
        client.invoice_release(number)


def test_invoice_find_by_our_reference(client):
    customer = new_customer(client)
    new_invoice(client, customer, "1001")
    wanted = new_invoice(client, customer, "1002", external_reference="EXT-1002")
    new_invoice(client, customer, "10021")
    with record_calls() as calls:
        found = client.invoice_find("1002")
    assert found["referenceNumber"] == wanted
    assert query(calls[0])["customerRefNumber"] == "1002"
    assert client.invoice_find("EXT-1002", field="externalReference")["referenceNumber"] == wanted
    assert client.invoice_find("9999") is None


def test_invoice_list_changed_since(client):
    customer = new_customer(client)
    old, new = new_invoice(client, customer, "1"), new_invoice(client, customer, "2", release=True)
    sandbox.object_touch(sandbox.INVOICE, old, datetime(2026, 1, 1, tzinfo=UTC))
    sandbox.object_touch(sandbox.INVOICE, new, datetime(2026, 2, 1, tzinfo=UTC))
    changed = list(client.invoice_list(modified_since=datetime(2026, 1, 15, tzinfo=UTC)))
    assert [i["referenceNumber"] for i in changed] == [new]
    assert [i["referenceNumber"] for i in client.invoice_list(status="Balanced")] == [old]


def test_invoice_create_refuses_unknown_references(client):
    customer = new_customer(client)
    cases = [
        ({"customer_number": "NOPE"}, "Customer 'NOPE' does not exist"),
        ({"vat_zone": "XX"}, "VAT zone 'XX' does not exist"),
        ({"lines": (DocumentLine("x", unit_price=1, vat_category="SE99"),)}, r"invoiceLines\[1\]\.VAT category 'SE99'"),
        ({"lines": (DocumentLine("x", unit_price=1, account="9999"),)}, r"invoiceLines\[1\]\.Account '9999'"),
        ({"lines": (DocumentLine("x", inventory_number="NO-SKU"),)}, "Inventory item 'NO-SKU' does not exist"),
        ({"payment_method": "CASH"}, "Payment method 'CASH' does not exist"),
    ]
    for fields, message in cases:
        payload = {
            "customer_number": customer,
            "lines": (DocumentLine("x", unit_price=1, vat_category="SE25"),),
            **fields,
        }
        with pytest.raises(ValidationFailed, match=message):
            client.invoice_create(InvoicePayload(**payload))
    assert sandbox.invoice_count() == 0
    assert client.number_sequence_get("ARINVOICE")["sequence"][0]["lastNbr"] == "099999"


# --------------------------------------------------------------------------- credit notes
def test_credit_note_applied_to_an_invoice(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer, "1001", release=True)
    number = client.credit_note_create(
        CreditNotePayload(
            customer_number=customer,
            customer_ref_number="R-1",
            lines=(DocumentLine("Return", unit_price=Decimal("399"), vat_category="SE25", account="3001"),),
            applications=(Application(invoice, Decimal("498.75")),),
        )
    )
    assert number == "200000"
    note = client.credit_note_get(number)
    assert (note["documentType"], note["status"], note["amount"]) == ("CreditNote", "Balanced", Decimal("498.75"))
    client.credit_note_release(number)
    assert client.credit_note_get(number)["status"] == "Closed"
    assert client.invoice_get(invoice)["balance"] == Decimal("498.75")
    assert client.credit_note_find("R-1")["referenceNumber"] == number
    assert [n["referenceNumber"] for n in client.credit_note_list(status="Closed")] == [number]
    with pytest.raises(ValidationFailed, match="already been released"):
        client.credit_note_release(number)


def test_credit_note_application_to_an_unreleased_invoice_fails_on_release(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer)
    number = client.credit_note_create(
        CreditNotePayload(
            customer_number=customer,
            lines=(DocumentLine("Return", unit_price=Decimal("10"), vat_category="SE25"),),
            applications=(Application(invoice, Decimal("12.50")),),
        )
    )
    with pytest.raises(ValidationFailed, match=f"Invoice {invoice} is not open"):
        client.credit_note_release(number)


# --------------------------------------------------------------------------- payments
def test_payment_with_psp_fee_written_off_closes_the_invoice(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer, "1001", release=True)  # 997.50
    number = client.payment_create(
        PaymentPayload(
            customer_number=customer,
            amount=Decimal("975.45"),
            lines=(PaymentLine(invoice, Decimal("975.45"), write_off=Decimal("22.05"), write_off_reason="PSPFEE"),),
            payment_method="KLARNA",
            reference="KLARNA-2026-11-20",
        )
    )
    assert number == "300000"
    payment = client.payment_get(number)
    assert (payment["status"], payment["cashAccount"], payment["writeOffAmount"]) == (
        "Balanced",
        "1581",
        Decimal("22.05"),
    )
    assert payment["paymentLines"][0]["writeOffReasonCode"]["id"] == "PSPFEE"
    assert client.invoice_get(invoice)["balance"] == Decimal("997.5")  # nothing moves before release
    client.payment_release(number)
    invoice_after = client.invoice_get(invoice)
    assert (invoice_after["status"], invoice_after["balance"]) == ("Closed", Decimal("0"))
    assert client.payment_get(number)["status"] == "Closed"
    assert client.payment_find("KLARNA-2026-11-20", invoice_number=invoice)["refNbr"] == number
    assert client.payment_find("KLARNA-2026-11-20", customer_number=customer)["refNbr"] == number
    assert client.payment_find("OTHER", invoice_number=invoice) is None


def test_partial_payment_leaves_the_invoice_open(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer, release=True)
    number = client.payment_create(
        PaymentPayload(customer_number=customer, amount=Decimal("500"), lines=(PaymentLine(invoice, Decimal("500")),))
    )
    client.payment_release(number)
    assert (client.invoice_get(invoice)["status"], client.invoice_get(invoice)["balance"]) == ("Open", Decimal("497.5"))


def test_payment_refusals_name_the_problem(client):
    customer = new_customer(client)
    unreleased = new_invoice(client, customer, "1")
    invoice = new_invoice(client, customer, "2", release=True)
    cases = [
        (PaymentLine(unreleased, Decimal("1")), f"invoice '{unreleased}' is not open \\(status Balanced\\)"),
        (
            PaymentLine(invoice, Decimal("990"), write_off=Decimal("10"), write_off_reason="PSPFEE"),
            "exceeds the balance",
        ),
        (PaymentLine(invoice, Decimal("990"), write_off=Decimal("7.50")), "writeOffReasonCode is required"),
        (PaymentLine(invoice, Decimal("990"), write_off=Decimal("7.50"), write_off_reason="FEE"), "Reason code 'FEE'"),
        (PaymentLine("999999", Decimal("1")), "invoice '999999' does not exist"),
    ]
    for line, message in cases:
        with pytest.raises(ValidationFailed, match=message):
            client.payment_create(PaymentPayload(customer_number=customer, amount=Decimal("1000"), lines=(line,)))
    assert sandbox.payment_count() == 0


def test_releasing_a_payment_twice_fails(client):
    customer = new_customer(client)
    invoice = new_invoice(client, customer, release=True)
    number = client.payment_create(
        PaymentPayload(customer_number=customer, amount=Decimal("10"), lines=(PaymentLine(invoice, Decimal("10")),))
    )
    client.payment_release(number)
    with pytest.raises(ValidationFailed, match=f"Payment {number} has already been released"):
        client.payment_release(number)


# --------------------------------------------------------------------------- inventory
def test_inventory_get_with_warehouses_and_attributes(client):
    item = client.inventory_get("1001-BLK-M")
    assert item["attributes"]  # ids and values always
    assert "warehouseDetails" not in item  # only when expanded
    listed = next(i for i in client.inventory_list() if i["inventoryNumber"] == "1001-BLK-M")
    assert {a["id"]: a["value"] for a in listed["attributes"]} == {
        "PRODUCT": "Merino T-shirt",
        "COLOR": "Black",
        "SIZE": "M",
        "MATERIAL": "Merino wool",
    }
    assert {w["warehouse"] for w in listed["warehouseDetails"]} == {"MAIN", "STORE"}
    assert listed["defaultPrice"] == Decimal("399")
    assert listed["crossReferences"][0]["alternateType"] == "Barcode"


def test_stock_changes_move_availability_not_last_modified(client):
    later = datetime.now(UTC) + timedelta(days=1)
    sandbox.inventory_item_set("1002-BLU-L", available=17, at=later)
    sandbox.inventory_item_set("1003-GRY-S", price=Decimal("1099.90"), at=later)
    stock = list(client.inventory_list(availability_modified_since=later))
    changed = list(client.inventory_list(modified_since=later))
    assert [i["inventoryNumber"] for i in stock] == ["1002-BLU-L"]
    main = next(w for w in stock[0]["warehouseDetails"] if w["warehouse"] == "MAIN")
    assert main["available"] == 17
    assert [(i["inventoryNumber"], i["defaultPrice"]) for i in changed] == [("1003-GRY-S", Decimal("1099.9"))]
