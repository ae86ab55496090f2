"""The Fortnox emulator: envelopes, paging, substring search, token rotation, rate limit, rounding, credit, errors."""

from decimal import Decimal

from django.test import override_settings

from integrations.fortnox import sandbox

from .conftest import API, SCOPES

D = Decimal


def invoice_body(*rows, customer="1", **fields) -> dict:
    return {"Invoice": {"CustomerNumber": customer, "InvoiceDate": "2026-11-02", "InvoiceRows": list(rows), **fields}}


def row(price, quantity="1", vat=25, **fields) -> dict:
    return {"Description": "Item", "Price": price, "DeliveredQuantity": quantity, "VAT": vat, **fields}


def create(api, *rows, **fields) -> dict:
    answer = api.post("/3/invoices", invoice_body(*rows, **fields))
    assert answer.status_code == 201, answer.content
    return answer.json()["Invoice"]


# --------------------------------------------------------------------------- envelopes and paging
def test_company_information_carries_the_tenant_id(api):
    info = api.get("/3/companyinformation").json()["CompanyInformation"]
    assert info["DatabaseNumber"] == 1_700_042


def test_a_created_invoice_comes_back_in_its_envelope(api):
    created = create(api, row(100))
    answer = api.get(f"/3/invoices/{created['DocumentNumber']}").json()
    assert list(answer) == ["Invoice"]
    assert (answer["Invoice"]["Total"], answer["Invoice"]["Credit"], answer["Invoice"]["Booked"]) == (
        125,
        "false",
        False,
    )


def test_lists_page_with_limit_and_say_so_in_meta_information(api):
    third = api.get("/3/customers", limit=2, page=3).json()
    assert third["MetaInformation"] == {"@TotalResources": 5, "@TotalPages": 3, "@CurrentPage": 3}
    assert [c["CustomerNumber"] for c in third["Customers"]] == ["5"]
    assert api.get("/3/customers", limit=2, page=4).json()["Customers"] == []


def test_a_limit_above_500_is_refused(api):
    answer = api.get("/3/articles", limit=501)
    assert answer.status_code == 400
    assert answer.json()["ErrorInformation"]["code"] == 2000588


def test_article_lists_give_numbers_as_strings_where_the_spec_says_so(api):
    articles = api.get("/3/articles", articlenumber="1001-BLK-M").json()["Articles"]
    assert [(a["ArticleNumber"], a["SalesPrice"], a["VAT"]) for a in articles] == [("1001-BLK-M", "399", "25")]
    one = api.get("/3/articles/1001-BLK-M").json()["Article"]
    assert (one["SalesPrice"], one["StockGoods"]) == (399, True)
    assert api.get("/3/articles/FREIGHT").json()["Article"]["StockGoods"] is False


# --------------------------------------------------------------------------- substring search
def test_external_invoice_reference_search_is_a_substring_match(api):
    create(api, row(10), ExternalInvoiceReference1="123")
    create(api, row(10), ExternalInvoiceReference1="1234")
    create(api, row(10), ExternalInvoiceReference1="999")
    found = api.get("/3/invoices", externalinvoicereference1="123").json()["Invoices"]
    assert sorted(i["ExternalInvoiceReference1"] for i in found) == ["123", "1234"]


def test_email_search_is_a_case_insensitive_substring_match(api):
    for name, email in (("Anna", "anna@example.se"), ("Hanna", "HANNA@example.se"), ("Bo", "bo@example.se")):
        assert api.post("/3/customers", {"Customer": {"Name": name, "Email": email}}).status_code == 201
    found = api.get("/3/customers", email="anna@example.se").json()["Customers"]
    assert sorted(c["Email"] for c in found) == ["HANNA@example.se", "anna@example.se"]


def test_two_search_parameters_at_once_are_an_invalid_filter(api):
    answer = api.get("/3/invoices", externalinvoicereference1="1", customernumber="1")
    assert answer.status_code == 400
    assert answer.json()["ErrorInformation"]["code"] == 2000587  # lower-case keys on a 400


def test_lastmodified_returns_what_changed_since_in_swedish_time(api, monkeypatch):
    from datetime import datetime

    moment = [datetime(2027, 1, 4, 9, 0, tzinfo=sandbox.STOCKHOLM)]
    monkeypatch.setattr(sandbox, "now", lambda: moment[0])
    api.post("/3/customers", {"Customer": {"Name": "Early"}})
    moment[0] = datetime(2027, 1, 4, 11, 0, tzinfo=sandbox.STOCKHOLM)
    api.post("/3/customers", {"Customer": {"Name": "Late"}})
    found = api.get("/3/customers", lastmodified="2027-01-04 10:00").json()["Customers"]
    assert [c["Name"] for c in found] == ["Late"]


