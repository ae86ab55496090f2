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


# --------------------------------------------------------------------------- credit
def booked(api, *rows, **fields) -> dict:
    invoice = create(api, *rows, **fields)
    answer = api.put(f"/3/invoices/{invoice['DocumentNumber']}/bookkeep")
    assert answer.status_code == 200, answer.content
    return answer.json()["Invoice"]


def test_the_credit_action_makes_one_full_credit_invoice(api):
    original = booked(api, row("19.99", "3"), row(100, vat=12), Freight=49, ExternalInvoiceReference1="A-77")
    answer = api.put(f"/3/invoices/{original['DocumentNumber']}/credit")
    assert answer.status_code == 200
    updated = answer.json()["Invoice"]
    credit = api.get(f"/3/invoices/{updated['CreditInvoiceReference']}").json()["Invoice"]
    assert (credit["Credit"], credit["CreditInvoiceReference"], credit["InvoiceReference"]) == (
        "true",
        original["DocumentNumber"],
        original["DocumentNumber"],
    )
    assert credit["ExternalInvoiceReference1"] == "A-77"
    assert [r["DeliveredQuantity"] for r in credit["InvoiceRows"]] == ["-3.00", "-1.00"]
    for key in ("Net", "TotalVAT", "FreightVAT", "RoundOff", "Total"):
        assert D(str(credit[key])) == -D(str(original[key])), key  # the credit nets the original to zero
    assert (updated["Balance"], credit["Balance"]) == (0, 0)
    again = api.put(f"/3/invoices/{original['DocumentNumber']}/credit")
    assert (again.status_code, again.json()["ErrorInformation"]["code"]) == (400, 2009002)


def test_only_a_booked_invoice_can_be_credited(api):
    invoice = create(api, row(100))
    answer = api.put(f"/3/invoices/{invoice['DocumentNumber']}/credit")
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009005)


def test_a_partial_credit_invoice_references_the_original_and_reduces_its_balance(api):
    original = booked(api, row(100, "2"))  # 250.00
    partial = create(api, row(-100), CreditInvoiceReference=original["DocumentNumber"])
    assert (partial["Credit"], partial["Total"], partial["Balance"]) == ("true", -125, 0)
    after = api.get(f"/3/invoices/{original['DocumentNumber']}").json()["Invoice"]
    assert (after["Balance"], after["CreditInvoiceReference"]) == (125, partial["DocumentNumber"])
    credits = api.get("/3/invoices", credit="true").json()["Invoices"]
    assert [i["DocumentNumber"] for i in credits] == [partial["DocumentNumber"]]
    full = api.put(f"/3/invoices/{original['DocumentNumber']}/credit")
    assert full.status_code == 400  # one credit action per invoice, and only while it has no credit


def test_a_credit_of_a_paid_invoice_keeps_its_amount_to_pay_back(api):
    original = booked(api, row(100))
    api.post(
        "/3/invoicepayments",
        {
            "InvoicePayment": {
                "InvoiceNumber": int(original["DocumentNumber"]),
                "AmountCurrency": 125,
                "PaymentDate": "2026-11-03",
            }
        },
    )
    partial = create(api, row(-40), CreditInvoiceReference=original["DocumentNumber"])
    assert (partial["Total"], partial["Balance"]) == (-50, -50)


def test_a_booked_invoice_cannot_be_changed(api):
    invoice = booked(api, row(100))
    answer = api.put(f"/3/invoices/{invoice['DocumentNumber']}", {"Invoice": {"Remarks": "late"}})
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009001)


def test_an_unbooked_invoice_can_be_changed_and_is_recomputed(api):
    invoice = create(api, row(100))
    answer = api.put(
        f"/3/invoices/{invoice['DocumentNumber']}",
        {"Invoice": {"InvoiceRows": [row(200)], "ExternalInvoiceReference2": "R-1"}},
    )
    assert (answer.json()["Invoice"]["Total"], answer.json()["Invoice"]["ExternalInvoiceReference2"]) == (250, "R-1")


