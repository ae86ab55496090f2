"""What the Fortnox adapter tells before any write (limits.py) and how it reads Fortnox's documents (payloads.py)."""

from dataclasses import replace
from decimal import Decimal

import pytest
import requests
import responses
from django.utils import timezone

from integrations.fortnox.adapter import FortnoxErp
from integrations.fortnox.payloads import document_from_fortnox
from integrations.http import RemoteDown
from integrations.models import Connection
from integrations.oauth import token_refresh
from sync.erp import INVOICE
from tests.contracts.test_fortnox_requests import INVOICE as EU_INVOICE
from tests.integrations.fortnox.conftest import RECORDED_API, recorded_connection

API = RECORDED_API
pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(db):
    return recorded_connection(token_valid_for=-timezone.timedelta(minutes=1))


def domestic(vat: str, *amounts: str):
    lines = tuple(
        replace(EU_INVOICE.lines[0], amount=Decimal(a), unit_price=Decimal(a), quantity=Decimal(1),
                vat_category="SE25", account="3001", rate=Decimal(25), key=f"line:{i}")
        for i, a in enumerate(amounts)
    )  # fmt: skip
    net = sum((line.amount for line in lines), Decimal(0))
    return replace(
        EU_INVOICE,
        lines=lines,
        tax_details=(replace(EU_INVOICE.tax_details[0], vat_category="SE25", taxable=net, vat=Decimal(vat)),),
        net_total=net,
        vat_total=Decimal(vat),
        gross_total=net + Decimal(vat),
    )


def test_an_invoice_whose_vat_fortnox_books_the_same_has_no_problems(connection):
    assert FortnoxErp(connection).invoice_problems(domestic("5.00", "10.01", "9.99")) == []


def test_vat_fortnox_would_compute_differently_is_a_problem_never_a_silent_difference(connection):
    # the shop rounded VAT per line (2.50 + 2.50); Fortnox computes 25 % of 20.02 = 5.005 → 5.01
    problems = FortnoxErp(connection).invoice_problems(domestic("5.00", "10.01", "10.01"))

    assert problems == [
        "Fortnox computes the VAT at 25 % from the rows as 5.01 EUR, the invoice states 5.00 EUR: Fortnox cannot "
        "carry the difference of -0.01 EUR (it takes no VAT amount and no rounding remainder on an invoice), so "
        "the figures would not match; book it by hand"
    ]


def test_with_a_rounding_account_two_rows_carry_the_vat_as_charged_and_the_figures_match(connection):
    # Fortnox would compute 25 % of 20.02 = 5.01; the shop charged 5.00: 20.01 at 25 % gives 5.00
    draft = replace(domestic("5.00", "10.01", "10.01"), rounding_account="3740")
    erp = FortnoxErp(connection)

    rows = erp.invoice_request(draft, customer_number="7")["Invoice"]["InvoiceRows"]

    assert erp.invoice_problems(draft) == []
    assert [(r["Price"], r["VAT"], r["AccountNumber"]) for r in rows] == [
        (10.01, 25, 3001),
        (10.01, 25, 3001),
        (-0.01, 25, 3740),
        (0.01, 0, 3740),
    ]
    assert rows[-1]["Description"] == rows[-2]["Description"] == "Rounding (VAT as charged)"


def test_a_credit_invoice_carries_the_refunds_vat_the_same_way(connection):
    from tests.contracts.test_fortnox_requests import CREDIT

    invoice = domestic("5.00", "10.01", "10.01")
    note = replace(
        CREDIT,
        lines=invoice.lines,
        tax_details=invoice.tax_details,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        gross_total=invoice.gross_total,
        rounding_account="3740",
    )
    erp = FortnoxErp(connection)

    rows = erp.credit_note_request(note)["Invoice"]["InvoiceRows"]

    assert erp.credit_note_problems(note) == []
    assert [(r["Price"], r["VAT"]) for r in rows[2:]] == [(0.01, 25), (-0.01, 0)]


