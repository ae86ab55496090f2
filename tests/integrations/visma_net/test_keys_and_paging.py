"""Keys with reserved characters go into paths in Visma.net's b64(...) form; lists are read to their stated total."""

import re
from datetime import timedelta

import pytest
import responses
from django.test import Client as DjangoClient
from django.test import override_settings
from django.utils import timezone

from integrations.http import NotFound, RemoteError, RetryPolicy, record_calls
from integrations.models import Connection
from integrations.visma_net import sandbox
from integrations.visma_net.client import VismaNetClient
from integrations.visma_net.connect_sandbox import DEMO_TENANTS, token_issue
from integrations.visma_net.keys import key_decode, key_segment
from integrations.visma_net.paging import read_pages
from tests.conftest import VISMA_CLIENT_ID, VISMA_SCOPES
from tests.fakes import FakeClock

API = "/sandbox/visma-net/api"


# --------------------------------------------------------------------------- the key encoder
@pytest.mark.parametrize("key", ["1001-BLK-M", "10000", "CUSTOMER", "a_b.c~d", "ARINVOICE"])
def test_plain_keys_go_as_they_are(key):
    assert key_segment(key) == key
    assert key_decode(key) == key


def test_the_documented_example():
    assert key_segment(":/?#[]@&*+;") == "b64(Oi8_I1tdQCYqKzs)"
    assert key_decode("b64(Oi8_I1tdQCYqKzs)") == ":/?#[]@&*+;"


@pytest.mark.parametrize("key", ["a/", "ab/", "abc/", "TEE/BLK/M", "x y", "50%", "A+B", "K?1", "ABC.", "..", ""])
def test_keys_with_other_characters_round_trip_without_padding(key):
    segment = key_segment(key)
    assert re.fullmatch(r"b64\([A-Za-z0-9_-]*\)", segment), segment  # URL-safe, no "=" padding
    assert key_decode(segment) == key


def test_padding_is_optional_when_decoding():
    assert key_decode("b64(YQ)") == key_decode("b64(YQ==)") == "a"
    assert key_decode("b64(YWI)") == key_decode("b64(YWI=)") == "ab"


def test_unicode_keys_are_encoded_as_utf8():
    assert key_segment("Tröja/Å") == "b64(VHLDtmphL8OF)"
    assert key_decode(key_segment("Tröja/Å")) == "Tröja/Å"
    assert key_decode(key_segment("Tröja")) == "Tröja"  # non-ASCII letters are encoded too


def test_a_key_that_looks_encoded_is_itself_encoded():
    assert key_segment("b64(YQ)") == "b64(YjY0KFlRKQ)"
    assert key_decode(key_segment("b64(YQ)")) == "b64(YQ)"


def test_bad_base64_is_refused():
    with pytest.raises(ValueError):
        key_decode("b64(Y)")


# --------------------------------------------------------------------------- every key in a path
KEYED_CALLS = [
    ("GET", "customer", lambda c, k: c.customer_get(k)),
    ("GET", "customerinvoice", lambda c, k: c.invoice_get(k)),
    ("POST", "customerinvoice", lambda c, k: c.invoice_release(k)),
    ("GET", "customerCreditNote", lambda c, k: c.credit_note_get(k)),
    ("POST", "customerCreditNote", lambda c, k: c.credit_note_release(k)),
    ("GET", "customerPayment", lambda c, k: c.payment_get(k)),
    ("POST", "customerPayment", lambda c, k: c.payment_release(k)),
    ("GET", "inventory", lambda c, k: c.inventory_get(k)),
    ("GET", "numberSequence", lambda c, k: c.number_sequence_get(k)),
]


@pytest.fixture
def remote(db):
    connection = Connection.objects.create(
        name="Visma.net (mocked)",
        system="visma_net",
        auth_type="oauth2_code",
        base_url="https://api.visma.example",
        client_id="koppla",
        secrets={"client_secret": "mocked-secret-123"},
        access_token="mocked-access-token-123",
        refresh_token="mocked-refresh-token-123",
        token_expires_at=timezone.now() + timedelta(hours=1),
        status="connected",
    )
    return VismaNetClient(connection, clock=FakeClock(), policy=RetryPolicy(max_attempts=1))


