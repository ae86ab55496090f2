"""The eAccounting emulator: {Meta, Data} paging, OData filters, per-endpoint quota, rotating refresh tokens,
create validation and error codes, faults, and a demo company whose documents add up."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from integrations.eaccounting import demo_data, oauth_sandbox, sandbox
from integrations.models import Connection
from integrations.oauth import token_refresh
from integrations.sandbox.inprocess import PREFIX, mount_inprocess
from integrations.sandbox.models import SandboxFault
from tests.fakes import FakeClock

API = "/sandbox/eaccounting/v2"
IDENTITY = "/sandbox/eaccounting/identity/connect"
SCOPES = "ea:api offline_access ea:sales"
D = Decimal


class Api:
    """The emulator through Django's test client, as an eAccounting client would call it."""

    def __init__(self, token: str):
        self.http = Client()
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.http.get(f"{API}{path}", params, **self._headers())

    def post(self, path: str, body: dict):
        return self.http.post(f"{API}{path}", body, content_type="application/json", **self._headers())

    def put(self, path: str, body: dict):
        return self.http.put(f"{API}{path}", body, content_type="application/json", **self._headers())


@pytest.fixture
def seeded(db):
    return demo_data.seed()


@pytest.fixture
def tokens(seeded):
    return oauth_sandbox.token_issue(client_id=demo_data.DEMO_CLIENT_ID, scope=SCOPES)


@pytest.fixture
def api(tokens):
    return Api(tokens["access_token"])


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(sandbox, "clock", fake.time)
    return fake


@pytest.fixture(autouse=True)
def _quota_window_reset():
    sandbox.quota_reset()
    yield
    sandbox.quota_reset()


def everything(api, path: str, **params) -> list[dict]:
    answer = api.get(path, **{"$pagesize": 1000, **params})
    assert answer.status_code == 200, answer.content
    return answer.json()["Data"]


def money(value) -> Decimal:
    return D(str(value))


# --------------------------------------------------------------------------- paging
def test_lists_answer_meta_and_data_paged_by_page_and_pagesize(api):
    third = api.get("/orders", **{"$page": 3, "$pagesize": 7}).json()
    assert set(third) == {"Meta", "Data"}
    meta = third["Meta"]
    assert (meta["CurrentPage"], meta["PageSize"], meta["TotalNumberOfPages"], meta["TotalNumberOfResults"]) == (
        3,
        7,
        3,
        20,
    )
    assert meta["ServerTimeUtc"].endswith("Z")
    assert len(third["Data"]) == 6
    link = api.get("/orders", **{"$page": 2, "$pagesize": 7})["Link"]
    assert '$page=3&$pagesize=7>; rel="next"' in link and '$page=1&$pagesize=7>; rel="prev"' in link
    assert api.get("/orders", **{"$page": 4, "$pagesize": 7}).json()["Data"] == []
    pages = [
        o["Id"] for page in (1, 2, 3) for o in api.get("/orders", **{"$page": page, "$pagesize": 7}).json()["Data"]
    ]
    assert len(set(pages)) == 20


def test_many_orders_page_through_in_the_order_asked(api, seeded):
    customer = api.get(f"/customers/{seeded['customers']['anna']}").json()
    articles = {a["Number"]: a for a in everything(api, "/articles")}
    start = sandbox.utc_now()
    sandbox.orders_bulk_put(
        [
            sandbox.order_build(
                customer_id=customer["Id"],
                customer=customer,
                articles=articles,
                rows=[{"ArticleNumber": "1001", "Quantity": 1}],
                order_date=start.date(),
                modified=start + timedelta(seconds=n),
                Number=5000 + n,
            )
            for n in range(120)
        ]
    )
    seen = []
    for page in (1, 2, 3):
        answer = api.get(
            "/orders", **{"$page": page, "$filter": "Number ge 5000", "$orderby": "ModifiedUtc desc"}
        ).json()
        assert answer["Meta"]["TotalNumberOfPages"] == 3
        seen += [o["Number"] for o in answer["Data"]]
    assert seen == list(range(5119, 4999, -1))
    assert api.get("/orders", **{"$filter": "Number eq 5007"}).json()["Data"][0]["Amount"] == 199.2


