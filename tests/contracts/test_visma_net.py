"""Contract tests: what VismaNetClient sends and what the Visma.net sandbox answers, against the official spec.

The spec is the committed subset integrations/visma_net/spec/visma-net-erp-v1.subset.json
(regenerate with integrations/visma_net/spec/build_subset.py). Every object
schema is made strict (additionalProperties: false), so a field the spec does
not know fails. Requests go through the client's real code path to the
in-process sandbox and are taken from the recorded exchanges.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client as DjangoClient
from jsonschema import Draft4Validator

from integrations.http import NotFound, RetryPolicy, ValidationFailed, record_calls
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import demo_data
from integrations.visma_net.client import VismaNetClient
from integrations.visma_net.connect_sandbox import DEMO_TENANTS, token_issue
from integrations.visma_net.schemas import (
    Address,
    Application,
    Contact,
    ContactPerson,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
    JournalLine,
    JournalTransactionPayload,
    PaymentLine,
    PaymentPayload,
    SalesOrderLine,
    SalesOrderPayload,
    TaxDetail,
)
from integrations.visma_net.spec.build_subset import client_operations
from tests.conftest import VISMA_CLIENT_ID
from tests.contracts.openapi import problems, visma_net
from tests.fakes import FakeClock

API = "/sandbox/visma-net/api"
SPEC = visma_net()

# --------------------------------------------------------------------------- payloads with every field set
FULL_ADDRESS = Address(
    line1="Friedrichstraße 12",
    line2="Hinterhaus",
    line3="3. OG",
    postal_code="10117",
    city="Berlin",
    country="DE",
    county="Berlin",
)
FULL_CONTACT = Contact(name="Erika Muster", email="erika@muster.example", phone="+49 30 123456", attention="Einkauf")
FULL_CUSTOMER = CustomerPayload(
    name="Muster GmbH",
    number="19990",
    status="Active",
    customer_class="EUB2B",
    vat_zone="EURC",
    credit_terms="30",
    currency="EUR",
    vat_registration_id="DE123456789",
    corporate_id="HRB 12345",
    main_address=FULL_ADDRESS,
    main_contact=FULL_CONTACT,
    invoice_address=FULL_ADDRESS,
    invoice_contact=FULL_CONTACT,
    delivery_address=FULL_ADDRESS,
    delivery_contact=FULL_CONTACT,
    payment_method="INVOICE",
    note="Created by the contract tests",
)
FULL_LINE = DocumentLine(
    description="Merino T-shirt, black, M",
    quantity=Decimal("3"),
    unit_price=Decimal("31.96"),
    amount=Decimal("86.29"),
    vat_category="RC0",
    account="3108",
    inventory_number="1001-BLK-M",
    discount_percent=Decimal("10"),
    discount_amount=Decimal("9.59"),
    uom="PCS",
    note="Size M",
)


def full_invoice(customer: str, reference: str = "C-1001") -> InvoicePayload:
    return InvoicePayload(
        customer_number=customer,
        lines=(
            FULL_LINE,
            DocumentLine(description="Shipping", unit_price=Decimal("12.50"), inventory_number="FREIGHT"),
        ),
        document_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        currency="EUR",
        customer_ref_number=reference,
        external_reference=reference,
        text=f"Order {reference}",
        payment_method="INVOICE",
        credit_terms="30",
        vat_zone="EURC",
        tax_details=(TaxDetail(vat_id="RC0", vat_amount=Decimal("0"), taxable_amount=Decimal("98.79")),),
        billing_address=FULL_ADDRESS,
        hold=False,
        note="Contract test invoice",
    )


def full_credit_note(customer: str, invoice: str) -> CreditNotePayload:
    return CreditNotePayload(
        customer_number=customer,
        lines=(FULL_LINE,),
        document_date=date(2026, 11, 5),
        currency="EUR",
        customer_ref_number="R-77",
        external_reference="R-77",
        text="Return R-77 of order C-1001",
        vat_zone="EURC",
        tax_details=(TaxDetail(vat_id="RC0", vat_amount=Decimal("0"), taxable_amount=Decimal("86.29")),),
        applications=(Application(invoice_number=invoice, amount=Decimal("86.29")),),
        orig_invoice_date=date(2026, 11, 2),
        hold=False,
        note="Contract test credit note",
    )


def full_payment(customer: str, invoice: str, amount: Decimal) -> PaymentPayload:
    fee = Decimal("2.35")
    return PaymentPayload(
        customer_number=customer,
        amount=amount - fee - Decimal("1.00"),
        lines=(
            PaymentLine(
                invoice_number=invoice,
                amount_paid=amount - fee - Decimal("1.00"),
                write_off=fee,
                write_off_reason="PSPFEE",
                cash_discount=Decimal("1.00"),
            ),
        ),
        payment_method="INVOICE",
        cash_account="1930",
        currency="EUR",
        payment_date=date(2026, 11, 20),
        reference="SETTLEMENT-2026-11-20-1",
        text="Bank transfer",
        hold=False,
    )


FULL_ORDER_LINE = SalesOrderLine(
    inventory_number="1001-BLK-M",
    quantity=Decimal("3"),
    unit_price=Decimal("31.96"),
    description="Merino T-shirt, black, M",
    discount_percent=Decimal("10"),
    discount_amount=Decimal("9.59"),
    manual_discount=True,
    vat_category="RC0",
    warehouse="MAIN",
    uom="PCS",
    note="Size M",
)


def full_sales_order(customer: str, reference: str = "C-2001") -> SalesOrderPayload:
    return SalesOrderPayload(
        order_type="SO",
        customer_number=customer,
        lines=(FULL_ORDER_LINE, SalesOrderLine(inventory_number="FREIGHT", unit_price=Decimal("12.50"))),
        order_date=date(2026, 11, 2),
        currency="EUR",
        reference=reference,
        description=f"Order {reference}",
        payment_method="INVOICE",
        credit_terms="30",
        vat_zone="EURC",
        branch="1",
        hold=False,
        note="Contract test sales order",
    )


FULL_JOURNAL_LINE = JournalLine(
    account="3001",
    debit=Decimal("0"),
    credit=Decimal("200"),
    description="Sales 25 %",
    reference="KOPPLA-2026-11-30",
    vat_category="SE25",
    vat_id="SE25",
    branch="1",
)


def full_journal(reference: str = "KOPPLA-2026-11-30-SEK-SE25-1") -> JournalTransactionPayload:
    return JournalTransactionPayload(
        transaction_date=date(2026, 11, 30),
        lines=(
            JournalLine(account="1510", debit=Decimal("250"), description="Orders 1001, 1002", branch="1"),
            JournalLine(account="3001", credit=Decimal("200"), description="Sales 25 %", vat_category="SE25"),
            JournalLine(account="2611", credit=Decimal("50"), description="VAT 25 %", vat_id="SE25"),
        ),
        currency="SEK",
        exchange_rate=Decimal("1"),
        description=reference,
        branch="1",
        hold=False,
        create_vat_transaction=True,
        skip_vat_amount_validation=True,
    )


FULL_CONTACT_PERSON = ContactPerson(
    customer_number="10000",
    first_name="Erika",
    last_name="Muster",
    email="erika@muster.example",
    phone="+49 30 123456",
    active=True,
)

FULL_PAYLOADS = [
    FULL_CONTACT_PERSON,
    FULL_ORDER_LINE,
    full_sales_order("10000"),
    FULL_JOURNAL_LINE,
    full_journal(),
    FULL_ADDRESS,
    FULL_CONTACT,
    FULL_CUSTOMER,
    FULL_LINE,
    full_invoice("10000"),
    full_credit_note("10000", "100000"),
    full_payment("10000", "100000", Decimal("100")),
]


# --------------------------------------------------------------------------- a small world
class World:
    """Objects created through the client, for cases that need something to act on."""

    def __init__(self, client: VismaNetClient):
        self.client = client

    def customer(self) -> str:
        return self.client.customer_create(
            CustomerPayload(
                name="Muster GmbH",
                customer_class="EUB2B",
                currency="EUR",
                credit_terms="30",
                main_contact=Contact(email="erika@muster.example"),
                main_address=Address(country="DE"),
            )
        )

    def invoice(self, customer: str, *, released: bool = False, reference: str = "C-1001") -> str:
        number = self.client.invoice_create(full_invoice(customer, reference))
        if released:
            self.client.invoice_release(number)
        return number

    def credit_note(self, customer: str, invoice: str) -> str:
        return self.client.credit_note_create(full_credit_note(customer, invoice))

    def payment(self, customer: str, invoice: str) -> str:
        amount = self.client.invoice_get(invoice)["balance"]
        return self.client.payment_create(full_payment(customer, invoice, amount))

    def sales_order(self, customer: str) -> str:
        return self.client.sales_order_create(full_sales_order(customer))

    def journal(self) -> str:
        return self.client.journal_transaction_create(full_journal())

    def everything(self) -> dict:
        customer = self.customer()
        invoice = self.invoice(customer, released=True)
        paid = self.invoice(customer, released=True, reference="C-1002")
        credit_note = self.credit_note(customer, invoice)
        self.client.credit_note_release(credit_note)
        payment = self.payment(customer, paid)
        self.client.payment_release(payment)
        return {
            "customer": customer,
            "invoice": invoice,
            "credit_note": credit_note,
            "payment": payment,
            "sales_order": self.sales_order(customer),
            "journal": self.journal(),
        }


REQUEST_CASES = {
    "customer_create": lambda c, w: c.customer_create(FULL_CUSTOMER),
    "customer_update": lambda c, w: c.customer_update(w.customer(), dataclasses.replace(FULL_CUSTOMER, number=None)),
    "contact_create": lambda c, w: c.contact_create(
        dataclasses.replace(FULL_CONTACT_PERSON, customer_number=w.customer())
    ),
    "invoice_create": lambda c, w: c.invoice_create(full_invoice(w.customer())),
    "invoice_release": lambda c, w: c.invoice_release(w.invoice(w.customer())),
    "credit_note_create": lambda c, w: (
        (customer := w.customer()),
        c.credit_note_create(full_credit_note(customer, w.invoice(customer, released=True))),
    ),
    "credit_note_release": lambda c, w: (
        (customer := w.customer()),
        c.credit_note_release(w.credit_note(customer, w.invoice(customer, released=True))),
    ),
    "payment_create": lambda c, w: (
        (customer := w.customer()),
        w.payment(customer, w.invoice(customer, released=True)),
    ),
    "payment_release": lambda c, w: (
        (customer := w.customer()),
        c.payment_release(w.payment(customer, w.invoice(customer, released=True))),
    ),
    "sales_order_create": lambda c, w: c.sales_order_create(full_sales_order(w.customer())),
    "journal_transaction_create": lambda c, w: c.journal_transaction_create(full_journal()),
}

READ_CASES = {
    "customer_get": lambda c, ids: c.customer_get(ids["customer"]),
    "customer_find_by_email": lambda c, ids: c.customer_find_by_email("erika@muster.example"),
    "customer_list": lambda c, ids: list(c.customer_list(modified_since=datetime(2020, 1, 1, tzinfo=UTC))),
    "customer_class_list": lambda c, ids: c.customer_class_list(),
    "vat_zone_list": lambda c, ids: c.vat_zone_list(),
    "vat_category_list": lambda c, ids: c.vat_category_list(),
    "vat_list": lambda c, ids: c.vat_list(),
    "account_list": lambda c, ids: c.account_list(active=True),
    "payment_method_list": lambda c, ids: c.payment_method_list(),
    "credit_term_list": lambda c, ids: c.credit_term_list(),
    "cash_account_list": lambda c, ids: c.cash_account_list(),
    "branch_list": lambda c, ids: c.branch_list(),
    "invoice_get": lambda c, ids: c.invoice_get(ids["invoice"]),
    "invoice_find": lambda c, ids: c.invoice_find("C-1001"),
    "invoice_list": lambda c, ids: list(
        c.invoice_list(modified_since=date(2020, 1, 1), status="Open", customer_number=ids["customer"])
    ),
    "credit_note_get": lambda c, ids: c.credit_note_get(ids["credit_note"]),
    "credit_note_find": lambda c, ids: c.credit_note_find("R-77", field="externalReference"),
    "credit_note_list": lambda c, ids: list(c.credit_note_list(modified_since=date(2020, 1, 1), status="Closed")),
    "payment_get": lambda c, ids: c.payment_get(ids["payment"]),
    "payment_find": lambda c, ids: c.payment_find("SETTLEMENT-2026-11-20-1", customer_number=ids["customer"]),
    "inventory_list": lambda c, ids: list(
        c.inventory_list(
            modified_since=date(2020, 1, 1), availability_modified_since=date(2020, 1, 1), status="Active", page_size=9
        )
    ),
    "inventory_get": lambda c, ids: c.inventory_get("1001-BLK-M"),
    "number_sequence_list": lambda c, ids: c.number_sequence_list(),
    "number_sequence_get": lambda c, ids: c.number_sequence_get("CUSTOMER"),
    "sales_order_get": lambda c, ids: c.sales_order_get(ids["sales_order"]),
    "sales_order_list": lambda c, ids: list(
        c.sales_order_list(order_type="SO", modified_since=date(2020, 1, 1), page_size=9)
    ),
    "journal_transaction_get": lambda c, ids: c.journal_transaction_get(ids["journal"]),
    "journal_transaction_list": lambda c, ids: list(
        c.journal_transaction_list(modified_since=date(2020, 1, 1), branch="1", page_size=2)
    ),
}


def _client_methods() -> dict:
    """VismaNetClient's methods, its mixins' (client_orders.py) included."""
    return {name: fn for cls in reversed(VismaNetClient.__mro__[:-1]) for name, fn in vars(cls).items()}


def _marked(methods: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name, fn in _client_methods().items()
        if getattr(fn, "visma_operation", ("",))[0] in methods and not name.startswith("_")
    )


WRITE_METHODS = _marked(("POST", "PUT", "PATCH", "DELETE"))
READ_METHODS = _marked(("GET",))


@pytest.fixture
def client(visma_connection):
    demo_data.seed()
    return VismaNetClient(visma_connection, clock=FakeClock(), policy=RetryPolicy(max_attempts=3, jitter=0.0))


def _exchanges(calls: list[dict], method: str, path: str) -> list[dict]:
    found = []
    for call in calls:
        concrete = urlsplit(call["url"]).path.removeprefix(API)
        if call["method"] == method and SPEC.template_for(concrete) == path:
            found.append(call)
    return found


# --------------------------------------------------------------------------- requests
UNMARKED = {"ping", "pages"}  # ping reads through marked methods; pages is the generic pager


@pytest.mark.parametrize(
    "name", sorted(n for n, f in _client_methods().items() if callable(f) and not n.startswith("_"))
)
def test_every_public_client_method_names_its_operation(name):
    """So a new method cannot slip past the write/read case lists below without an @operation marker."""
    assert name in UNMARKED or hasattr(getattr(VismaNetClient, name), "visma_operation")


@pytest.mark.parametrize("name", WRITE_METHODS)
def test_every_write_method_has_a_contract_case(name):
    assert name in REQUEST_CASES, f"VismaNetClient.{name} sends data: add a case to REQUEST_CASES"


@pytest.mark.parametrize("name", sorted(REQUEST_CASES))
def test_request_body_matches_the_spec(client, name):
    method, path = getattr(VismaNetClient, name).visma_operation
    with record_calls() as calls:
        REQUEST_CASES[name](client, World(client))
    sent = _exchanges(calls, method, path)
    assert sent, f"{name} made no {method} {path} call"
    exchange = sent[-1]
    assert exchange["status"] in (200, 201, 204), exchange["response_body"]
    schema = SPEC.request_schema(method, path)
    if schema is None:
        assert exchange["request_body"] is None
    else:
        assert exchange["request_body"], "an empty body proves nothing"
        assert problems(SPEC.validator(schema), exchange["request_body"]) == []
    response_schema = SPEC.response_schema(method, path, exchange["status"])
    if response_schema and exchange["response_body"] is not None:
        assert problems(SPEC.validator(response_schema), exchange["response_body"]) == []


@pytest.mark.parametrize("payload", FULL_PAYLOADS, ids=lambda p: type(p).__name__)
def test_contract_payloads_set_every_field(payload):
    """The bodies above exercise every field a payload class can send (a new field must be added here)."""
    unset = [f.name for f in dataclasses.fields(payload) if getattr(payload, f.name) in (None, ())]
    assert unset == []


def test_strict_validation_rejects_what_the_spec_does_not_know():
    validator = SPEC.validator(SPEC.request_schema("POST", "/v1/customer"))
    body = FULL_CUSTOMER.body()
    assert problems(validator, body) == []

    unknown_top = {**body, "emailAddress": {"value": "x@example.com"}}
    assert any("emailAddress" in p for p in problems(validator, unknown_top))

    unknown_nested = copy.deepcopy(body)
    unknown_nested["mainAddress"]["value"]["street"] = {"value": "Main street 1"}
    assert any("street" in p for p in problems(validator, unknown_nested))

    unwrapped = {**body, "name": "Muster GmbH"}
    assert any(p.startswith("name:") for p in problems(validator, unwrapped))

    invoice = SPEC.validator(SPEC.request_schema("POST", "/v2/customerinvoice"))
    line_with_rate = copy.deepcopy(full_invoice("10000").body())
    line_with_rate["invoiceLines"][0]["vatRate"] = {"value": 25}
    assert any("vatRate" in p for p in problems(invoice, line_with_rate))
    # The same holds for the sandbox's answers.
    dto = SPEC.validator(SPEC.response_schema("GET", "/v1/customer/{customerCd}", 200))
    assert any("email" in p for p in problems(dto, {"number": "10000", "email": "x@example.com"}))


def test_strict_validation_is_not_vacuous():
    """A plain Draft 4 validator of the same schema would have let the unknown field through."""
    schema = SPEC.request_schema("POST", "/v1/customer")
    lax = Draft4Validator({**schema, "components": SPEC.document["components"]})
    assert list(lax.iter_errors({"emailAddress": {"value": "x"}})) == []


# --------------------------------------------------------------------------- responses
@pytest.mark.parametrize("name", READ_METHODS)
def test_every_read_method_has_a_contract_case(name):
    assert name in READ_CASES, f"VismaNetClient.{name} reads: add a case to READ_CASES"


@pytest.mark.parametrize("name", sorted(READ_CASES))
def test_sandbox_answers_match_the_spec(client, name):
    ids = World(client).everything()
    method, path = getattr(VismaNetClient, name).visma_operation
    with record_calls() as calls:
        result = READ_CASES[name](client, ids)
    assert result, f"{name} returned nothing: the case proves nothing"
    exchanges = _exchanges(calls, method, path)
    assert exchanges
    declared = {p["name"] for p in SPEC.operation(method, path).get("parameters", []) if p["in"] == "query"}
    for exchange in exchanges:
        assert exchange["status"] == 200
        query = {k for k, _ in parse_qsl(urlsplit(exchange["url"]).query)}
        assert query <= declared, f"query parameters the spec does not declare: {query - declared}"
        schema = SPEC.response_schema(method, path, 200)
        assert problems(SPEC.validator(schema), exchange["response_body"]) == []


# --------------------------------------------------------------------------- errors
# The spec documents error responses as application/json without a schema; these are the
# shapes Visma.net answers with (and the sandbox imitates): the exception object and {"message"}.
EXCEPTION_SCHEMA = {
    "type": "object",
    "required": ["ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID", "ExceptionDetails"],
    "properties": {
        "ExceptionType": {"type": "string"},
        "ExceptionMessage": {"type": "string", "minLength": 1},
        "ExceptionFaultCode": {"type": "string"},
        "ExceptionMessageID": {"type": "string"},
        "ExceptionDetails": {"type": "string"},
    },
    "additionalProperties": False,
}
MESSAGE_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}


def test_documented_error_responses_are_json():
    documented = SPEC.operation("GET", "/v1/customer/customerClass")["responses"]
    assert {"400", "401", "404", "500"} <= set(documented)
    assert all(list(documented[code]["content"]) == ["application/json"] for code in ("400", "401", "404", "500"))


def test_client_errors_come_in_the_exception_shape(client):
    with record_calls() as calls:
        with pytest.raises(NotFound):
            client.customer_get("NOPE")
        with pytest.raises(ValidationFailed):
            client.invoice_create(full_invoice("NOPE"))
    assert [c["status"] for c in calls] == [404, 400]
    for call in calls:
        assert problems(Draft4Validator(EXCEPTION_SCHEMA), call["response_body"]) == []


def _token(scope: str) -> str:
    return token_issue(client_id=VISMA_CLIENT_ID, tenant_id=DEMO_TENANTS[0]["id"], scope=scope)["access_token"]


@pytest.mark.parametrize(
    ("method", "url", "scope", "status"),
    [
        ("get", "/v1/customer", None, 401),
        ("post", "/v1/customer", "vismanet_erp_service_api:read", 403),
        ("put", "/v1/customerinvoice", "vismanet_erp_service_api:read", 405),
    ],
)
def test_gateway_errors_come_as_message(visma_connection, method, url, scope, status):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(scope)}"} if scope else {}
    response = DjangoClient().generic(method.upper(), f"{API}{url}", b"{}", "application/json", **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert problems(Draft4Validator(MESSAGE_SCHEMA), response.json()) == []


def test_injected_faults_use_the_documented_shapes(visma_connection):
    SandboxFault.objects.create(system="visma_net", endpoint="GET .*/v1/vat$", kind="server_error", status_code=500)
    SandboxFault.objects.create(system="visma_net", endpoint="GET .*/v1/account$", kind="rate_limit", retry_after=3)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token('vismanet_erp_service_api:read')}"}
    server = DjangoClient().get(f"{API}/v1/vat", **headers)
    limited = DjangoClient().get(f"{API}/v1/account", **headers)
    assert (server.status_code, limited.status_code, limited["Retry-After"]) == (500, 429, "3")
    assert problems(Draft4Validator(EXCEPTION_SCHEMA), server.json()) == []
    assert problems(Draft4Validator(MESSAGE_SCHEMA), limited.json()) == []


# --------------------------------------------------------------------------- the subset itself
def test_subset_holds_exactly_the_operations_the_client_uses():
    marked = {getattr(VismaNetClient, n).visma_operation for n in WRITE_METHODS + READ_METHODS}
    assert marked == set(client_operations())
    assert SPEC.operations() == marked, "regenerate with integrations/visma_net/spec/build_subset.py"


def test_spec_filters_used_for_duplicate_searches_exist():
    """Invoices and credit notes can be searched by our reference; payments, sales orders and journal
    transactions cannot (matched client-side)."""

    def params(path):
        return {p["name"] for p in SPEC.operation("GET", path)["parameters"]}

    assert {"customerRefNumber", "externalReference"} <= params("/v1/customerinvoice")
    assert {"customerRefNumber", "externalReference"} <= params("/v1/customerCreditNote")
    assert "paymentRef" not in params("/v1/customerPayment")
    assert {"invoiceRefNbr", "customer"} <= params("/v1/customerPayment")
    assert {"email", "lastModifiedDateTime", "lastModifiedDateTimeCondition"} <= params("/v1/customer")
    # Sales orders and journal transactions cannot be searched by our reference: adapter_orders.py reads the
    # list (orders once a run, then their changes; batches since the entry's day) and compares exactly.
    assert not {"customerRefNo", "customerOrder"} & params("/v1/salesorder")
    assert {"orderType", "lastModifiedDateTime", "lastModifiedDateTimeCondition"} <= params("/v1/salesorder")
    assert not {"description", "referenceNumber"} & params("/v2/journaltransaction")
    assert {"lastModifiedDateTime", "periodId", "module"} <= params("/v2/journaltransaction")
    assert "lastModifiedDateTimeCondition" not in params("/v2/journaltransaction")