@responses.activate
@pytest.mark.parametrize(("method", "resource", "call"), KEYED_CALLS, ids=[c[1] + c[0] for c in KEYED_CALLS])
def test_every_key_in_a_path_is_encoded(remote, method, resource, call):
    responses.add(method, re.compile(r"https://api\.visma\.example/.*"), json={"actionResult": "Done"})
    call(remote, "K/1 ?")
    path = responses.calls[0].request.path_url
    assert f"/v1/{resource}/b64(Sy8xID8)" in path, path
    responses.calls.reset()
    call(remote, "K-1")
    assert f"/v1/{resource}/K-1" in responses.calls[0].request.path_url


@responses.activate
def test_a_new_number_in_b64_form_is_read_back_decoded(remote):
    responses.post(
        "https://api.visma.example/v1/customer",
        status=201,
        headers={"Location": "https://api.visma.example/v1/customer/b64(Sy8x)"},
    )
    from integrations.visma_net.schemas import CustomerPayload

    assert remote.customer_create(CustomerPayload(name="K")) == "K/1"


# --------------------------------------------------------------------------- the sandbox reads keys the same way
def _token():
    return token_issue(client_id=VISMA_CLIENT_ID, tenant_id=DEMO_TENANTS[0]["id"], scope=VISMA_SCOPES)["access_token"]


def test_sandbox_reads_b64_keys_and_answers_404_to_an_escaped_slash(client):
    sandbox.inventory_item_put("TEE/BLK/M", "Tee black M", price=199)
    with record_calls() as calls:
        assert client.inventory_get("TEE/BLK/M")["inventoryNumber"] == "TEE/BLK/M"
    assert calls[0]["url"].endswith("/v1/inventory/b64(VEVFL0JMSy9N)")

    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token()}"}
    raw = DjangoClient().get(f"{API}/v1/inventory/TEE%2FBLK%2FM", **headers)
    assert raw.status_code == 404
    assert "No HTTP resource was found" in raw.json()["message"]
    assert DjangoClient().get(f"{API}/v1/inventory/b64(Y)", **headers).status_code == 400
    with pytest.raises(NotFound):
        client.inventory_get("TEE/BLK/L")


# --------------------------------------------------------------------------- paging by the stated total
def test_a_quiet_server_cap_below_our_page_size_still_reads_every_record(client):
    with override_settings(SANDBOX_PAGE_CAPS={"visma_net": 7}), record_calls() as calls:
        items = list(client.inventory_list(page_size=10))
    assert len(items) == 47 == len({i["inventoryNumber"] for i in items})
    assert len(calls) == 7  # 6 pages of 7 and one of 5: the total, not the short first page, ends the list


def pages_of(*answers):
    """A `get` that answers the given pages in turn and remembers what it was asked."""
    asked = []

    def get(paging):
        asked.append(dict(paging))
        return answers[len(asked) - 1]

    return get, asked


def rows(start, count, total=None):
    meta = {"metadata": {"totalCount": total}} if total is not None else {}
    return [{"n": i, **meta} for i in range(start, start + count)]


def test_with_a_total_short_pages_do_not_end_the_list_and_the_page_size_follows_the_server():
    get, asked = pages_of(rows(0, 3, total=8), rows(3, 3, total=8), rows(6, 2, total=8))
    assert [r["n"] for r in read_pages(get, "/v1/x", size=10)] == list(range(8))
    assert asked == [
        {"pageNumber": 1, "pageSize": 10},
        {"pageNumber": 2, "pageSize": 3},
        {"pageNumber": 3, "pageSize": 3},
    ]


def test_without_a_total_a_short_page_ends_the_list():
    get, asked = pages_of(rows(0, 3), rows(3, 3))
    assert [r["n"] for r in read_pages(get, "/v1/x", size=10)] == [0, 1, 2]
    assert len(asked) == 1


def test_an_empty_page_before_the_total_is_an_error_not_an_endless_loop():
    get, _ = pages_of(rows(0, 3, total=9), [])
    with pytest.raises(RemoteError, match="holds 9 records but page 2 came back empty after 3"):
        list(read_pages(get, "/v1/x", size=3))


def test_the_same_page_twice_is_an_error():
    get, _ = pages_of(rows(0, 3, total=9), rows(0, 3, total=9))
    with pytest.raises(RemoteError, match="returned page 2 of /v1/x twice"):
        list(read_pages(get, "/v1/x", size=3))


def test_the_records_shape_pages_by_its_total_too():
    get, asked = pages_of(
        {"totalCount": 4, "records": [{"n": 0}, {"n": 1}]}, {"totalCount": 4, "records": [{"n": 2}, {"n": 3}]}
    )
    assert [r["n"] for r in read_pages(get, "/v1/creditTerm", size=5)] == [0, 1, 2, 3]
    assert len(asked) == 2
