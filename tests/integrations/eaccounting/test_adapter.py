"""EAccountingShop against recorded eAccounting answers (`responses`): orders read exactly (rows, freight, discount,
roundings, VAT per rate, customer, addresses, currency rate), paid from the invoices made from them (read in pages),
credit invoices as refunds of their order, customers company or person, unreadable records alone."""

from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations.eaccounting.adapter import EAccountingShop
from integrations.http import ConfigurationError
from sync import ports
from sync.ports import ShopPort
from sync.shop import ShopCustomer, ShopOrder, ShopRefund, Unreadable
from tests.fakes import FakeClock

from .recorded import API, page, recorded_connection

pytestmark = pytest.mark.django_db
D = Decimal
N = float  # JSON numbers as eAccounting sends them (read back as exact Decimals)

ANNA, BERLIN = "c0000000-0000-0000-0000-00000000000a", "c0000000-0000-0000-0000-00000000000b"
CUSTOMERS = {
    ANNA: {
        "Id": ANNA,
        "CustomerNumber": "1005",
        "Name": "Anna Svensson",
        "IsPrivatePerson": True,
        "EmailAddress": "anna.svensson@example.se",
        "InvoiceAddress1": "Storgatan 1",
        "InvoicePostalCode": "111 22",
        "InvoiceCity": "Stockholm",
        "InvoiceCountryCode": "SE",
        "MobilePhone": "+46 70 123 45 67",
        "ChangedUtc": "2026-03-01T08:00:00.000Z",
    },
    BERLIN: {
        "Id": BERLIN,
        "CustomerNumber": "1003",
        "Name": "Berliner Buchhandel GmbH",
        "IsPrivatePerson": False,
        "VatNumber": "DE123456789",
        "EmailAddress": "einkauf@berliner-buch.de",
        "ContactPersonName": "Jonas Weber",
        "ContactPersonEmail": "j.weber@berliner-buch.de",
        "InvoiceAddress1": "Friedrichstraße 100",
        "InvoicePostalCode": "10117",
        "InvoiceCity": "Berlin",
        "InvoiceCountryCode": "DE",
        "CurrencyCode": "EUR",
        "ChangedUtc": "2026-03-02T11:00:00.000Z",
    },
}


def row(line: int, article: str, quantity, price, amount, rate, discount="0", text=""):
    return {
        "Id": f"r{line}",
        "LineNumber": line,
        "ArticleId": f"a-{article}",
        "ArticleNumber": article,
        "IsTextRow": False,
        "Text": text or f"Article {article}",
        "UnitPrice": N(price),
        "Amount": N(amount),
        "DiscountPercentage": N(discount),
        "Quantity": N(quantity),
        "VatRate": N(rate),
        "IsWorkCost": False,
        "EligibleForReverseChargeOnVat": False,
    }


ANNA_ROWS = [
    row(1, "1001", "2", "199.20", "398.40", "0.25"),
    row(2, "2001", "1", "235.85", "212.27", "0.06", discount="0.1"),
    {"LineNumber": 3, "IsTextRow": True, "Text": "Thank you!", "ArticleId": None},
    row(4, "FRAKT", "1", "39.20", "39.20", "0.25", text="Frakt"),
]


def order(number: int, *, customer=ANNA, status=4, modified="2026-03-02T10:00:00.000Z", created=None, **fields):
    body = {
        "Id": f"o-{number}",
        "Number": number,
        "CustomerId": customer,
        "CurrencyCode": "SEK",
        "Amount": N("649.87"),
        "VatAmount": N("122.14"),
        "RoundingsAmount": N("-0.01"),
        "IncludesVat": False,
        "Status": status,
        "CreatedUtc": created or "2026-03-01T09:00:00.000Z",
        "ModifiedUtc": modified,
        "OrderDate": "2026-03-01",
        "InvoiceAddress1": "Storgatan 1",
        "InvoicePostalCode": "111 22",
        "InvoiceCity": "Stockholm",
        "InvoiceCountryCode": "SE",
        "InvoiceCustomerName": "Anna Svensson",
        "DeliveryCustomerName": "Anna Svensson",
        "DeliveryAddress1": "Storgatan 1",
        "DeliveryPostalCode": "111 22",
        "DeliveryCity": "Stockholm",
        "DeliveryCountryCode": "SE",
        "DeliveryMethodCode": "POSTNORD",
        "TermsOfPaymentId": "t-card",
        "BuyersOrderReference": f"WEB-{number}",
        "Rows": ANNA_ROWS,
    }
    return {**body, **fields}


