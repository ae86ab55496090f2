"""ErpPort behaviour, the same for every ERP: run against each ERP adapter through its sandbox (`erp_port`).

Customers, VAT categories, invoices and credit notes: create, find by Koppla's reference, read
back (status, totals, figures), post, and the prechecks that tell before any write what the ERP
would refuse. The master data the drafts name (VAT category, account, customer class, VAT zone)
is the seeded demo company's, per system in ERP_FACTS.
"""

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from sync import ports
from sync.drafts import (
    CreditNoteDraft,
    CustomerDraft,
    DraftLine,
    InvoiceDraft,
    JournalDraft,
    JournalLineDraft,
    PaymentDraft,
    PaymentDraftLine,
    TaxDetail,
)
from sync.erp import CREDIT_NOTE, INVOICE, JOURNAL_TRANSACTION, SALES_ORDER, ErpCustomer, ErpDocument, ErpItem
from sync.ports import ErpPort
from sync.shop import ShopAddress
from tests.contracts.openapi import problems


@dataclass(frozen=True)
class ErpFacts:
    """Ids of the seeded demo company that a domestic 25 % sale books to."""

    vat_category: str
    rate: Decimal
    account: str
    customer_class: str
    vat_zone: str
    currency: str
    item: str = "1001-BLK-M"  # a seeded stock item (sales order lines need one)
    receivable_account: str = "1510"  # the debit of a sales journal entry
    vat_account: str = "2611"  # where a sales journal entry books the VAT


ERP_FACTS = {
    "visma_net": ErpFacts(
        vat_category="SE25",
        rate=Decimal("25"),
        account="3001",
        customer_class="DOMESTIC",
        vat_zone="SE",
        currency="SEK",
    ),
    # Fortnox has no VAT zones or customer classes: a row carries its rate and sales account.
    "fortnox": ErpFacts(
        vat_category="SE25",
        rate=Decimal("25"),
        account="3001",
        customer_class="",
        vat_zone="",
        currency="SEK",
    ),
}


def request_spec(system: str, kind: str) -> tuple:
    """(official spec, method, path) that the create request of a document `kind` of `system` must validate against."""
    from tests.contracts.openapi import fortnox, visma_net

    specs = {
        ("visma_net", "sales_order"): (visma_net, "POST", "/v1/salesorder"),
        ("visma_net", "journal_transaction"): (visma_net, "POST", "/v2/journaltransaction"),
        ("fortnox", "sales_order"): (fortnox, "POST", "/3/orders"),
    }
    assert (system, kind) in specs, f"add the {system} spec operation of its {kind} create to request_spec"
    spec, method, path = specs[(system, kind)]
    return spec(), method, path


@pytest.fixture
def facts(erp_port) -> ErpFacts:
    assert erp_port.system in ERP_FACTS, f"add the {erp_port.system} demo company's ids to ERP_FACTS"
    return ERP_FACTS[erp_port.system]


def customer(facts: ErpFacts, email: str = "Port.Test@Example.se", **changes) -> CustomerDraft:
    draft = CustomerDraft(
        email=email,
        name="Port Test",
        is_company=False,
        vat_number="",
        customer_type="B2C",
        customer_class=facts.customer_class,
        vat_zone=facts.vat_zone,
        country="SE",
        address=ShopAddress(
            first_name="Port",
            last_name="Test",
            address1="Storgatan 1",
            zip_code="114 55",
            city="Stockholm",
            country="SE",
            email=email,
        ),
        currency="",
        credit_terms="",
        payment_method="",
    )
    return replace(draft, **changes)


def line(facts: ErpFacts, net: str, *, key: str = "line:1") -> DraftLine:
    amount = Decimal(net)
    return DraftLine(
        description="Merino T-shirt",
        quantity=Decimal("1"),
        unit_price=amount,
        amount=amount,
        vat_category=facts.vat_category,
        account=facts.account,
        key=key,
        gross=amount * (100 + facts.rate) / 100,
        rate=facts.rate,
    )