def test_the_default_page_size_is_50_and_more_than_1000_is_refused(api):
    assert api.get("/articles").json()["Meta"]["PageSize"] == 50
    answer = api.get("/articles", **{"$pagesize": 1001})
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == 2000
    assert "1000" in answer.json()["DeveloperErrorMessage"]


def test_nothing_matching_has_no_pages(api):
    meta = api.get("/orders", **{"$filter": "Status eq 9"}).json()["Meta"]
    assert (meta["TotalNumberOfPages"], meta["TotalNumberOfResults"]) == (0, 0)


# --------------------------------------------------------------------------- filters
def test_filter_on_status_with_eq(api):
    invoiced = everything(api, "/orders", **{"$filter": "Status eq 4"})
    assert len(invoiced) == sum(1 for o in demo_data.ORDERS if o[2] == 4)
    assert {o["Status"] for o in invoiced} == {4}


def test_filter_on_modified_utc_with_gt_ge_and_and_and_orderby(api):
    orders = everything(api, "/orders", **{"$orderby": "ModifiedUtc"})
    stamps = [o["ModifiedUtc"] for o in orders]
    assert stamps == sorted(stamps)
    middle = stamps[10]
    later = everything(api, "/orders", **{"$filter": f"ModifiedUtc gt {middle}"})
    assert all(o["ModifiedUtc"] > middle for o in later)
    assert len(everything(api, "/orders", **{"$filter": f"ModifiedUtc ge '{middle}'"})) == len(later) + stamps.count(
        middle
    )
    both = everything(api, "/orders", **{"$filter": f"ModifiedUtc ge {middle} and Status eq 2"})
    assert both and all(o["Status"] == 2 and o["ModifiedUtc"] >= middle for o in both)
    newest_first = everything(api, "/orders", **{"$orderby": "ModifiedUtc desc"})
    assert [o["ModifiedUtc"] for o in newest_first] == sorted(stamps, reverse=True)


def test_an_order_links_to_its_invoice_through_created_from_order_id(api):
    order = everything(api, "/orders", **{"$filter": "Status eq 4"})[0]
    invoices = everything(api, "/customerinvoices", **{"$filter": f"CreatedFromOrderId eq {order['Id']}"})
    assert len(invoices) == 1
    assert money(invoices[0]["TotalAmountInvoiceCurrency"]) == money(order["Amount"]) + money(
        order["VatAmount"]
    ) + money(order["RoundingsAmount"])


def test_text_filters_compare_without_case(api):
    found = everything(api, "/customers", **{"$filter": "EmailAddress eq 'ANNA.Svensson@example.se'"})
    assert [c["Name"] for c in found] == ["Anna Svensson"]
    assert everything(api, "/customers", **{"$filter": "EmailAddress eq 'anna@example.se'"}) == []


def test_modified_since_utc_on_customer_invoices(api):
    invoices = everything(api, "/customerinvoices", **{"$orderby": "ModifiedUtc"})
    since = invoices[-3]["ModifiedUtc"]
    recent = everything(api, "/customerinvoices", modifiedSinceUtc=since)
    assert {i["Id"] for i in recent} == {i["Id"] for i in invoices if i["ModifiedUtc"] >= since}
    assert 0 < len(recent) < len(invoices)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("Status eq 1 or Status eq 2", "'or'"),
        ("Colour eq 'red'", "no field 'Colour'"),
        ("Status eq", "is not 'Field"),
        ("ModifiedUtc gt yesterday", "not a value"),
    ],
)
def test_a_filter_outside_the_subset_is_refused_in_words(api, expression, words):
    answer = api.get("/orders", **{"$filter": expression})
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == 2000
    assert words in answer.json()["DeveloperErrorMessage"]