def invoice(invoice_id: str, *, order_id: str | None, paid: bool, modified="2026-03-02T10:00:00.000Z", **fields):
    return {
        "Id": invoice_id,
        "InvoiceNumber": int(invoice_id.strip("i") or 0) if invoice_id.strip("i").isdigit() else 1,
        "IsCreditInvoice": False,
        "CurrencyCode": "SEK",
        "CurrencyRate": N("1"),
        "CreatedFromOrderId": order_id,
        "PaymentStatus": 0 if paid else 1,
        "CreatedUtc": "2026-03-01T12:00:00.000Z",
        "ModifiedUtc": modified,
        "TotalAmountInvoiceCurrency": N("772.00"),
        "TotalVatAmountInvoiceCurrency": N("122.14"),
        "Rows": [],
        **fields,
    }


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def calls_to(path: str) -> list:
    return [c for c in responses.calls if urlsplit(c.request.url).path == f"/v2{path}"]


@pytest.fixture
def shop(db):
    return EAccountingShop(recorded_connection(), clock=FakeClock())


@pytest.fixture
def base():
    """The company's settings and customers, as every order read needs them."""
    responses.get(f"{API}/companysettings", json={"Name": "Demo AB", "CurrencyCode": "SEK"})
    for key, customer in CUSTOMERS.items():
        responses.get(f"{API}/customers/{key}", json=customer)


# --------------------------------------------------------------------------- the port
def test_it_is_a_shop_port_that_tells_paid_orders_and_has_no_product_catalogue(shop):
    assert isinstance(shop, ShopPort)
    assert (shop.system, shop.display_name) == ("eaccounting", "Visma eAccounting")
    assert shop.capabilities == frozenset(
        {ports.ORDER_PAID, ports.ARTICLE_WRITE, ports.ARTICLE_STOCK, ports.CUSTOMER_WRITE}
    )
    with pytest.raises(ConfigurationError, match="catalogue is articles"):
        shop.product_find("1001")


# --------------------------------------------------------------------------- one order, exactly
@responses.activate
def test_a_private_persons_order_is_read_exactly(shop, base):
    responses.get(f"{API}/orders", json=page([order(7001)]))
    responses.get(f"{API}/customerinvoices", json=page([invoice("i1", order_id="o-7001", paid=True)]))

    result = shop.order_get("7001")

    assert isinstance(result, ShopOrder)
    assert (result.id, result.number, result.status, result.currency) == ("o-7001", "7001", "Invoiced", "SEK")
    assert result.prices_include_vat is False
    assert [(line.sku, line.quantity, line.line_total, line.tax_percent) for line in result.lines] == [
        ("1001", D("2"), D("398.40"), D("25")),
        ("2001", D("1"), D("212.27"), D("6")),
    ]
    book = result.lines[1]
    assert (book.unit_original_price, book.unit_price, book.discount_percent) == (D("235.85"), D("212.265"), D("10"))
    assert (result.shipping_amount, result.shipping_tax_percent, result.shipping_option) == (
        D("39.20"),
        D("25"),
        "POSTNORD",
    )
    # net 649.87 + VAT 122.14; the customer pays 772.00 after the öre rounding (−0.01), which is no sale
    assert (result.tax_total, result.grand_total, result.rounding_amount) == (D("122.14"), D("772.00"), D("-0.01"))
    assert result.vat_by_rate == ((D("6"), D("12.74")), (D("25"), D("109.40")))
    assert "roundings_amount" not in result.extra and result.extra["buyers_order_reference"] == "WEB-7001"
    assert result.customer_email == "anna.svensson@example.se" and result.customer_name == "Anna Svensson"
    assert (result.billing.first_name, result.billing.last_name, result.billing.company) == ("Anna", "Svensson", "")
    assert (result.billing.address1, result.billing.zip_code, result.billing.country) == ("Storgatan 1", "111 22", "SE")
    assert result.billing.phone == "+46 70 123 45 67" and result.shipping.city == "Stockholm"
    assert (result.paid, result.currency_rate, result.payment_method, result.is_wholesale) == (
        True,
        D(1),
        "invoice",
        False,
    )
    assert query(calls_to("/orders")[0])["$filter"] == "Number eq 7001"