def invoice(facts: ErpFacts, order_number: str = "PORT-1001", *, lines: int = 1) -> InvoiceDraft:
    drafted = tuple(line(facts, "100.00", key=f"line:{i}") for i in range(1, lines + 1))
    net = sum((d.amount for d in drafted), Decimal("0"))
    vat = net * facts.rate / 100
    return InvoiceDraft(
        order_number=order_number,
        document_date="2026-03-02",
        currency=facts.currency,
        customer=customer(facts),
        default_customer_number="",
        payment_method="",
        credit_terms="",
        vat_zone=facts.vat_zone,
        regime="domestic",
        country="SE",
        lines=drafted,
        tax_details=(TaxDetail(facts.vat_category, net, vat),),
        net_total=net,
        vat_total=vat,
        gross_total=net + vat,
        text=f"Order {order_number}",
    )


def credit_note(
    facts: ErpFacts, *, customer_number: str, invoice_number: str, refund_id: str = "501"
) -> CreditNoteDraft:
    return CreditNoteDraft(
        refund_id=refund_id,
        order_number="PORT-1001",
        invoice_number=invoice_number,
        customer_number=customer_number,
        document_date="2026-03-05",
        currency=facts.currency,
        vat_zone=facts.vat_zone,
        lines=(line(facts, "40.00", key="line:1"),),
        tax_details=(TaxDetail(facts.vat_category, Decimal("40.00"), Decimal("10.00")),),
        net_total=Decimal("40.00"),
        vat_total=Decimal("10.00"),
        gross_total=Decimal("50.00"),
        text="Return 501 of order PORT-1001",
    )


DOCUMENT_SIDE = [
    name
    for name in dir(ErpPort)
    if name.startswith(("customer_", "vat_", "invoice_", "credit_note_")) and callable(getattr(ErpPort, name))
]


def test_the_adapter_implements_the_customer_and_document_side_of_the_port_and_names_itself(erp_port):
    assert DOCUMENT_SIDE and all(callable(getattr(erp_port, name, None)) for name in DOCUMENT_SIDE)
    assert erp_port.display_name and erp_port.system
    assert isinstance(erp_port.capabilities, frozenset)


# --------------------------------------------------------------------------- customers
def test_a_created_customer_is_found_by_its_email_whatever_its_case(erp_port, facts):
    assert erp_port.customer_find_by_email("port.test@example.se") == []

    number = erp_port.customer_create(customer(facts))

    found = erp_port.customer_find_by_email("PORT.TEST@example.se")
    assert [c.number for c in found] == [number]
    assert isinstance(found[0], ErpCustomer) and found[0].email.lower() == "port.test@example.se"
    assert found[0].name == "Port Test"


def test_a_customer_update_changes_what_the_erp_holds(erp_port, facts):
    number = erp_port.customer_create(customer(facts))

    erp_port.customer_update(number, customer(facts, name="Port Test Renamed"))

    [found] = erp_port.customer_find_by_email("port.test@example.se")
    assert (found.number, found.name) == (number, "Port Test Renamed")


def test_the_customer_request_is_the_body_of_the_customer_and_a_sane_one_has_no_problems(erp_port, facts):
    body = erp_port.customer_request(customer(facts))

    assert isinstance(body, dict) and "Storgatan 1" in json.dumps(body)
    assert body == erp_port.customer_request(customer(facts))  # the same draft, the same body
    assert erp_port.customer_problems(customer(facts)) == []


def test_an_address_the_erp_would_refuse_is_a_problem_before_anything_is_written(erp_port, facts):
    too_long = customer(facts, address=replace(customer(facts).address, address1="Storgatan " * 60))

    problems = erp_port.customer_problems(too_long)

    assert problems and any("characters" in p for p in problems)
    assert erp_port.customer_find_by_email("port.test@example.se") == []


