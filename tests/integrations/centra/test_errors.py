"""CentraClient error mapping: auth, userErrors, GraphQL errors, 429, 5xx, timeouts and faults by operation."""

import json

import pytest
from django.test import Client as DjangoClient
from django.test import override_settings

from integrations.centra import sandbox
from integrations.centra.client import CentraClient, user_errors_message
from integrations.http import AuthError, RateLimited, RemoteDown, RetryPolicy, ValidationFailed, record_calls
from integrations.models import Connection
from integrations.sandbox.models import SandboxFault
from tests.conftest import CENTRA_TOKEN

from .conftest import order_node

pytestmark = pytest.mark.django_db


def fault(endpoint: str, kind: str, **fields) -> SandboxFault:
    return SandboxFault.objects.create(system="centra", endpoint=endpoint, kind=kind, **fields)


# --------------------------------------------------------------------------- auth
def test_unknown_token_is_an_auth_error_answered_with_http_200(client, centra_connection):
    Connection.objects.filter(pk=centra_connection.pk).update(secrets={"api_token": "not-a-registered-token"})
    centra_connection.refresh_from_db()
    stranger = CentraClient(centra_connection, clock=client.http.clock)
    with pytest.raises(AuthError) as caught:
        stranger.ping()
    assert caught.value.status == 200
    assert "not valid" in caught.value.message
    assert "API token" in caught.value.message