# --------------------------------------------------------------------------- payments
def pay(api, invoice: dict, **fields):
    body = {"InvoiceNumber": int(invoice["DocumentNumber"]), "PaymentDate": "2026-11-05", **fields}
    return api.post("/3/invoicepayments", {"InvoicePayment": body})


def test_a_payment_with_the_fee_written_off_settles_the_invoice_and_books(api):
    invoice = booked(api, row(100))
    answer = pay(
        api,
        invoice,
        AmountCurrency=122,
        ModeOfPaymentAccount=1582,
        ExternalInvoiceReference1="PO-1/1",
        WriteOffs=[{"AccountNumber": 6064, "Amount": 3, "Currency": "SEK", "Description": "Adyen fee"}],
    )
    assert answer.status_code == 201, answer.content
    payment = answer.json()["InvoicePayment"]
    assert (payment["Amount"], payment["ExternalInvoiceReference1"], payment["WriteOffs"][0]["AccountNumber"]) == (
        122,
        "PO-1/1",
        6064,
    )
    paid = api.get(f"/3/invoices/{invoice['DocumentNumber']}").json()["Invoice"]
    assert (paid["Balance"], paid["FinalPayDate"]) == (0, "2026-11-05")
    assert api.get("/3/invoices", filter="fullypaid").json()["MetaInformation"]["@TotalResources"] == 1
    listed = api.get("/3/invoicepayments", invoicenumber=invoice["DocumentNumber"]).json()["InvoicePayments"]
    assert [(p["Number"], p["WriteOffExist"]) for p in listed] == [(payment["Number"], True)]
    bookkept = api.put(f"/3/invoicepayments/{payment['Number']}/bookkeep").json()["InvoicePayment"]
    voucher = api.get(f"/3/vouchers/C/{bookkept['VoucherNumber']}", financialyear=bookkept["VoucherYear"]).json()
    rows = {r["Account"]: (r["Debit"], r["Credit"]) for r in voucher["Voucher"]["VoucherRows"]}
    assert rows == {1582: (122, 0), 6064: (3, 0), 1510: (0, 125)}


def test_a_payment_dated_before_the_invoice_is_refused(api):
    invoice = create(api, row(100))
    answer = pay(api, invoice, AmountCurrency=125, PaymentDate="2026-11-01")
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009003)
    unchanged = api.get(f"/3/invoices/{invoice['DocumentNumber']}").json()["Invoice"]
    assert unchanged["Balance"] == 125


def test_a_payment_in_another_currency_than_the_invoice_is_refused(api):
    invoice = create(api, row(100), customer="4")  # EUR
    answer = pay(api, invoice, AmountCurrency=125, Currency="SEK")
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009004)
    in_euro = pay(api, invoice, AmountCurrency=D("125"), Currency="EUR").json()["InvoicePayment"]
    assert (in_euro["AmountCurrency"], in_euro["Amount"]) == (125, 1437.5)  # at the seeded 11.50 SEK/EUR


def test_a_write_off_to_an_unknown_account_is_refused(api):
    invoice = create(api, row(100))
    answer = pay(api, invoice, AmountCurrency=120, WriteOffs=[{"AccountNumber": 6099, "Amount": 5}])
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2001304)


# --------------------------------------------------------------------------- vouchers
def test_booking_an_invoice_books_vat_per_rate(api):
    invoice = booked(api, row("0.10"), row("0.10"), row("33.33", vat=12), row("9.99", vat=6))
    voucher = api.get(f"/3/vouchers/B/{invoice['VoucherNumber']}", financialyear=invoice["VoucherYear"]).json()
    rows = voucher["Voucher"]["VoucherRows"]
    credits = {r["Account"]: r["Credit"] for r in rows if r["Credit"]}
    assert credits == {3001: 0.2, 3002: 33.33, 3003: 9.99, 2611: 0.05, 2621: 4, 2631: 0.6}
    assert sum(D(str(r["Debit"])) for r in rows) == sum(D(str(r["Credit"])) for r in rows) == D("48.17")