# --------------------------------------------------------------------------- VAT
def test_vat_categories_carry_their_rates_by_date(erp_port, facts):
    categories = {c.id: c for c in erp_port.vat_categories()}

    domestic = categories[facts.vat_category]
    assert domestic.rates and domestic.rates[-1][1] == facts.rate
    for category in categories.values():
        starts = [start for start, _rate in category.rates]
        assert starts == sorted(starts)
        assert all(isinstance(rate, Decimal) for _start, rate in category.rates)
    assert erp_port.vat_categories() == list(categories.values())  # read once, the same answer


# --------------------------------------------------------------------------- invoices
def test_an_invoice_is_created_found_by_its_order_number_and_posted(erp_port, facts):
    draft = invoice(facts)
    customer_number = erp_port.customer_create(draft.customer)
    assert erp_port.invoice_find(draft.order_number) is None

    number = erp_port.invoice_create(draft, customer_number=customer_number)

    found = erp_port.invoice_find(draft.order_number)
    assert isinstance(found, ErpDocument) and found.kind == INVOICE
    assert (found.number, found.customer_number, found.released) == (number, customer_number, False)
    document = erp_port.invoice_get(number)
    assert (document.total, document.currency, document.order_number) == (
        Decimal("125.00"),
        facts.currency,
        "PORT-1001",
    )
    assert document.figures is None  # only read when asked

    erp_port.invoice_post(number)

    posted = erp_port.invoice_get(number)
    assert posted.released and posted.status
    assert erp_port.invoice_find("PORT-9999") is None


def test_an_invoice_read_back_in_full_states_what_it_booked(erp_port, facts):
    draft = invoice(facts, lines=2)
    number = erp_port.invoice_create(draft, customer_number=erp_port.customer_create(draft.customer))

    document = erp_port.invoice_get(number, figures=True)

    figures = document.figures
    assert [(t.vat_category, t.taxable, t.vat) for t in figures.tax] == [
        (facts.vat_category, Decimal("200.00"), Decimal("50.00"))
    ]
    assert [(d.amount, d.vat_category, d.rate) for d in figures.lines] == [
        (Decimal("100.00"), facts.vat_category, facts.rate)
    ] * 2
    assert figures.gross == Decimal("250.00")
    assert document.vat_zone == facts.vat_zone


def test_the_invoice_request_is_what_a_create_sends(erp_port, facts):
    draft = invoice(facts)

    body = erp_port.invoice_request(draft, customer_number="10042")

    assert body == erp_port.invoice_request(draft, customer_number="10042")
    text = json.dumps(body)
    assert "10042" in text and "PORT-1001" in text and "Merino T-shirt" in text


def test_an_invoice_the_erp_would_refuse_is_a_problem_before_anything_is_written(erp_port, facts):
    assert erp_port.invoice_problems(invoice(facts)) == []

    problems = erp_port.invoice_problems(invoice(facts, lines=5_000))

    assert problems and any("lines" in p for p in problems)
    assert erp_port.invoice_find("PORT-1001") is None


# --------------------------------------------------------------------------- credit notes
def test_a_credit_note_is_created_found_by_its_refund_and_posted(erp_port, facts):
    draft = invoice(facts)
    customer_number = erp_port.customer_create(draft.customer)
    invoice_number = erp_port.invoice_create(draft, customer_number=customer_number)
    erp_port.invoice_post(invoice_number)
    note = credit_note(facts, customer_number=customer_number, invoice_number=invoice_number)
    assert erp_port.credit_note_find(note.refund_id) is None
    assert erp_port.credit_note_problems(note) == []

    number = erp_port.credit_note_create(note)

    found = erp_port.credit_note_find(note.refund_id)
    assert isinstance(found, ErpDocument) and found.kind == CREDIT_NOTE
    assert (found.number, found.customer_number, found.released) == (number, customer_number, False)
    erp_port.credit_note_post(number)
    posted = erp_port.credit_note_get(number, figures=True)
    assert posted.released and posted.total == Decimal("50.00")
    assert [(t.vat_category, t.taxable, t.vat) for t in posted.figures.tax] == [
        (facts.vat_category, Decimal("40.00"), Decimal("10.00"))
    ]
    assert erp_port.credit_note_find("999") is None