def test_a_taken_customer_number_is_refused(api):
    answer = api.post("/3/customers", {"Customer": {"Name": "Copy", "CustomerNumber": "2"}})
    assert answer.status_code == 400
    assert answer.json()["ErrorInformation"]["code"] == 2000637
    new = api.post("/3/customers", {"Customer": {"Name": "Next"}}).json()["Customer"]
    assert new["CustomerNumber"] == "6"  # the seeded 1–5 are skipped


# --------------------------------------------------------------------------- OAuth
def _token(http, **form):
    from .conftest import basic

    return http.post(f"{API}/oauth-v1/token", form, HTTP_AUTHORIZATION=form.pop("_auth", None) or basic())


def test_the_authorization_code_flow_gives_an_hour_long_token_and_a_refresh_token(tokens):
    from django.test import Client

    from .conftest import CLIENT_ID

    http = Client()
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "state": "s-42",
        "scope": "invoice customer",
        "redirect_uri": "http://testserver/back",
        "access_type": "offline",
    }
    page = http.get(f"{API}/oauth-v1/auth", query)
    assert page.status_code == 200 and b"invoice" in page.content
    approved = http.post(f"{API}/oauth-v1/auth", {**query, "decision": "approve"})
    assert approved.status_code == 302 and "state=s-42" in approved["Location"]
    code = approved["Location"].split("code=")[1].split("&")[0]
    answer = _token(http, grant_type="authorization_code", code=code, redirect_uri="http://testserver/back")
    body = answer.json()
    assert (answer.status_code, body["expires_in"], body["scope"], body["token_type"]) == (
        200,
        3600,
        "invoice customer",
        "bearer",
    )
    assert body["refresh_token"]
    again = _token(http, grant_type="authorization_code", code=code, redirect_uri="http://testserver/back")
    assert again.status_code == 400  # a code is single use


def test_state_is_required_on_the_consent_page(tokens):
    from django.test import Client

    from .conftest import CLIENT_ID

    answer = Client().get(f"{API}/oauth-v1/auth", {"client_id": CLIENT_ID, "response_type": "code", "scope": "invoice"})
    assert answer.status_code == 400


def test_a_refresh_token_is_single_use_and_rotates(tokens):
    import json

    from django.test import Client

    from integrations.fortnox.oauth_sandbox import refresh_grant_count

    http = Client()
    first = _token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != tokens["refresh_token"]
    reused = _token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (reused.status_code, reused["Content-Type"].split(";")[0]) == (400, "text/html")
    assert json.loads(reused.content) == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert _token(http, grant_type="refresh_token", refresh_token=rotated).status_code == 200
    assert refresh_grant_count() == 2