# --------------------------------------------------------------------------- errors
def test_a_missing_document_answers_404_with_capitalised_keys(api):
    answer = api.get("/3/invoices/999")
    assert answer.status_code == 404
    assert set(answer.json()["ErrorInformation"]) == {"Error", "Message", "Code"}
    assert answer.json()["ErrorInformation"]["Code"] == 2000434


def test_a_missing_scope_and_a_missing_licence_are_told_apart(tokens):
    from integrations.fortnox.oauth_sandbox import token_issue

    from .conftest import CLIENT_ID, Api

    narrow = Api(token_issue(client_id=CLIENT_ID, scope="customer")["access_token"])
    assert narrow.get("/3/invoices").json()["ErrorInformation"]["code"] == 2000663
    sandbox.company_licences_set(["customer", "companyinformation"])
    wide = Api(tokens["access_token"])
    answer = wide.get("/3/invoices")
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (403, 2001101)
    assert "licens" in answer.json()["ErrorInformation"]["message"]


def test_a_lost_answer_after_create_leaves_the_invoice_in_place(api):
    from integrations.sandbox.faults import INPROCESS_ENV
    from integrations.sandbox.models import SandboxFault

    SandboxFault.objects.create(
        system="fortnox", endpoint=r"^POST /sandbox/fortnox/3/invoices$", kind="timeout_after_write", remaining=1
    )
    lost = api.http.post(
        f"{API}/3/invoices",
        invoice_body(row(100), ExternalInvoiceReference1="LOST-1"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        **{INPROCESS_ENV: True},
    )
    assert lost.status_code == 599  # the in-process adapter turns this into requests.ReadTimeout
    found = api.get("/3/invoices", externalinvoicereference1="LOST-1").json()["Invoices"]
    assert len(found) == 1


def test_an_injected_server_error_and_429_keep_fortnox_shapes(api):
    from integrations.sandbox.models import SandboxFault

    SandboxFault.objects.create(system="fortnox", endpoint="GET .*/customers$", kind="server_error", remaining=1)
    SandboxFault.objects.create(system="fortnox", endpoint="GET .*/articles$", kind="rate_limit", remaining=1)
    failed = api.get("/3/customers")
    assert (failed.status_code, "ErrorInformation" in failed.json()) == (503, True)
    limited = api.get("/3/articles")
    assert (limited.status_code, "Retry-After" in limited) == (429, False)
    assert api.get("/3/customers").status_code == 200


# --------------------------------------------------------------------------- stock, in-process, demo data
def test_stock_balance_per_stock_point_adds_up_to_the_article(api):
    sandbox.stock_set("1001-BLK-M", "MAIN", D("7.125"), reserved=D("2"))
    balances = api.get("/api/warehouse/status-v1/stockbalance", itemIds="1001-BLK-M").json()
    by_point = {b["stockPointCode"]: (b["inStock"], b["availableStock"]) for b in balances}
    assert by_point["MAIN"] == (7.13, 5.13)
    article = api.get("/3/articles/1001-BLK-M").json()["Article"]
    assert D(str(article["QuantityInStock"])) == D("7.13") + D(str(by_point["STORE"][0]))
    sandbox.company_settings_set(warehouse=False)
    off = api.get("/api/warehouse/status-v1/stockbalance")
    assert (off.status_code, set(off.json()), off.json()["error"]) == (403, {"error", "id", "message"}, "2001101")
    assert api.get("/api/warehouse/stockpoints-v1").status_code == 403


def test_stock_points_are_those_holding_balances(api):
    assert [p["code"] for p in api.get("/api/warehouse/stockpoints-v1").json()] == ["MAIN", "STORE"]
    sandbox.stock_set("1001-BLK-M", "OUTLET", D("1"))
    assert [p["code"] for p in api.get("/api/warehouse/stockpoints-v1", q="out").json()] == ["OUTLET"]


def test_the_sandbox_answers_in_process_through_requests(api):
    import requests

    from integrations.sandbox.inprocess import mount_inprocess

    session = requests.Session()
    mount_inprocess(session)
    answer = session.get(
        f"http://testserver{API}/3/accounts", params={"limit": 500}, headers={"Authorization": f"Bearer {api.token}"}
    )
    numbers = {a["Number"] for a in answer.json()["Accounts"]}
    assert {1510, 1930, 3001, 3002, 3003, 3106, 3108, 3105, 3740, 6064} <= numbers


def test_the_demo_seed_is_idempotent(seeded):
    from integrations.fortnox import demo_data

    assert seeded["article"] == 47  # the 45 stock items of the Visma.net demo + 2 shipping articles
    assert demo_data.seed() == {}


def test_a_stock_change_moves_the_article_into_the_lastmodified_window(api, monkeypatch):
    from datetime import datetime

    monkeypatch.setattr(sandbox, "now", lambda: datetime(2027, 1, 4, 12, 0, tzinfo=sandbox.STOCKHOLM))
    sandbox.stock_set("1002-BLU-S", "MAIN", D(4))
    sandbox.stock_set("1002-BLU-S", "STORE", D(9))
    changed = api.get("/3/articles", lastmodified="2027-01-04 11:59").json()["Articles"]
    assert [(a["ArticleNumber"], a["QuantityInStock"]) for a in changed] == [("1002-BLU-S", 13)]


def test_the_admin_lists_fortnox_documents_and_hides_its_credentials(api, admin_client):
    from django.urls import reverse

    from .conftest import CLIENT_SECRET

    create(api, row(100))
    url = reverse("admin:sandbox_sandboxobject_changelist")
    invoices = admin_client.get(url, {"system": "fortnox", "kind": "invoice"}).content.decode()
    assert "1 · Anna Andersson · 125 SEK" in invoices
    everything = admin_client.get(url, {"system": "fortnox"}).content.decode()
    assert CLIENT_SECRET not in everything and "refresh_token" not in everything


def test_a_row_without_account_books_to_the_customers_sales_account_else_by_rate(api):
    special = api.post("/3/customers", {"Customer": {"Name": "Bokhandeln", "SalesAccount": "3002"}}).json()["Customer"]
    theirs = create(api, row(100), customer=special["CustomerNumber"])
    by_rate = create(api, row(100), row(100, vat=12), row(100, vat=6), row("25.5", vat=D("25.5")))
    assert theirs["InvoiceRows"][0]["AccountNumber"] == 3002
    assert [r["AccountNumber"] for r in by_rate["InvoiceRows"]] == [3001, 3002, 3003, 3001]
    assert sandbox.store.obj_get("fortnox", "vat_rate", "20")["rate"] == "20"  # not "2E+1"


def test_after_a_full_credit_no_credit_invoice_can_reference_the_original(api):
    original = booked(api, row(100))
    api.put(f"/3/invoices/{original['DocumentNumber']}/credit")
    answer = api.post("/3/invoices", invoice_body(row(-10), CreditInvoiceReference=original["DocumentNumber"]))
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009002)