# --------------------------------------------------------------------------- quota
@override_settings(SANDBOX_RATE_LIMITS={"eaccounting": (3, 60)})
def test_the_quota_counts_each_endpoint_apart_and_answers_4010(api, clock):
    order_id = everything(api, "/orders")[0]["Id"]  # 1 call on /orders
    for _ in range(2):
        assert api.get("/orders").status_code == 200
    refused = api.get("/orders")
    assert refused.status_code == 429
    body = refused.json()
    assert body["ErrorCode"] == 4010
    assert body["DeveloperErrorMessage"] == (
        "API calls quota exceeded! maximum admitted 3 per Minute. Try again in 60 seconds."
    )
    assert body["ErrorId"]
    assert refused["Retry-After"] == "60"
    # other endpoints have their own window: /customers, and /orders/{id} apart from /orders
    assert api.get("/customers").status_code == 200
    assert api.get(f"/orders/{order_id}").status_code == 200
    clock.now += 30
    assert api.get("/orders")["Retry-After"] == "30"
    clock.now += 30
    assert api.get("/orders").status_code == 200


@override_settings(SANDBOX_RATE_LIMITS={"eaccounting": True})
def test_the_real_quota_is_600_per_minute(api, clock):
    for _ in range(600):
        assert sandbox._quota_take("company|/orders") is None
    assert api.get("/customers").status_code == 200
    assert sandbox._quota_take("company|/orders") == (600, 60)


def test_without_the_setting_there_is_no_quota(api):
    for _ in range(5):
        assert sandbox._quota_take("company|/orders") is None


def test_an_injected_429_says_the_same_in_words(api):
    SandboxFault.objects.create(
        system="eaccounting", endpoint="GET .*/orders$", kind="rate_limit", retry_after=7, remaining=1
    )
    refused = api.get("/orders")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "7"
    assert refused.json()["ErrorCode"] == 4010
    assert refused.json()["DeveloperErrorMessage"].endswith("Try again in 7 seconds.")
    assert api.get("/orders").status_code == 200


def test_an_injected_server_error_uses_the_error_shape(api):
    SandboxFault.objects.create(system="eaccounting", endpoint="GET .*/customerinvoices", kind="server_error")
    answer = api.get("/customerinvoices")
    assert answer.status_code == 503
    assert set(answer.json()) == {"ErrorCode", "DeveloperErrorMessage", "ErrorId", "Errors"}


def test_a_lost_answer_on_create_leaves_the_customer_created(api):
    SandboxFault.objects.create(
        system="eaccounting", endpoint="POST .*/customers$", kind="timeout_after_write", remaining=1
    )
    session = requests.Session()
    mount_inprocess(session)
    with pytest.raises(requests.ReadTimeout):
        session.post(
            f"{PREFIX}{API.lstrip('/')}/customers",
            json=customer_body(EmailAddress="lost@example.se"),
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=5,
        )
    assert len(everything(api, "/customers", **{"$filter": "EmailAddress eq 'lost@example.se'"})) == 1


# --------------------------------------------------------------------------- auth
def test_no_or_an_expired_token_answers_401(api):
    assert Api("").get("/orders").status_code == 401
    oauth_sandbox.token_expire(api.token)
    answer = api.get("/orders")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_ea_sales_is_refused_with_4002(seeded):
    read_only = Api(oauth_sandbox.token_issue(client_id="x", scope="ea:api ea:sales_readonly")["access_token"])
    assert read_only.get("/orders").status_code == 200
    refused = read_only.post("/customers", customer_body())
    assert refused.status_code == 403
    assert refused.json()["ErrorCode"] == 4002
    bare = Api(oauth_sandbox.token_issue(client_id="x", scope="ea:api offline_access")["access_token"])
    assert bare.get("/orders").json()["ErrorCode"] == 4002


def token_post(**fields):
    return Client().post(f"{IDENTITY}/token", urlencode(fields), content_type="application/x-www-form-urlencoded")