def test_a_rate_fortnox_cannot_put_on_a_row_and_too_many_rows_are_problems(connection):
    erp = FortnoxErp(connection)
    french = replace(EU_INVOICE, lines=(replace(EU_INVOICE.lines[0], rate=Decimal("5.5")),))
    assert any("5.5 % VAT: Fortnox takes whole percentages" in p for p in erp.invoice_problems(french))
    huge = replace(EU_INVOICE, lines=EU_INVOICE.lines * 200)
    assert "the invoice has 600 lines, Fortnox takes at most 500 rows in one invoice" in erp.invoice_problems(huge)


def test_an_order_row_takes_the_25_5_percent_an_invoice_row_cannot(connection):
    erp = FortnoxErp(connection)
    finnish = replace(
        domestic("25.50", "100.00"),
        lines=(replace(domestic("25.50", "100.00").lines[0], rate=Decimal("25.5"), vat_category="OSS-FI"),),
    )
    finnish = replace(finnish, tax_details=(replace(finnish.tax_details[0], vat_category="OSS-FI"),))

    assert any("25.5 % VAT: Fortnox takes whole percentages" in p for p in erp.invoice_problems(finnish))
    assert erp.sales_order_problems(finnish) == []
    order = erp.sales_order_request(finnish, customer_number="7")["Order"]
    assert [(r["Price"], r["VAT"], r["OrderedQuantity"], r["DeliveredQuantity"]) for r in order["OrderRows"]] == [
        (100, 25.5, "1.00", "1.00")
    ]
    assert (order["ExternalInvoiceReference1"], order["OrderDate"]) == ("20001", "2026-03-02")
    assert "InvoiceRows" not in order and "InvoiceDate" not in order


def test_a_document_reads_with_text_booleans_positive_amounts_and_its_figures():
    node = {
        "DocumentNumber": "18",
        "Booked": "true",
        "Cancelled": "false",
        "Credit": "true",
        "Total": -50,
        "Net": -40,
        "TotalVAT": -10,
        "Balance": "0",
        "FinalPayDate": "2026-03-06",
        "Currency": "SEK",
        "ExternalInvoiceReference1": "PORT-1001",
        "InvoiceDate": "2026-03-05",
        "InvoiceRows": [
            {"Description": "Merino T-shirt", "DeliveredQuantity": "1.00", "Price": -40, "VAT": 25, "AccountNumber": 3001},
            {"Description": "Text only"},
        ],
    }  # fmt: skip

    document = document_from_fortnox(INVOICE, node, figures=True)

    assert (document.total, document.balance, document.released, document.settled, document.status) == (
        Decimal("50.00"), Decimal("0.00"), True, True, "Paid",
    )  # fmt: skip
    assert [(t.vat_category, t.taxable, t.vat) for t in document.figures.tax] == [
        ("SE25", Decimal("40.00"), Decimal("10.00"))
    ]
    assert document.figures.gross == Decimal("50.00") and len(document.figures.lines) == 1


@responses.activate
def test_a_refresh_whose_answer_is_lost_is_reported_with_the_way_out(connection):
    responses.post(f"{API}/oauth-v1/token", body=requests.ReadTimeout("read timed out"))

    with pytest.raises(RemoteDown) as raised:
        token_refresh(connection=connection)

    connection.refresh_from_db()
    assert connection.status == Connection.Status.ERROR and raised.value.maybe_sent
    assert "refresh tokens are single-use: the stored one is probably spent" in connection.last_error
    assert "click Connect to authorise again" in connection.last_error
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")  # client id/secret as HTTP Basic


@responses.activate
def test_a_service_account_names_its_tenant_in_a_header(connection):
    Connection.objects.filter(pk=connection.pk).update(auth_type="oauth2_client_credentials", tenant_id="1234567")
    connection.refresh_from_db()
    responses.post(
        f"{API}/oauth-v1/token",
        json={"access_token": "access-2", "token_type": "bearer", "expires_in": 3600, "scope": "invoice"},
    )

    token_refresh(connection=connection)

    request = responses.calls[0].request
    assert request.headers["TenantId"] == "1234567" and "tenant_id" not in (request.body or "")
    connection.refresh_from_db()
    assert str(connection.access_token) == "access-2"