def test_an_unbooked_invoice_can_be_cancelled_and_then_takes_no_payment(api):
    invoice = create(api, row(100))
    cancelled = api.put(f"/3/invoices/{invoice['DocumentNumber']}/cancel").json()["Invoice"]
    assert cancelled["Cancelled"] is True
    assert api.get("/3/invoices", filter="cancelled").json()["MetaInformation"]["@TotalResources"] == 1
    answer = pay(api, invoice, AmountCurrency=125)
    assert (answer.status_code, answer.json()["ErrorInformation"]["code"]) == (400, 2009006)


def test_lists_sort_by_the_specs_fields_and_skip_an_offset(api):
    for price in (300, 100, 200):
        create(api, row(price))
    by_total = api.get("/3/invoices", sortby="total", sortorder="descending").json()["Invoices"]
    assert [i["Total"] for i in by_total] == [375, 250, 125]
    skipped = api.get("/3/invoices", offset=1, limit=1).json()
    assert ([i["DocumentNumber"] for i in skipped["Invoices"]], skipped["MetaInformation"]["@TotalResources"]) == (
        ["2"],
        2,
    )
    assert api.get("/3/invoices", sortby="colour").status_code == 400


def test_invoices_filter_by_date_range_and_financial_year_and_other_lists_refuse_them(api):
    create(api, row(100), InvoiceDate="2025-12-30")
    create(api, row(100), InvoiceDate="2026-01-02")
    in_2026 = api.get("/3/invoices", financialyear=7).json()["Invoices"]  # ids count from 2020
    assert [i["InvoiceDate"] for i in in_2026] == ["2026-01-02"]
    around = api.get("/3/invoices", fromdate="2025-12-31", todate="2026-01-02").json()["Invoices"]
    assert [i["InvoiceDate"] for i in around] == ["2026-01-02"]
    assert api.get("/3/customers", fromdate="2026-01-01").status_code == 400