@responses.activate
def test_a_company_order_in_euro_has_its_contact_vat_number_and_the_invoices_rate(shop, base):
    rows = [row(1, "2001", "6", "20.50", "110.70", "0"), row(2, "FRAKT", "1", "4.00", "4.00", "0")]
    eur = order(
        7005,
        customer=BERLIN,
        CurrencyCode="EUR",
        Amount=N("114.70"),
        VatAmount=N("0"),
        RoundingsAmount=N("0"),
        Rows=rows,
        InvoiceCountryCode="DE",
        InvoiceCustomerName="Berliner Buchhandel GmbH",
        InvoiceCity="Berlin",
        DeliveryCountryCode="DE",
        DeliveryCity="Potsdam",
        DeliveryCustomerName="Lager Potsdam",
    )
    responses.get(f"{API}/orders/o-7005", json=eur)
    responses.get(
        f"{API}/customerinvoices",
        json=page([invoice("i5", order_id="o-7005", paid=False, CurrencyCode="EUR", CurrencyRate=N("11.50"))]),
    )

    result = shop.order_get("o-7005")  # by Id as well

    assert (result.billing.company, result.billing.first_name, result.billing.last_name) == (
        "Berliner Buchhandel GmbH",
        "Jonas",
        "Weber",
    )
    assert (result.billing.vat_number, result.billing.country, result.customer_email) == (
        "DE123456789",
        "DE",
        "einkauf@berliner-buch.de",
    )
    assert (result.shipping.city, result.shipping.company) == ("Potsdam", "Lager Potsdam")
    assert (result.currency, result.currency_rate, result.paid) == ("EUR", D("11.50"), False)
    assert result.grand_total == D("114.70") and result.vat_by_rate == ((D("0"), D("0.00")),)
    assert result.is_wholesale and result.extra["private_person"] is False


@responses.activate
def test_vat_per_rate_is_left_to_the_flow_when_the_rows_do_not_add_up_to_the_orders_vat(shop, base):
    responses.get(f"{API}/orders/o-1", json=order(7001, Id="o-1", Status=2, VatAmount=N("122.15")))

    result = shop.order_get("o-1")

    assert result.vat_by_rate == () and result.tax_total == D("122.15")
    assert result.paid is False  # not invoiced: nothing paid, no invoice read
    assert calls_to("/customerinvoices") == []


# --------------------------------------------------------------------------- listings and paid
@responses.activate
def test_orders_keep_to_statuses_and_creation_date_and_unreadable_ones_fail_alone(shop, base):
    spoilt = order(7003, modified="2026-03-02T10:03:00.000Z", Rows=[{**ANNA_ROWS[0], "Quantity": "abc"}])
    responses.get(
        f"{API}/orders",
        json=page(
            [
                order(7001, status=3, modified="2026-03-02T10:01:00.000Z"),
                order(7002, status=1, modified="2026-03-02T10:02:00.000Z"),  # Draft: not asked for
                spoilt,
                order(7004, status=3, modified="2026-03-02T10:04:00.000Z", created="2026-01-15T09:00:00Z"),
                order(7006, status=3, modified="2026-03-02T10:06:00.000Z", CustomerId="c-gone"),
                order(7007, status=3, modified="2026-03-02T10:07:00.000Z"),
            ]
        ),
    )
    responses.get(f"{API}/customerinvoices", json=page([]))
    responses.get(f"{API}/customers/c-gone", status=404, json={"ErrorCode": 3000, "DeveloperErrorMessage": "No"})

    listed = list(
        shop.orders_changed(
            statuses=["Shipped", "Invoiced"],
            created_from=date(2026, 2, 1),
            updated_from=datetime(2026, 3, 2, 10, tzinfo=UTC),
        )
    )

    assert [r.number if isinstance(r, ShopOrder) else r.source_id for r in listed] == ["7001", "7003", "7006", "7007"]
    bad = listed[1]
    assert isinstance(bad, Unreadable) and bad.what == "order" and bad.cursor == "2026-03-02T10:03:00.000Z"
    assert "Order 7003" in bad.message and "quantity" in bad.message and "'abc'" in bad.message
    assert isinstance(listed[2], Unreadable) and "customer c-gone is not in eAccounting" in listed[2].message
    assert query(calls_to("/orders")[0])["$filter"] == "ModifiedUtc ge 2026-03-02T10:00:00Z"
    assert query(calls_to("/customerinvoices")[0])["modifiedSinceUtc"] == "2026-03-02T10:00:00Z"
    assert len(calls_to(f"/customers/{ANNA}")) == 1  # a customer is read once per adapter