def test_the_credit_note_request_names_its_refund_and_a_huge_one_is_a_problem(erp_port, facts):
    note = credit_note(facts, customer_number="10042", invoice_number="INV-1")

    body = erp_port.credit_note_request(note)

    assert body == erp_port.credit_note_request(note) and "501" in json.dumps(body)
    huge = replace(note, lines=note.lines * 5_000)
    assert any("lines" in p for p in erp_port.credit_note_problems(huge))


# --------------------------------------------------------------------------- sales orders (capability SALES_ORDER)
def takes_sales_orders(erp_port) -> None:
    if ports.SALES_ORDER not in erp_port.capabilities:
        pytest.skip(f"{erp_port.display_name} takes no sales orders (no {ports.SALES_ORDER} capability)")


SALES_ORDER_SIDE = [name for name in dir(ErpPort) if name.startswith("sales_order_")]


def sales_order(facts: ErpFacts, order_number: str = "PORT-1001", *, lines: int = 1) -> InvoiceDraft:
    """The invoice draft of an order whose lines name a seeded item (an ERP may need one on an order line)."""
    draft = invoice(facts, order_number, lines=lines)
    return replace(draft, lines=tuple(replace(d, inventory_number=facts.item) for d in draft.lines))


def test_an_erp_with_sales_orders_implements_them(erp_port):
    takes_sales_orders(erp_port)
    assert len(SALES_ORDER_SIDE) == 5 and all(callable(getattr(erp_port, n, None)) for n in SALES_ORDER_SIDE)


def test_a_sales_order_is_created_and_found_by_its_order_number_exactly(erp_port, facts):
    takes_sales_orders(erp_port)
    draft = sales_order(facts, order_number="1234", lines=2)
    customer_number = erp_port.customer_create(draft.customer)
    assert erp_port.sales_order_problems(draft) == []
    assert erp_port.sales_order_find("1234") is None

    number = erp_port.sales_order_create(draft, customer_number=customer_number)

    found = erp_port.sales_order_find("1234")
    assert isinstance(found, ErpDocument) and found.kind == SALES_ORDER
    assert (found.number, found.customer_number, found.order_number) == (number, customer_number, "1234")
    assert erp_port.sales_order_find("123") is None  # the reference is compared exactly, not as a substring
    assert erp_port.sales_order_find("12345") is None
    assert erp_port.invoice_find("1234") is None  # an order, not an invoice
    document = erp_port.sales_order_get(number, figures=True)
    assert (document.kind, document.total, document.currency, document.released) == (
        SALES_ORDER,
        Decimal("250.00"),
        facts.currency,
        False,
    )
    assert [(t.vat_category, t.taxable, t.vat) for t in document.figures.tax] == [
        (facts.vat_category, Decimal("200.00"), Decimal("50.00"))
    ]


def test_the_sales_order_request_is_what_a_create_sends_and_a_huge_one_is_a_problem(erp_port, facts):
    takes_sales_orders(erp_port)
    draft = sales_order(facts)

    body = erp_port.sales_order_request(draft, customer_number="10042")

    assert body == erp_port.sales_order_request(draft, customer_number="10042")
    assert body != erp_port.invoice_request(draft, customer_number="10042")
    text = json.dumps(body)
    assert "10042" in text and "PORT-1001" in text and "Merino T-shirt" in text
    assert any("lines" in p for p in erp_port.sales_order_problems(sales_order(facts, lines=5_000)))
    assert erp_port.sales_order_find("PORT-1001") is None


def test_a_sales_order_request_is_valid_against_the_erps_official_spec(erp_port, facts):
    takes_sales_orders(erp_port)
    spec, method, path = request_spec(erp_port.system, "sales_order")
    body = erp_port.sales_order_request(sales_order(facts, lines=2), customer_number="10042")
    assert problems(spec.validator(spec.request_schema(method, path)), body) == []