# --------------------------------------------------------------------------- orders
def order_body(*rows, reference="1234", **fields) -> dict:
    return {
        "Order": {
            "CustomerNumber": "1",
            "OrderDate": "2026-11-02",
            "ExternalInvoiceReference1": reference,
            "OrderRows": [{**r, "OrderedQuantity": r["DeliveredQuantity"]} for r in rows],
            **fields,
        }
    }


def test_an_order_is_created_totalled_as_an_invoice_and_read_back_in_its_envelope(api):
    answer = api.post("/3/orders", order_body(row("100.005"), row("10", quantity="3", vat=D("25.5"))))

    assert answer.status_code == 201, answer.content
    created = answer.json()["Order"]
    assert (created["Net"], created["TotalVAT"], created["Total"]) == (
        130.01,
        32.65,
        162.66,
    )  # 25 % of 100.01, 25.5 % of 30
    assert [(r["Price"], r["VAT"], r["OrderedQuantity"], r["Total"]) for r in created["OrderRows"]] == [
        (100.01, 25, "1.00", 100.01),
        (10, 25.5, "3.00", 30),
    ]
    read = api.get(f"/3/orders/{created['DocumentNumber']}").json()
    assert list(read) == ["Order"] and read["Order"]["ExternalInvoiceReference1"] == "1234"
    assert set(read["Order"]) <= set(sandbox.spec_properties("fortnox_Order"))
    assert api.get("/3/orders/999").status_code == 404


def test_the_order_search_on_the_reference_is_a_substring_match(api):
    for reference in ("1234", "123", "91234"):
        assert api.post("/3/orders", order_body(row(10), reference=reference)).status_code == 201

    found = api.get("/3/orders", externalinvoicereference1="123").json()

    assert sorted(o["ExternalInvoiceReference1"] for o in found["Orders"]) == ["123", "1234", "91234"]
    assert found["MetaInformation"]["@TotalResources"] == 3
    assert set(found["Orders"][0]) == set(sandbox.spec_properties("fortnox_OrderListItem"))


def test_an_order_refuses_read_only_totals_and_needs_the_order_scope(api, tokens):
    refused = api.post("/3/orders", order_body(row(10), Total=12.5))
    assert refused.status_code == 400 and "Total" in refused.json()["ErrorInformation"]["message"]

    from integrations.fortnox.oauth_sandbox import token_issue

    from .conftest import CLIENT_ID, Api

    without = Api(token_issue(client_id=CLIENT_ID, scope="customer invoice")["access_token"])
    answer = without.get("/3/orders")
    assert answer.status_code == 403 and answer.json()["ErrorInformation"]["code"] == 2000663
