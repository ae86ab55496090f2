"""FortnoxClient against recorded Fortnox answer shapes (`responses`): envelopes, paging, exact matches
after substring searches, both ErrorInformation casings, 429 without Retry-After, the shared budget."""

import json
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from integrations.fortnox.client import FORTNOX_POLICY, FortnoxClient
from integrations.http import AuthError, NotFound, RateLimited, ValidationFailed
from tests.fakes import FakeClock
from tests.integrations.fortnox.conftest import RECORDED_API, recorded_connection

API = RECORDED_API
pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(db):
    return recorded_connection(token_valid_for=timezone.timedelta(hours=1))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(connection, clock):
    return FortnoxClient(connection, clock=clock, page_size=2)


def listing(key, records, page, pages):
    return {"MetaInformation": {"@TotalResources": 5, "@TotalPages": pages, "@CurrentPage": page}, key: records}


@responses.activate
def test_the_invoice_search_is_substring_so_only_the_exact_reference_is_returned(client):
    responses.get(
        f"{API}/3/invoices",
        json=listing(
            "Invoices",
            [
                {"DocumentNumber": "7", "ExternalInvoiceReference1": "1234"},
                {"DocumentNumber": "8", "ExternalInvoiceReference1": "123"},
            ],
            1,
            1,
        ),
    )

    found = client.invoice_find("123")

    assert [n["DocumentNumber"] for n in found] == ["8"]
    assert "externalinvoicereference1=123" in responses.calls[0].request.url
    assert responses.calls[0].request.headers["Authorization"] == "Bearer access-1"


@responses.activate
def test_lists_are_read_page_by_page_to_the_stated_last_page(client):
    for page in (1, 2, 3):
        records = [{"ArticleNumber": f"A{page}{i}", "Description": "x"} for i in range(2 if page < 3 else 1)]
        responses.get(
            f"{API}/3/articles",
            json=listing("Articles", records, page, 3),
            match=[responses.matchers.query_param_matcher({"page": str(page), "limit": "2"})],
        )

    numbers = [a["ArticleNumber"] for a in client.article_list()]

    assert numbers == ["A10", "A11", "A20", "A21", "A30"]
    assert len(responses.calls) == 3


@responses.activate
def test_customer_email_search_compares_exactly_whatever_the_case(client):
    responses.get(
        f"{API}/3/customers",
        json=listing(
            "Customers",
            [
                {"CustomerNumber": "1", "Name": "A", "Email": "anna@example.se.old"},
                {"CustomerNumber": "2", "Name": "B", "Email": "Anna@Example.se"},
            ],
            1,
            1,
        ),
    )

    assert [c["CustomerNumber"] for c in client.customer_find_by_email("anna@example.se")] == ["2"]


@responses.activate
def test_creates_unwrap_the_envelope_and_numbers_are_decimals(client):
    responses.post(f"{API}/3/invoices", status=201, json={"Invoice": {"DocumentNumber": "12", "Total": 125.1}})

    created = client.invoice_create({"Invoice": {"CustomerNumber": "1"}})

    assert created == {"DocumentNumber": "12", "Total": Decimal("125.1")}
    assert json.loads(responses.calls[0].request.body) == {"Invoice": {"CustomerNumber": "1"}}


@responses.activate
def test_lower_case_error_information_becomes_a_validation_error_with_its_code(client):
    responses.get(
        f"{API}/3/invoices",
        status=400,
        json={"ErrorInformation": {"error": 1, "message": "Ogiltigt filter.", "code": 2000587}},
    )

    with pytest.raises(ValidationFailed) as raised:
        client.invoice_find("1")

    assert raised.value.code == 2000587
    assert "Fortnox refused the search filter (Fortnox code 2000587: Ogiltigt filter.)" == raised.value.message


@responses.activate
def test_capitalised_error_information_with_a_not_found_code_is_not_found(client):
    responses.get(
        f"{API}/3/invoices/99",
        status=400,
        json={"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta fakturan.", "Code": 2000434}},
    )

    with pytest.raises(NotFound) as raised:
        client.invoice_get("99")

    assert raised.value.message == "The invoice is not in Fortnox (Fortnox code 2000434: Kan inte hitta fakturan.)"
    assert raised.value.code == 2000434


@responses.activate
def test_a_missing_licence_is_explained_in_words_naming_the_scope(client):
    responses.get(
        f"{API}/3/invoicepayments",
        status=403,
        json={
            "ErrorInformation": {
                "error": 1,
                "message": "Det finns ingen aktiv licens för önskat scope.",
                "code": 2001101,
            }
        },
    )

    with pytest.raises(AuthError) as raised:
        list(client.payment_list(invoice_number="5"))

    message = raised.value.message
    assert message.startswith("The Fortnox user lacks the licence for “payment”")
    assert "2001101" in message and raised.value.code == 2001101


@responses.activate
def test_429_without_retry_after_waits_a_full_window_then_succeeds(client, clock):
    responses.get(f"{API}/3/companyinformation", status=429, body="")
    responses.get(
        f"{API}/3/companyinformation", json={"CompanyInformation": {"CompanyName": "Demo AB", "DatabaseNumber": 42}}
    )

    assert client.ping() == "company Demo AB (tenant 42)"
    assert [round(s, 1) for s in clock.sleeps if s >= 1] and min(s for s in clock.sleeps if s >= 1) >= 5.0


@responses.activate
def test_429_that_never_ends_is_rate_limited_after_the_attempts(client, clock):
    responses.get(f"{API}/3/companyinformation", status=429, body="")

    with pytest.raises(RateLimited):
        client.company_information()

    assert len(responses.calls) == FORTNOX_POLICY.max_attempts


@responses.activate
def test_calls_are_paced_at_4_8_a_second_under_the_quota_of_25_per_5_seconds(client, clock):
    responses.get(f"{API}/3/companyinformation", json={"CompanyInformation": {}})
    start = clock.time()

    for _ in range(48):
        client.company_information()

    # evenly spaced slots of 5.2/25 s (the quota and the limiter's 0.2 s guard): 48 calls take 47 intervals,
    # never more than 25 in any 5.2 s, 96 % of the quota
    assert clock.time() - start == pytest.approx(47 * 5.2 / 25, abs=0.001)


def test_the_lastmodified_filter_is_swedish_local_time_from_the_start_of_the_minute():
    from datetime import UTC, datetime

    from integrations.fortnox.client import filter_time

    assert filter_time(datetime(2026, 7, 1, 8, 30, 59, tzinfo=UTC)) == "2026-07-01 10:30"  # summer: UTC+2
    assert filter_time(datetime(2026, 12, 1, 8, 30, tzinfo=UTC)) == "2026-12-01 09:30"  # winter: UTC+1
    assert filter_time(datetime(2026, 12, 1, 9, 30, 12)) == "2026-12-01 09:30"  # naive: already local


def test_listed_records_without_a_stamp_carry_the_moment_their_listing_began_in_swedish_time(monkeypatch):
    from datetime import UTC, datetime

    from integrations.fortnox import adapter_items

    monkeypatch.setattr(adapter_items.timezone, "now", lambda: datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC))
    item = adapter_items.erp_item_from_fortnox(
        {"ArticleNumber": "1", "StockGoods": True}, listed_at=adapter_items.fortnox_now()
    )
    assert (item.updated_at, item.availability_updated_at) == ("2026-12-01T09:00:05", "2026-12-01T09:00:05")
    assert (
        adapter_items.erp_item_from_fortnox(
            {"ArticleNumber": "1", "LastModified": "2026-11-30 10:00"}, listed_at="x"
        ).updated_at
        == "2026-11-30 10:00"
    )