@responses.activate
def test_only_paid_orders_come_from_one_paged_invoice_listing_and_newly_paid_old_orders_come_first(shop, base):
    window = datetime(2026, 3, 2, 10, tzinfo=UTC)
    responses.get(
        f"{API}/customerinvoices",
        json=page(
            [
                invoice("i1", order_id="o-7001", paid=True, CreatedUtc="2026-03-02T10:05:00Z"),
                invoice("i2", order_id="o-7002", paid=False, CreatedUtc="2026-03-02T10:06:00Z"),
                # made long ago, paid inside the window: its order did not change since
                invoice("i9", order_id="o-6009", paid=True, CreatedUtc="2026-02-01T12:00:00Z"),
                invoice("i8", order_id=None, paid=True, IsCreditInvoice=True, ReferringInvoiceId="i7"),
            ]
        ),
    )
    responses.get(
        f"{API}/orders",
        json=page(
            [
                order(7001, modified="2026-03-02T10:05:00.000Z"),
                order(7002, modified="2026-03-02T10:06:00.000Z"),
                order(7003, status=3, modified="2026-03-02T10:07:00.000Z"),
            ]
        ),
    )
    responses.get(f"{API}/orders/o-6009", json=order(6009, modified="2026-02-01T12:00:00.000Z"))

    listed = list(shop.orders_changed(statuses=["Invoiced"], created_from=None, updated_from=window, paid_only=True))

    assert [o.number for o in listed] == ["6009", "7001"]
    assert all(isinstance(o, ShopOrder) and o.paid is True for o in listed)
    assert len(calls_to("/customerinvoices")) == 1  # one listing, not one call per order
    assert [urlsplit(c.request.url).path for c in responses.calls if "/orders/" in c.request.url] == [
        "/v2/orders/o-6009"
    ]


@responses.activate
def test_an_invoiced_order_whose_invoice_predates_the_window_is_read_from_invoices_since_its_creation(shop, base):
    responses.get(
        f"{API}/customerinvoices",
        json=page([]),
        match=[
            responses.matchers.query_param_matcher({"modifiedSinceUtc": "2026-03-02T10:00:00Z"}, strict_match=False)
        ],
    )
    responses.get(
        f"{API}/customerinvoices",
        json=page([invoice("i1", order_id="o-7001", paid=True, ModifiedUtc="2026-03-01T12:00:00Z")]),
        match=[
            responses.matchers.query_param_matcher({"modifiedSinceUtc": "2026-03-01T09:00:00Z"}, strict_match=False)
        ],
    )
    responses.get(f"{API}/orders", json=page([order(7001, modified="2026-03-02T10:05:00.000Z")]))

    [result] = shop.orders_changed(
        statuses=["Invoiced"], created_from=None, updated_from=datetime(2026, 3, 2, 10, tzinfo=UTC)
    )

    assert result.paid is True
    assert len(calls_to("/customerinvoices")) == 2


@responses.activate
def test_an_order_not_in_eaccounting_is_none(shop, base):
    responses.get(f"{API}/orders", json=page([]))
    assert shop.order_get("9999") is None