# --------------------------------------------------------------------------- accounts: 1000–9999 (spec)
def test_a_five_digit_sales_account_is_a_problem_naming_the_tax_zone_it_comes_from(connection):
    draft = domestic("5.00", "10.00", "10.00")
    draft = replace(draft, country="SE", lines=(replace(draft.lines[0], account="30010"), draft.lines[1]))

    problems = FortnoxErp(connection).invoice_problems(draft)

    assert problems == [
        f"line 1 '{draft.lines[0].description[:40]}' has account '30010': Fortnox books to 4-digit accounts "
        f"1000–9999 only. The account is the tax zone's sales account in Mappings › Tax zones "
        f"SE/{draft.customer.customer_type}, or the account of the row for this rate in Mappings › VAT rates: "
        "set a 4-digit one there"
    ]


def test_a_five_digit_shipping_or_rounding_line_account_names_its_own_setting(connection):
    draft = domestic("5.00", "10.00", "10.00")
    shipping = replace(draft.lines[1], key="shipping", account="35200", description="Shipping")
    erp = FortnoxErp(connection)

    [problem] = erp.invoice_problems(replace(draft, lines=(draft.lines[0], shipping)))
    assert "line 2 'Shipping' has account '35200'" in problem
    assert "the shipping option's sales account in Mappings › Shipping" in problem

    rounding = replace(draft.lines[1], key="rounding:SE25", account="37400", description="Rounding")
    [problem] = erp.credit_note_problems(_credit_of(replace(draft, lines=(draft.lines[0], rounding))))
    assert "line 2 'Rounding' has account '37400'" in problem
    assert "the integration's rounding account (Integrations › VAT)" in problem


def _credit_of(invoice):
    from tests.contracts.test_fortnox_requests import CREDIT

    return replace(
        CREDIT,
        lines=invoice.lines,
        tax_details=invoice.tax_details,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        gross_total=invoice.gross_total,
        rounding_account=invoice.rounding_account,
    )


def test_a_five_digit_rounding_account_is_a_problem_only_when_a_remainder_row_needs_it(connection):
    erp = FortnoxErp(connection)
    # Fortnox computes 5.01 from the rows, the shop charged 5.00: a rounding row is needed
    needed = replace(domestic("5.00", "10.01", "10.01"), rounding_account="37400")
    expected = (
        "the invoice's VAT per rate needs a rounding row on the integration's rounding account '37400', but Fortnox "
        "books to 4-digit accounts 1000–9999 only: set a 4-digit rounding account (e.g. 3740) under Integrations › VAT"
    )
    assert erp.invoice_problems(needed) == [expected]
    assert erp.credit_note_problems(_credit_of(needed)) == [expected.replace("invoice's", "credit note's")]
    # the VAT comes out as charged without one: the setting is not in the way
    assert erp.invoice_problems(replace(domestic("5.00", "10.00", "10.00"), rounding_account="37400")) == []


def test_a_five_digit_fee_or_cash_account_refuses_the_payment_naming_the_setting_before_anything_is_sent(connection):
    from integrations.fortnox.adapter_payments import payment_problems
    from sync.flows.base import RecordFailed
    from tests.contracts.test_fortnox_requests import PAYMENT

    assert payment_problems(PAYMENT) == []
    fee = replace(PAYMENT, lines=(replace(PAYMENT.lines[0], write_off_account="65700"),))
    [problem] = payment_problems(fee)
    assert "fee write-off account '65700'" in problem and "4-digit accounts 1000–9999" in problem
    assert "under Integrations › Payouts" in problem
    cash = replace(PAYMENT, cash_account="19300")
    [problem] = payment_problems(cash)
    assert "payment cash account '19300'" in problem and "under Integrations › Payouts" in problem
    assert payment_problems(replace(fee, lines=(replace(fee.lines[0], write_off=Decimal(0)),))) == []  # no fee

    with responses.RequestsMock():  # no request at all may be made
        with pytest.raises(RecordFailed, match="fee write-off account '65700'"):
            FortnoxErp(connection).payment_book(fee)