def test_a_sales_order_is_found_after_another_one_is_created_by_the_same_adapter(erp_port, facts):
    """A find reads what the ERP holds now, not what it held at the adapter's first find."""
    takes_sales_orders(erp_port)
    first, second = sales_order(facts, order_number="5001"), sales_order(facts, order_number="5002")
    customer_number = erp_port.customer_create(first.customer)
    assert erp_port.sales_order_find("5001") is None and erp_port.sales_order_find("5002") is None
    number = erp_port.sales_order_create(first, customer_number=customer_number)
    assert erp_port.sales_order_find("5001").number == number
    later = erp_port.sales_order_create(second, customer_number=customer_number)
    assert erp_port.sales_order_find("5002").number == later != number


# --------------------------------------------------------------------------- journal transactions (JOURNAL_TRANSACTION)
def takes_journal_transactions(erp_port) -> None:
    if ports.JOURNAL_TRANSACTION not in erp_port.capabilities:
        pytest.skip(
            f"{erp_port.display_name} takes no journal transactions (no {ports.JOURNAL_TRANSACTION} capability)"
        )


JOURNAL_SIDE = [name for name in dir(ErpPort) if name.startswith("journal_transaction_")]


def journal(facts: ErpFacts, reference: str = "KOPPLA-2026-11-30-SEK-SE25-1", *, net: str = "200.00") -> JournalDraft:
    """A day's sales of one VAT category: receivable debited with the gross, revenue and VAT credited."""
    amount = Decimal(net)
    vat = amount * facts.rate / 100
    return JournalDraft(
        reference=reference,
        transaction_date="2026-11-30",
        currency=facts.currency,
        vat_category=facts.vat_category,
        lines=(
            JournalLineDraft(facts.receivable_account, amount + vat, Decimal("0"), "Orders 1001, 1002"),
            JournalLineDraft(
                facts.account, Decimal("0"), amount, "Sales 25 %", vat_category=facts.vat_category, taxable=amount
            ),
            JournalLineDraft(facts.vat_account, Decimal("0"), vat, "VAT 25 %", vat_category=facts.vat_category),
        ),
        order_numbers=("1001", "1002"),
        text="Sales 2026-11-30 SEK",
    )


def test_an_erp_with_journal_transactions_implements_them(erp_port):
    takes_journal_transactions(erp_port)
    assert len(JOURNAL_SIDE) == 5 and all(callable(getattr(erp_port, n, None)) for n in JOURNAL_SIDE)


def test_a_journal_transaction_is_created_found_by_its_exact_reference_and_read_back(erp_port, facts):
    takes_journal_transactions(erp_port)
    draft = journal(facts)
    longer = journal(facts, reference=f"{draft.reference}0", net="80.00")  # our reference is a prefix of its
    assert erp_port.journal_transaction_problems(draft) == []
    erp_port.journal_transaction_create(longer)
    assert erp_port.journal_transaction_find(draft.reference) is None  # not fooled by the longer reference

    number = erp_port.journal_transaction_create(draft)

    found = erp_port.journal_transaction_find(draft.reference)
    assert isinstance(found, ErpDocument) and found.kind == JOURNAL_TRANSACTION and found.number == number
    document = erp_port.journal_transaction_get(number)
    assert (document.kind, document.number, document.total, document.currency, document.date) == (
        JOURNAL_TRANSACTION,
        number,
        Decimal("250.00"),
        facts.currency,
        "2026-11-30",
    )
    assert erp_port.journal_transaction_find(draft.reference[:-1]) is None  # a prefix of ours is not ours
    assert erp_port.journal_transaction_find(longer.reference).total == Decimal("100.00")


def test_an_unbalanced_journal_entry_is_a_problem_before_anything_is_written(erp_port, facts):
    takes_journal_transactions(erp_port)
    draft = journal(facts)
    debit, *credits = draft.lines
    unbalanced = replace(draft, lines=(replace(debit, debit=debit.debit + Decimal("0.01")), *credits))

    problems_found = erp_port.journal_transaction_problems(unbalanced)

    assert problems_found and any("balance" in p for p in problems_found)
    assert erp_port.journal_transaction_find(draft.reference) is None