def test_expired_token_is_an_auth_error(client):
    from datetime import UTC, datetime

    sandbox.api_token_register(CENTRA_TOKEN, expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(AuthError, match="expired at 2020-01-01"):
        client.warehouse_list()


def test_missing_authorization_header_answers_401_with_a_graphql_error(db):
    response = DjangoClient().post(
        "/sandbox/centra/graphql", data=json.dumps({"query": "{ stores { id } }"}), content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["category"] == "authentication"


def test_client_maps_401_to_auth_error(client):
    client.http.auth = None  # no Authorization header at all
    with pytest.raises(AuthError) as caught:
        client.ping()
    assert caught.value.status == 401
    assert "Bearer" in caught.value.message


# --------------------------------------------------------------------------- validation
def test_duplicate_product_number_is_a_validation_error_with_path_and_message(client):
    product = client.product_create(product_number="1001", name="Merino T-shirt")
    with pytest.raises(ValidationFailed) as caught:
        client.product_create(product_number="1001", name="Another")
    assert caught.value.message == (
        f"Centra refused createProduct: input.productNumber: Product number 1001 is already used by product "
        f"{product['id']}."
    )
    assert len(sandbox.products()) == 1


def test_variant_on_unknown_product_and_bad_ean_are_refused_without_changes(client):
    with pytest.raises(ValidationFailed, match=r"input.product.id: Could not find Product with ID 77\."):
        client.variant_create(product_id="77", variant_number="BLK", name="Black", sizes=[{"name": "M"}])
    product = client.product_create(product_number="1001", name="Tee")
    with pytest.raises(ValidationFailed, match=r"input.productSizes.1.EAN: EAN '123' is not a valid GTIN"):
        client.variant_create(
            product_id=product["id"],
            variant_number="BLK",
            name="Black",
            sizes=[{"name": "S"}, {"name": "M", "ean": "123"}],
        )
    assert sandbox.product_get_by_number("1001")["variants"] == []


def test_stock_for_a_size_the_variant_lacks_is_refused(client):
    product = client.product_create(product_number="1001", name="Tee")
    variant = client.variant_create(product_id=product["id"], variant_number="BLK", name="Black", sizes=[{"name": "M"}])
    with pytest.raises(ValidationFailed, match=r'Size "XL" is not active on product variant'):
        client.stock_set(warehouse_id="1", levels=[(variant["id"], "M", 4), (variant["id"], "XL", 1)])
    assert sandbox.stock_levels() == {}  # nothing applied
    with pytest.raises(ValidationFailed, match="Could not find Warehouse with ID 9"):
        client.stock_set(warehouse_id="9", levels=[(variant["id"], "M", 4)])


def test_graphql_validation_errors_are_validation_failed(client):
    with pytest.raises(ValidationFailed, match="Cannot query field 'nope' on type 'Query'"):
        client.execute("query Broken { nope }")


def test_user_errors_message_joins_path_and_message():
    assert (
        user_errors_message([{"message": "Bad", "path": ["input", "name"]}, {"message": "Worse", "path": []}])
        == "input.name: Bad; Worse"
    )


# --------------------------------------------------------------------------- rate limits
def test_injected_429_is_waited_out_with_retry_after(client, clock):
    sandbox.order_put(order_node(1))
    fault("^OrdersChanged$", "rate_limit", retry_after=7, remaining=1)
    nodes = list(client.orders_changed(statuses=["SHIPPED"]))
    assert [n["number"] for n in nodes] == [1]
    assert 7 in clock.sleeps


def test_a_429_longer_than_a_worker_waits_is_rate_limited(client):
    fault("^Ping$", "rate_limit", retry_after=3600)
    with pytest.raises(RateLimited) as caught:
        client.ping()
    assert caught.value.retry_after == 3600


def test_request_bucket_answers_429_and_the_client_waits_until_it_refills(client, clock, monkeypatch):
    monkeypatch.setattr(sandbox, "clock", clock.time)
    with override_settings(SANDBOX_RATE_LIMITS={"centra": (3, 10)}), record_calls() as calls:
        for _ in range(5):
            client.warehouse_list()
    statuses = [c["status"] for c in calls]
    assert statuses.count(429) >= 1
    assert statuses.count(200) == 5
    retry_after = [float(s) for s in clock.sleeps if s >= 1]
    assert retry_after, clock.sleeps
    assert calls[statuses.index(429)]["response_body"]["errors"][0]["message"].startswith(
        "Rate limit exceeded: REQUEST_COUNT (3 per 10 s)"
    )


def test_mutation_bucket_counts_mutations(client, clock, monkeypatch):
    monkeypatch.setattr(sandbox, "clock", clock.time)
    quotas = {"MUTATION_COUNT": {"TEN_SECONDS": 1}}
    client.http.policy = RetryPolicy(max_attempts=1)
    with override_settings(SANDBOX_RATE_LIMITS={"centra": quotas}):
        client.product_create(product_number="A", name="A")
        client.warehouse_list()  # queries are not mutations
        with pytest.raises(RateLimited):
            client.product_create(product_number="B", name="B")
        # Asked straight away (our client would first wait out the Retry-After: the connection is paused).
        answer = DjangoClient().post(
            "/sandbox/centra/graphql",
            {"query": "query Limits { rateLimits { type intervalSeconds quota usedQuota remainingQuota } }"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {CENTRA_TOKEN}",
        )
        report = {(r["type"], r["intervalSeconds"]): r for r in answer.json()["data"]["rateLimits"]}
    assert report[("MUTATION_COUNT", 10)]["usedQuota"] == 1
    assert report[("MUTATION_COUNT", 10)]["remainingQuota"] == 0


# --------------------------------------------------------------------------- 5xx, timeouts
def test_queries_are_retried_after_a_502(client, clock):
    sandbox.order_put(order_node(1))
    fault("^OrderGet$", "server_error", status_code=502, remaining=2)
    assert client.order_get(1)["number"] == 1
    assert len(clock.sleeps) == 2


def test_a_create_is_not_retried_after_it_may_have_reached_centra(client):
    fault("^ProductCreate$", "server_error", status_code=502, remaining=1)
    with pytest.raises(RemoteDown) as caught:
        client.product_create(product_number="1001", name="Tee")
    assert caught.value.maybe_sent
    assert sandbox.call_count("ProductCreate") == 0  # the fault struck first: one attempt only


def test_a_create_that_timed_out_after_writing_is_reported_maybe_sent_and_not_repeated(client):
    fault("^ProductCreate$", "timeout_after_write", remaining=1)
    with pytest.raises(RemoteDown) as caught:
        client.product_create(product_number="1001", name="Tee")
    assert caught.value.maybe_sent
    assert sandbox.call_count("createProduct") == 1
    assert len(sandbox.products()) == 1


def test_set_stock_is_safe_to_repeat_after_a_timeout(client, clock):
    product = client.product_create(product_number="1001", name="Tee")
    variant = client.variant_create(product_id=product["id"], variant_number="BLK", name="Black", sizes=[{"name": "M"}])
    fault("^StockSet$", "timeout_after_write", remaining=1)
    client.stock_set(warehouse_id="1", levels=[(variant["id"], "M", 6)])
    assert sandbox.call_count("setStock") == 2
    assert sandbox.stock_levels() == {(variant["id"], "M"): 6}


def test_faults_match_only_their_operation_name(client):
    sandbox.order_put(order_node(1))
    broken = fault("^OrdersChanged$", "server_error", status_code=503)
    with pytest.raises(RemoteDown):
        list(client.orders_changed(statuses=["SHIPPED"]))
    assert client.order_get(1)["number"] == 1  # OrderGet is not matched
    assert "stores:" in client.ping()
    broken.refresh_from_db()
    assert broken.fired == 4  # every attempt of OrdersChanged, nothing else