def test_the_token_endpoint_wants_the_client_as_http_basic(tokens):
    from django.test import Client

    from .conftest import CLIENT_ID, CLIENT_SECRET, basic

    http = Client()
    in_body = http.post(
        f"{API}/oauth-v1/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert (in_body.status_code, in_body.json()["error"]) == (401, "invalid_client")
    wrong = _token(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"], _auth=basic(secret="nope"))
    assert wrong.status_code == 401


def test_client_credentials_need_a_service_consent_and_the_tenant_id_header(tokens):
    from django.test import Client

    from integrations.fortnox.oauth_sandbox import DEMO_TENANT_ID, service_consent_grant

    from .conftest import CLIENT_ID, basic

    http = Client()
    form = {"grant_type": "client_credentials"}
    headers = {"HTTP_AUTHORIZATION": basic(), "HTTP_TENANTID": str(DEMO_TENANT_ID)}
    assert http.post(f"{API}/oauth-v1/token", form, **headers).status_code == 400  # no consent yet
    service_consent_grant(client_id=CLIENT_ID, tenant_id=DEMO_TENANT_ID, scope="invoice companyinformation")
    answer = http.post(f"{API}/oauth-v1/token", form, **headers).json()
    assert "refresh_token" not in answer
    info = http.get(f"{API}/3/companyinformation", HTTP_AUTHORIZATION=f"Bearer {answer['access_token']}")
    assert info.json()["CompanyInformation"]["DatabaseNumber"] == DEMO_TENANT_ID
    no_tenant = http.post(f"{API}/oauth-v1/token", form, HTTP_AUTHORIZATION=basic())
    assert no_tenant.status_code == 400


def test_an_expired_access_token_answers_401_unauthorized(api):
    from integrations.fortnox.oauth_sandbox import token_expire

    token_expire(api.token)
    answer = api.get("/3/invoices")
    assert (answer.status_code, answer.json()) == (401, {"message": "unauthorized"})


# --------------------------------------------------------------------------- rate limit
@override_settings(SANDBOX_RATE_LIMITS={"fortnox": (25, 5)})
def test_request_26_within_5_seconds_answers_429_without_retry_after(api, clock):
    statuses = []
    for _ in range(25):
        statuses.append(api.get("/3/companyinformation").status_code)
        clock.now += 0.1
    assert statuses == [200] * 25
    refused = api.get("/3/companyinformation")
    assert refused.status_code == 429
    assert "Retry-After" not in refused
    clock.now += 2.55  # the first call (at 0.0 s) has left the 5 s window, the second (0.1 s) not: one more fits
    assert api.get("/3/companyinformation").status_code == 200
    assert api.get("/3/companyinformation").status_code == 429


@override_settings(SANDBOX_RATE_LIMITS={"fortnox": (25, 5)})
def test_the_window_is_per_tenant(api, clock):
    from integrations.fortnox.oauth_sandbox import token_issue

    from .conftest import CLIENT_ID, Api

    for _ in range(25):
        api.get("/3/companyinformation")
    other = Api(token_issue(client_id=CLIENT_ID, scope=SCOPES, tenant_id=42)["access_token"])
    assert (api.get("/3/companyinformation").status_code, other.get("/3/companyinformation").status_code) == (429, 200)


# --------------------------------------------------------------------------- rounding
def test_row_price_and_quantity_are_rounded_to_two_decimals_half_up(api):
    invoice = create(api, row("1.125", "2.005"))
    first = invoice["InvoiceRows"][0]
    assert (first["Price"], first["DeliveredQuantity"], first["Total"]) == (1.13, "2.01", 2.27)  # 2.2713 → 2.27


def test_vat_is_rounded_per_rate_on_the_sum_of_the_rows(api):
    invoice = create(api, row("0.10"), row("0.10"), row("33.33", vat=12), row("9.99", vat=6))
    # 25 %: 0.20 → 0.05 (per row it would be 0.03 + 0.03); 12 %: 3.9996 → 4.00; 6 %: 0.5994 → 0.60
    assert (invoice["Net"], invoice["TotalVAT"], invoice["Total"]) == (43.52, 4.65, 48.17)
    stored = api.get(f"/3/invoices/{invoice['DocumentNumber']}").json()["Invoice"]
    assert sandbox.invoice_vat_by_rate(stored) == {
        D(6): (D("9.99"), D("0.60")),
        D(12): (D("33.33"), D("4.00")),
        D(25): (D("0.20"), D("0.05")),
    }


def test_a_hundred_net_at_25_percent_is_125(api):
    invoice = create(api, row(100))
    assert (invoice["Net"], invoice["TotalVAT"], invoice["RoundOff"], invoice["Total"], invoice["Balance"]) == (
        100,
        25,
        0,
        125,
        125,
    )


def test_round_off_to_whole_kronor_only_when_the_company_rounds(api):
    assert create(api, row("99.99"))["RoundOff"] == 0
    sandbox.company_settings_set(round_off=True)
    invoice = create(api, row("99.99"))  # 99.99 + 25.00 = 124.99
    assert (invoice["RoundOff"], invoice["Total"]) == (0.01, 125)
    euro = create(api, row("99.99"), customer="4")
    assert (euro["Currency"], euro["RoundOff"]) == ("EUR", 0)  # only SEK invoices are rounded


def test_freight_carries_the_highest_row_rate(api):
    invoice = create(api, row(100, vat=12), row(100), Freight="49.5")
    assert (invoice["FreightVAT"], invoice["TotalVAT"], invoice["Total"]) == (12.38, 49.38, 298.88)


def test_reverse_charge_and_export_customers_get_no_vat(api):
    invoice = create(api, row(100), customer="3")
    assert (invoice["Currency"], invoice["InvoiceRows"][0]["VAT"], invoice["TotalVAT"]) == ("EUR", 0, 0)
    assert invoice["InvoiceRows"][0]["AccountNumber"] == 3108


def test_a_vat_rate_the_company_lacks_is_refused(api):
    answer = api.post("/3/invoices", invoice_body(row(100, vat=13)))
    assert answer.status_code == 400
    assert "moms 13" in answer.json()["ErrorInformation"]["message"]


def test_fields_outside_the_invoice_payload_are_refused(api):
    answer = api.post("/3/invoices", invoice_body(row(100), Total=125))
    assert answer.status_code == 400
    assert answer.json()["ErrorInformation"] == {
        "error": 1,
        "message": answer.json()["ErrorInformation"]["message"],
        "code": 2000588,
    }
    assert "Total" in answer.json()["ErrorInformation"]["message"]
    assert api.get("/3/invoices").json()["MetaInformation"]["@TotalResources"] == 0  # nothing half-written