def test_the_journal_request_is_what_a_create_sends_and_valid_against_the_official_spec(erp_port, facts):
    takes_journal_transactions(erp_port)
    draft = journal(facts)

    body = erp_port.journal_transaction_request(draft)

    assert body == erp_port.journal_transaction_request(draft)
    assert draft.reference in json.dumps(body) and facts.vat_account in json.dumps(body)
    spec, method, path = request_spec(erp_port.system, "journal_transaction")
    assert problems(spec.validator(spec.request_schema(method, path)), body) == []


# --------------------------------------------------------------------------- payments, items, stock, documents out
# ErpPort contract: payments with a fee written off, items and stock out, documents out.
#
# Runs against every ERP adapter through its sandbox (the `erp_port` fixture). What a suite needs
# in an ERP before it starts (an open invoice for a customer) is made by the system's entry in
# OPEN_INVOICE, in that system's own terms; everything asserted goes through the port.


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


def _fortnox_open_invoice(erp, price: Decimal) -> str:
    client = erp.client
    customer = client.customer_create(
        {"Customer": {"Name": "Port Contract", "Email": "contract@example.com", "Currency": "SEK", "CountryCode": "SE"}}
    )
    created = client.invoice_create(
        {
            "Invoice": {
                "CustomerNumber": customer,
                "InvoiceDate": "2026-11-02",
                "Currency": "SEK",
                "InvoiceRows": [
                    {
                        "Description": "Merino T-shirt",
                        "Price": str(price),
                        "DeliveredQuantity": "1.00",
                        "VAT": 25,
                        "AccountNumber": 3001,
                    }
                ],
            }
        }
    )
    number = str(created["DocumentNumber"])
    client.invoice_bookkeep(number)
    return number


# system → makes a released invoice of one line at `price` (net) in SEK; returns its number
OPEN_INVOICE = {"visma_net": _visma_net_open_invoice, "fortnox": _fortnox_open_invoice}
# system → how its sandbox writes a fee off: a reason code it knows (PAYMENT_WRITE_OFF_REASON_CODE)
# or an account in its chart (PAYMENT_WRITE_OFF_ACCOUNT)
REASON_CODE = {"visma_net": "PSPFEE"}
WRITE_OFF_ACCOUNT = {"fortnox": "6064"}


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


def write_off_to(erp_port) -> dict[str, str]:
    """The PaymentDraftLine fields that write a fee off the way this ERP can (its capability says which)."""
    if ports.PAYMENT_WRITE_OFF_REASON_CODE in erp_port.capabilities:
        return {"write_off_reason": REASON_CODE[erp_port.system]}
    if ports.PAYMENT_WRITE_OFF_ACCOUNT in erp_port.capabilities:
        return {"write_off_account": WRITE_OFF_ACCOUNT[erp_port.system]}
    pytest.fail(f"{erp_port.display_name} declares no way to write a fee off a payment")