# --------------------------------------------------------------------------- refunds
@responses.activate
def test_a_credit_invoice_is_the_refund_of_the_order_its_credited_invoice_was_made_from(shop, base):
    credit_rows = [
        {**row(1, "1001", "-1", "199.20", "-199.20", "0.25"), "AmountNoVat": N("-199.20")},
        {**row(2, "FRAKT", "-1", "39.20", "-39.20", "0.25"), "AmountNoVat": N("-39.20")},
    ]
    credit = invoice(
        "c1",
        order_id=None,
        paid=True,
        IsCreditInvoice=True,
        ReferringInvoiceId="i1",
        Rows=credit_rows,
        TotalAmountInvoiceCurrency=N("-298.00"),
        TotalVatAmountInvoiceCurrency=N("-59.60"),
        ModifiedUtc="2026-03-03T10:00:00.000Z",
    )
    orphan = invoice("c2", order_id=None, paid=True, IsCreditInvoice=True, ReferringInvoiceId="i3")
    responses.get(
        f"{API}/customerinvoices",
        json=page(
            [invoice("i1", order_id="o-7001", paid=True), credit, invoice("i3", order_id=None, paid=True), orphan]
        ),
    )
    responses.get(f"{API}/orders/o-7001", json=order(7001))

    listed = list(shop.refunds_changed(updated_from=None))

    refund = listed[0]
    assert isinstance(refund, ShopRefund) and (refund.id, refund.order_number) == ("c1", "7001")
    assert [(line.sku, line.quantity, line.line_total) for line in refund.lines] == [("1001", D("1"), D("199.20"))]
    assert (refund.shipping_amount, refund.shipping_tax_percent) == (D("39.20"), D("25"))
    assert (refund.total, refund.refunded, refund.currency, refund.prices_include_vat) == (
        D("298.00"),
        True,
        "SEK",
        False,
    )
    assert refund.updated_at == "2026-03-03T10:00:00.000Z"
    assert isinstance(listed[1], Unreadable) and "made from no order" in listed[1].message
    assert len(listed) == 2  # invoices that are not credits are no refunds


@responses.activate
def test_refund_get_reads_one_credit_invoice_and_its_chain(shop, base):
    responses.get(
        f"{API}/customerinvoices/c1",
        json=invoice(
            "c1",
            order_id=None,
            paid=False,
            IsCreditInvoice=True,
            ReferringInvoiceId="i1",
            TotalAmountInvoiceCurrency=N("-10"),
        ),
    )
    responses.get(f"{API}/customerinvoices/i1", json=invoice("i1", order_id="o-7001", paid=True))
    responses.get(f"{API}/customerinvoices/i2", json=invoice("i2", order_id="o-7001", paid=True))
    responses.get(f"{API}/orders/o-7001", json=order(7001))

    refund = shop.refund_get("c1")

    assert (refund.order_number, refund.total, refund.refunded) == ("7001", D("10"), False)  # not settled yet
    assert shop.refund_get("i2") is None  # an invoice, not a credit


# --------------------------------------------------------------------------- customers
@responses.activate
def test_customers_are_companies_with_their_contact_or_private_persons(shop):
    responses.get(f"{API}/customers", json=page([CUSTOMERS[ANNA], CUSTOMERS[BERLIN], "not a record"]))

    anna, berlin, bad = shop.customers_changed(updated_from=datetime(2026, 3, 1, tzinfo=UTC))

    assert isinstance(anna, ShopCustomer) and not anna.is_company
    assert (anna.first_name, anna.last_name, anna.email, anna.address.company) == (
        "Anna",
        "Svensson",
        "anna.svensson@example.se",
        "",
    )
    assert (
        berlin.is_company and berlin.name == "Berliner Buchhandel GmbH" and berlin.address.vat_number == "DE123456789"
    )
    assert (berlin.first_name, berlin.last_name, berlin.updated_at) == ("Jonas", "Weber", "2026-03-02T11:00:00.000Z")
    assert isinstance(bad, Unreadable) and bad.what == "customer"
    assert query(responses.calls[0])["$filter"] == "ChangedUtc ge 2026-03-01T00:00:00Z"


@responses.activate
def test_customer_get_is_none_when_eaccounting_has_none(shop):
    responses.get(f"{API}/customers/nope", status=404, json={"ErrorCode": 3000, "DeveloperErrorMessage": "Not found"})
    assert shop.customer_get("nope") is None