def test_refresh_tokens_are_single_use_and_rotate(tokens):
    first = token_post(
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        client_id=demo_data.DEMO_CLIENT_ID,
        client_secret=demo_data.DEMO_CLIENT_SECRET,
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert (rotated["expires_in"], rotated["token_type"], rotated["scope"]) == (3600, "Bearer", SCOPES)
    assert Api(rotated["access_token"]).get("/companysettings").json()["Name"] == oauth_sandbox.DEMO_COMPANY_NAME
    reused = token_post(
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        client_id=demo_data.DEMO_CLIENT_ID,
        client_secret=demo_data.DEMO_CLIENT_SECRET,
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert oauth_sandbox.refresh_grant_count() == 1


def test_token_requests_must_be_form_encoded(tokens):
    answer = Client().post(
        f"{IDENTITY}/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_the_consent_gives_a_code_for_tokens_with_the_mandatory_scopes(seeded):
    browser = Client()
    params = {
        "client_id": demo_data.DEMO_CLIENT_ID,
        "redirect_uri": "http://testserver/back",
        "response_type": "code",
        "state": "s1",
        "scope": SCOPES,
    }
    assert browser.get(f"{IDENTITY}/authorize", params).status_code == 200
    approved = browser.post(f"{IDENTITY}/authorize", {**params, "decision": "approve"})
    assert approved.status_code == 302
    code = approved["Location"].split("code=")[1].split("&")[0]
    answer = token_post(
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://testserver/back",
        client_id=demo_data.DEMO_CLIENT_ID,
        client_secret=demo_data.DEMO_CLIENT_SECRET,
    )
    assert answer.status_code == 200
    assert answer.json()["scope"] == SCOPES
    without = browser.get(f"{IDENTITY}/authorize", {**params, "scope": "ea:sales"})
    assert "error=invalid_scope" in without["Location"]


# --------------------------------------------------------------------------- writes
def terms_id() -> str:
    return demo_data.TERMS["30"]["Id"]


def customer_body(**fields) -> dict:
    return {
        "Name": "Nya Kunden AB",
        "InvoiceCity": "Lund",
        "InvoicePostalCode": "222 22",
        "IsActive": True,
        "IsPrivatePerson": False,
        "TermsOfPaymentId": terms_id(),
        "EmailAddress": "info@nyakunden.se",
        "ContactPersonName": "Lena Ek",
        "ContactPersonEmail": "lena@nyakunden.se",
        **fields,
    }


def article_body(**fields) -> dict:
    return {
        "Number": "9001",
        "Name": "Tygkasse",
        "IsActive": True,
        "CodingId": demo_data.CODINGS["goods25"][0],
        "UnitId": demo_data.UNIT_ID,
        "NetPrice": 80,
        **fields,
    }


def test_a_created_customer_gets_an_id_a_number_and_its_terms(api):
    created = api.post("/customers", customer_body())
    assert created.status_code == 201
    body = created.json()
    assert body["CustomerNumber"] and body["ChangedUtc"].endswith("Z")
    assert body["TermsOfPayment"]["NumberOfDays"] == 30
    assert api.get(f"/customers/{body['Id']}").json()["ContactPersonName"] == "Lena Ek"


def test_a_customer_without_its_required_fields_is_refused_field_by_field(api):
    answer = api.post("/customers", {"Name": "", "IsActive": "yes", "EmailAddress": "x" * 256})
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorCode"] == 2000
    fields = {e["Field"]: e["ErrorCode"] for e in body["Errors"]}
    assert fields == {
        "Name": "Required",
        "InvoiceCity": "Required",
        "InvoicePostalCode": "Required",
        "IsPrivatePerson": "Required",
        "TermsOfPaymentId": "Required",
        "IsActive": "InvalidType",
        "EmailAddress": "MaxLength",
    }
    assert "The InvoiceCity field is required." in body["DeveloperErrorMessage"]


def test_unknown_terms_of_payment_and_a_used_customer_number_are_refused(api):
    unknown = api.post("/customers", customer_body(TermsOfPaymentId="00000000-0000-0000-0000-000000000000"))
    assert (unknown.status_code, unknown.json()["ErrorCode"]) == (400, 3000)
    taken = everything(api, "/customers")[0]["CustomerNumber"]
    conflict = api.post("/customers", customer_body(CustomerNumber=taken))
    assert (conflict.status_code, conflict.json()["ErrorCode"]) == (400, 4000)


def test_put_replaces_the_whole_customer(api):
    created = api.post("/customers", customer_body(Telephone="+46 46 12 34 56")).json()
    replaced = api.put(f"/customers/{created['Id']}", customer_body(Name="Nya Kunden i Lund AB"))
    assert replaced.status_code == 200
    again = api.get(f"/customers/{created['Id']}").json()
    assert (again["Name"], again["Telephone"], again["CustomerNumber"]) == (
        "Nya Kunden i Lund AB",
        None,
        created["CustomerNumber"],
    )


def test_an_article_gets_its_gross_price_and_a_duplicate_number_is_a_conflict(api):
    created = api.post("/articles", article_body())
    assert created.status_code == 201
    assert (created.json()["NetPrice"], created.json()["GrossPrice"], created.json()["IsServiceArticle"]) == (
        80,
        100,
        False,
    )
    duplicate = api.post("/articles", article_body(Name="Annan kasse"))
    assert (duplicate.status_code, duplicate.json()["ErrorCode"]) == (400, 4000)
    assert "9001" in duplicate.json()["DeveloperErrorMessage"]


def test_an_article_needs_a_known_coding_and_unit(api):
    answer = api.post("/articles", article_body(CodingId="00000000-0000-0000-0000-000000000000"))
    assert (answer.status_code, answer.json()["ErrorCode"]) == (400, 3000)
    missing = api.post("/articles", {"Number": "9002", "Name": "Utan kodning"})
    assert {e["Field"] for e in missing.json()["Errors"]} == {"IsActive", "CodingId", "UnitId"}


def test_put_on_an_article_updates_stock_and_prices(api):
    article = everything(api, "/articles", **{"$filter": "Number eq '1001'"})[0]
    body = {k: article[k] for k in ("Number", "Name", "IsActive", "CodingId", "UnitId")}
    updated = api.put(f"/articles/{article['Id']}", {**body, "GrossPrice": 250, "StockBalance": 7})
    assert updated.status_code == 200
    assert (updated.json()["NetPrice"], updated.json()["StockBalanceAvailable"]) == (200, 7)
    assert updated.json()["ChangedUtc"] >= article["ChangedUtc"]


def test_an_unknown_id_answers_3000(api):
    for path in ("/orders/", "/customerinvoices/", "/customers/", "/articles/"):
        answer = api.get(path + "7d1b1d3c-0000-4000-8000-000000000000")
        assert (answer.status_code, answer.json()["ErrorCode"]) == (404, 3000)


def test_reference_data_lists(api):
    assert [u["Abbreviation"] for u in everything(api, "/units")] == ["st"]
    assert {t["NumberOfDays"] for t in everything(api, "/termsofpayments")} == {0, 10, 30}
    assert {v["VatRate"] for v in everything(api, "/vatcodes")} == {0.25, 0.12, 0.06, 0}
    assert {c["VatRatePercent"] for c in everything(api, "/articleaccountcodings")} == {0.25, 0.12, 0.06}


# --------------------------------------------------------------------------- demo data
def test_the_demo_company_has_what_the_demo_needs(api, seeded):
    orders = everything(api, "/orders")
    customers = {c["Id"]: c for c in everything(api, "/customers")}
    invoices = everything(api, "/customerinvoices")
    assert len(orders) == 20 and len(everything(api, "/articles")) == 12
    assert {o["Status"] for o in orders} == {1, 2, 3, 4}
    assert {o["CustomerIsPrivatePerson"] for o in orders} == {True, False}
    assert {c["InvoiceCountryCode"] for c in customers.values()} >= {"SE", "DE", "FI", "DK", "NL"}
    assert all(c["EmailAddress"] for c in customers.values())
    assert all(c["ContactPersonName"] for c in customers.values() if not c["IsPrivatePerson"])
    assert {o["CurrencyCode"] for o in orders} == {"SEK", "EUR"}
    rates = {row["VatRate"] for o in orders for row in o["Rows"]}
    assert rates == {0.25, 0.12, 0.06, 0}
    assert all(any(r["ArticleNumber"] == sandbox.FREIGHT_NUMBER for r in o["Rows"]) for o in orders)
    assert any(r["DiscountPercentage"] for o in orders for r in o["Rows"])
    plain = [i for i in invoices if not i["IsCreditInvoice"]]
    assert {i["PaymentStatus"] for i in plain} == {0, 1, 2}
    assert len(plain) == sum(1 for o in orders if o["Status"] == 4)
    assert demo_data.seed()["orders"] == []  # a second seed leaves the company as it is


def test_every_demo_order_adds_up_to_the_cent(api):
    for order in everything(api, "/orders"):
        nets: dict[Decimal, Decimal] = {}
        for row in order["Rows"]:
            expected = (
                money(row["Quantity"]) * money(row["UnitPrice"]) * (1 - money(row["DiscountPercentage"]))
            ).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            assert money(row["Amount"]) == expected, (order["Number"], row["LineNumber"])
            nets[money(row["VatRate"])] = nets.get(money(row["VatRate"]), D(0)) + expected
        vat = sum((n * r).quantize(D("0.01"), rounding=ROUND_HALF_UP) for r, n in nets.items())
        assert money(order["Amount"]) == sum(nets.values()), order["Number"]
        assert money(order["VatAmount"]) == vat, order["Number"]
        total = money(order["Amount"]) + money(order["VatAmount"]) + money(order["RoundingsAmount"])
        if order["CurrencyCode"] == "SEK":
            assert total == total.to_integral_value(), order["Number"]
        else:
            assert money(order["RoundingsAmount"]) == 0


def test_every_demo_invoice_matches_its_order_and_every_credit_credits_an_invoice(api):
    orders = {o["Id"]: o for o in everything(api, "/orders")}
    invoices = {i["Id"]: i for i in everything(api, "/customerinvoices")}
    credits = [i for i in invoices.values() if i["IsCreditInvoice"]]
    assert len(credits) == 2
    for invoice in invoices.values():
        spec_total = sum(
            money(v["AmountInvoiceCurrency"]) + money(v["VatAmountInvoiceCurrency"])
            for v in invoice["VatSpecification"]
        )
        assert money(invoice["TotalAmountInvoiceCurrency"]) == spec_total + money(invoice["TotalRoundings"]) / money(
            invoice["CurrencyRate"]
        )
        if invoice["IsCreditInvoice"]:
            original = invoices[invoice["ReferringInvoiceId"]]
            assert not original["IsCreditInvoice"]
            assert {"CreditInvoiceId": invoice["Id"]} in original["CreditedBy"]
            assert money(invoice["TotalAmountInvoiceCurrency"]) == -money(original["TotalAmountInvoiceCurrency"])
            continue
        order = orders[invoice["CreatedFromOrderId"]]
        assert order["Status"] == 4
        assert money(invoice["TotalAmountInvoiceCurrency"]) == money(order["Amount"]) + money(
            order["VatAmount"]
        ) + money(order["RoundingsAmount"])
        assert money(invoice["TotalVatAmountInvoiceCurrency"]) == money(order["VatAmount"])
        if invoice["PaymentStatus"] == 0:
            assert invoice["PaymentDate"] and invoice["RemainingAmountInvoiceCurrency"] == 0
        elif not invoice["CreditedBy"]:
            assert money(invoice["RemainingAmountInvoiceCurrency"]) == money(invoice["TotalAmountInvoiceCurrency"])


def test_koppla_refreshes_its_token_at_the_identity_server_and_the_old_one_is_spent(tokens):
    connection = Connection.objects.create(
        name="eAccounting (sandbox)",
        system="eaccounting",
        auth_type="oauth2_code",
        base_url=f"http://testserver{API}",
        token_url=f"http://testserver{IDENTITY}/token",
        authorize_url=f"http://testserver{IDENTITY}/authorize",
        client_id=demo_data.DEMO_CLIENT_ID,
        scopes=SCOPES,
        secrets={"client_secret": demo_data.DEMO_CLIENT_SECRET},
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_expires_at=timezone.now() - timedelta(seconds=1),
        status="connected",
    )
    token_refresh(connection=connection)
    connection.refresh_from_db()
    assert connection.refresh_token and str(connection.refresh_token) != tokens["refresh_token"]
    assert Api(str(connection.access_token)).get("/companysettings").status_code == 200
    assert oauth_sandbox.refresh_grant_count() == 1
    spent = token_post(
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        client_id=demo_data.DEMO_CLIENT_ID,
        client_secret=demo_data.DEMO_CLIENT_SECRET,
    )
    assert spent.json()["error"] == "invalid_grant"


def test_a_partial_credit_lowers_what_is_left_to_pay(api, seeded):
    unpaid = everything(api, "/customerinvoices", **{"$filter": "PaymentStatus eq 1 and IsCreditInvoice eq false"})[0]
    row = unpaid["Rows"][0]
    credit = sandbox.credit_invoice_create(
        unpaid["Id"], invoice_date=sandbox.utc_now().date(), lines={row["ArticleNumber"]: D(1)}, settled=False
    )
    expected_net = -(money(row["UnitPrice"]) * (1 - money(row["DiscountPercentage"]))).quantize(
        D("0.01"), ROUND_HALF_UP
    )
    assert money(credit["Rows"][0]["AmountNoVat"]) == expected_net and len(credit["Rows"]) == 1
    assert (credit["PaymentStatus"], credit["RemainingAmountInvoiceCurrency"]) == (
        1,
        credit["TotalAmountInvoiceCurrency"],
    )
    after = api.get(f"/customerinvoices/{unpaid['Id']}").json()
    assert after["CreditedBy"] == [{"CreditInvoiceId": credit["Id"]}]
    assert money(after["RemainingAmountInvoiceCurrency"]) == money(unpaid["RemainingAmountInvoiceCurrency"]) + money(
        credit["TotalAmountInvoiceCurrency"]
    )
    with pytest.raises(sandbox.ApiError):
        sandbox.credit_invoice_create(unpaid["Id"], invoice_date=sandbox.utc_now().date(), lines={"NOPE": D(1)})


def test_a_paid_invoice_shows_among_the_changed_ones_and_its_order_stays_as_it_was(api):
    unpaid = everything(api, "/customerinvoices", **{"$filter": "PaymentStatus eq 1"})[0]
    order_before = api.get(f"/orders/{unpaid['CreatedFromOrderId']}").json()
    since = sandbox.stamp()
    sandbox.invoice_pay(unpaid["Id"], paid_on=sandbox.utc_now().date())
    [changed] = everything(api, "/customerinvoices", modifiedSinceUtc=since)
    assert (changed["Id"], changed["PaymentStatus"], changed["RemainingAmount"]) == (unpaid["Id"], 0, 0)
    assert changed["PaymentDate"].startswith(sandbox.utc_now().date().isoformat())
    assert api.get(f"/orders/{unpaid['CreatedFromOrderId']}").json()["ModifiedUtc"] == order_before["ModifiedUtc"]


def test_a_slow_answer_still_answers(api):
    SandboxFault.objects.create(system="eaccounting", endpoint="GET .*/units$", kind="slow", delay_seconds=0.01)
    assert api.get("/units").status_code == 200
    assert SandboxFault.objects.get().fired == 1


def test_the_sandbox_counts_lengths_as_eaccounting_does_an_emoji_as_two(api):
    name = "Café " + "x" * 44 + "😀"  # 50 code points, 51 UTF-16 code units
    refused = api.post("/customers", customer_body(Name=name))
    assert refused.status_code == 400
    assert {e["Field"]: e["ErrorCode"] for e in refused.json()["Errors"]} == {"Name": "MaxLength"}
    assert api.post("/customers", customer_body(Name=name[:-1] + "é")).status_code in (200, 201)