def test_a_payment_with_a_fee_is_booked_found_posted_and_settles_the_invoice(erp_port, open_invoice):
    fee = Decimal("7.75")
    paid = open_invoice.balance - fee
    write_off = write_off_to(erp_port)
    draft = PaymentDraft(
        customer_number=open_invoice.customer_number,
        amount=paid,
        lines=(PaymentDraftLine(open_invoice.number, paid, write_off=fee, **write_off),),
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
    assert (booked.amount_paid, booked.written_off) == (paid, fee)
    assert (booked.write_off_reason, booked.write_off_account) == (
        write_off.get("write_off_reason", ""),
        write_off.get("write_off_account", ""),
    )
    if not booked.released:
        assert booked.awaiting_release
        erp_port.payment_post(number)
        assert erp_port.payment_get(number).released
    settled = erp_port.document_get(INVOICE, open_invoice.number)
    assert settled.settled and settled.balance == 0  # the fee settled its share of the invoice


def test_a_payment_without_a_fee_is_found_by_its_exact_reference_after_its_binding_is_lost(erp_port, open_invoice):
    """Crash after create: the payment exists, its binding does not; the search must find it by reference alone."""
    draft = PaymentDraft(
        customer_number=open_invoice.customer_number,
        amount=open_invoice.balance,
        lines=(PaymentDraftLine(open_invoice.number, open_invoice.balance),),
        reference="PO-CONTRACT/12",
        currency="SEK",
        payment_date=date(2026, 11, 20),
        text="Demo PSP payout PO-CONTRACT",
    )
    number = erp_port.payment_book(draft)  # ... and the binding of `number` is never saved

    found = erp_port.payment_find("PO-CONTRACT/12", document_number=open_invoice.number)

    assert found is not None and found.number == number and found.reference == "PO-CONTRACT/12"
    assert (found.amount_paid, found.written_off) == (open_invoice.balance, Decimal("0"))
    # Compared exactly: a reference that is only a part of the payment's (row 1 of 12) is another payment.
    assert erp_port.payment_find("PO-CONTRACT/1", document_number=open_invoice.number) is None


def test_a_refund_paid_out_is_found_by_its_reference_and_customer_after_its_binding_is_lost(erp_port, facts):
    """Crash after a refund is paid out on a credit note: the flow knows only the customer; the search must find it."""
    draft = invoice(facts, "PORT-REFUND-1")
    customer_number = erp_port.customer_create(draft.customer)
    invoice_number = erp_port.invoice_create(draft, customer_number=customer_number)
    erp_port.invoice_post(invoice_number)
    note = credit_note(facts, customer_number=customer_number, invoice_number=invoice_number)
    note_number = erp_port.credit_note_create(note)
    erp_port.credit_note_post(note_number)
    refund = PaymentDraft(
        customer_number=customer_number,
        amount=Decimal("50.00"),
        lines=(PaymentDraftLine(note_number, Decimal("50.00"), document_kind=CREDIT_NOTE),),
        refund=True,
        reference="PO-REFUND/3",
        payment_method="ADYEN",
        currency="SEK",
        payment_date=date(2026, 11, 21),
        text="Demo PSP payout PO-REFUND",
    )
    number = erp_port.payment_book(refund)  # ... and the binding of `number` is never saved

    found = erp_port.payment_find("PO-REFUND/3", customer_number=customer_number)

    assert found is not None and found.number == number
    assert note_number in found.document_numbers
    assert erp_port.payment_find("PO-REFUND/33", customer_number=customer_number) is None


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


# --------------------------------------------------------------------------- the call floor (issue 18)
def test_an_invoice_and_a_credit_note_cost_the_calls_the_adapter_states_as_its_floor(erp_port, facts):
    """`call_floor` is what the API cannot go under; the adapter spends exactly that for a create and its post."""
    from integrations.http import record_calls

    floor = erp_port.call_floor
    assert isinstance(floor, ports.CallFloor)
    draft = invoice(facts, "PORT-FLOOR")
    vat_read = erp_port.vat_categories()  # read once per adapter, before: not an order's call
    assert vat_read
    customer_number = erp_port.customer_create(draft.customer)

    with record_calls() as calls:
        number = erp_port.invoice_create(draft, customer_number=customer_number)
        erp_port.invoice_post(number)
    assert len(calls) == floor.order, [(c["method"], c["url"]) for c in calls]

    note = credit_note(facts, customer_number=customer_number, invoice_number=number, refund_id="502")
    with record_calls() as calls:
        credited = erp_port.credit_note_create(replace(note, full=False))
        erp_port.credit_note_post(credited)
    assert len(calls) == floor.credit_note, [(c["method"], c["url"]) for c in calls]


def test_a_new_private_customer_costs_the_floor_stated_for_new_customers(erp_port, facts):
    from integrations.http import record_calls

    with record_calls() as calls:
        if erp_port.call_floor.new_customer > 1:  # an ERP without a customer directory searches the e-mail first
            assert erp_port.customer_find_by_email("floor.test@example.se") == []
        erp_port.customer_create(customer(facts, "floor.test@example.se"))
    assert len(calls) == erp_port.call_floor.new_customer, [(c["method"], c["url"]) for c in calls]
