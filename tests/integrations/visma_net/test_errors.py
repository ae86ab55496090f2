"""Error mapping, token refresh, injected faults and rate limits for VismaNetClient."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import responses
from django.test import Client as DjangoClient
from django.test import override_settings
from django.utils import timezone

from integrations.http import (
    AuthError,
    NotFound,
    RateLimited,
    RemoteDown,
    RemoteError,
    RetryPolicy,
    ValidationFailed,
    record_calls,
)
from integrations.models import Connection
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox
from integrations.visma_net.client import VismaNetClient, error_message_from, visma_error_message
from integrations.visma_net.connect_sandbox import DEMO_TENANTS, refresh_grant_count, token_expire, token_issue
from integrations.visma_net.schemas import CustomerPayload, DocumentLine, InvoicePayload
from tests.conftest import VISMA_CLIENT_ID, VISMA_SCOPES
from tests.fakes import FakeClock

from .test_client import new_customer

BASE = "https://api.visma.example"


@pytest.fixture
def remote(db):
    """A client of a Visma.net that `responses` plays (for answers the sandbox never gives)."""
    connection = Connection.objects.create(
        name="Visma.net (mocked)",
        system="visma_net",
        auth_type="oauth2_code",
        base_url=BASE,
        client_id="koppla",
        secrets={"client_secret": "mocked-secret-123"},
        access_token="mocked-access-token-123",
        refresh_token="mocked-refresh-token-123",
        token_expires_at=timezone.now() + timedelta(hours=1),
        status="connected",
    )
    return VismaNetClient(connection, clock=FakeClock(), policy=RetryPolicy(max_attempts=2, jitter=0.0))


# --------------------------------------------------------------------------- error shapes
EXCEPTION = {
    "ExceptionType": "IPPException",
    "ExceptionMessage": "Error creating customer: Customer class EU was not found.",
    "ExceptionFaultCode": "12022",
    "ExceptionMessageID": "12022_6f7c",
    "ExceptionDetails": "CustomerClassID",
}


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            400,
            EXCEPTION,
            ValidationFailed,
            "Error creating customer: Customer class EU was not found. (CustomerClassID)",
        ),
        (
            404,
            {**EXCEPTION, "ExceptionMessage": "Customer 1 not found.", "ExceptionDetails": ""},
            NotFound,
            "Customer 1 not found.",
        ),
        (
            403,
            {"message": "Forbidden: missing scope vismanet_erp_service_api:create"},
            AuthError,
            "Forbidden: missing scope",
        ),
        (
            400,
            {"message": "The request is invalid.", "modelState": {"customer.name": ["The Name field is required."]}},
            ValidationFailed,
            "The request is invalid: customer.name: The Name field is required.",
        ),
        (
            400,
            {
                "type": "about:blank",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": {"pageSize": ["Too big"]},
            },
            ValidationFailed,
            "One or more validation errors occurred: pageSize: Too big",
        ),
        (
            400,
            [{"message": "Item X not found", "errorCode": "InventoryIDNotFound"}],
            ValidationFailed,
            "Item X not found",
        ),
        (500, "Internal Server Error", RemoteDown, "Internal Server Error"),
        (
            409,
            {"errorInfo": "Document is locked by another user"},
            ValidationFailed,
            "Document is locked by another user",
        ),
    ],
)
@responses.activate
def test_error_shapes_map_to_typed_errors_with_the_erp_message(remote, status, body, error, message):
    kwargs = {"json": body} if not isinstance(body, str) else {"body": body}
    responses.get(f"{BASE}/v1/customer/1", status=status, **kwargs)
    with pytest.raises(error) as caught:
        remote.customer_get("1")
    assert message in caught.value.message
    assert caught.value.status == status


def test_error_parser_reads_every_shape():
    response = requests.Response()
    response.status_code, response._content = 400, b"  not json at all  "
    assert visma_error_message(response) == "not json at all"
    assert error_message_from({"exceptionMessage": "lower-case keys"}) == "lower-case keys"
    assert error_message_from({"Message": "An error has occurred."}) == "An error has occurred."
    assert error_message_from({"error": "invalid_token", "error_description": "expired"}) == "expired"
    assert error_message_from({"unrelated": 1}) == ""


@responses.activate
def test_failed_action_without_a_reason_still_raises(remote):
    responses.post(f"{BASE}/v1/customerinvoice/5/action/release", json={"actionId": "a1", "actionResult": "Failed"})
    with pytest.raises(ValidationFailed, match="failed without a reason"):
        remote.invoice_release("5")


@responses.activate
def test_queued_action_is_returned_not_raised(remote):
    responses.post(f"{BASE}/v1/customerinvoice/5/action/release", json={"actionId": "a1", "actionResult": "Queued"})
    assert remote.invoice_release("5").result == "Queued"


@responses.activate
def test_create_without_location_header_is_an_error_that_may_have_written(remote):
    responses.post(f"{BASE}/v1/customer", status=201)
    with pytest.raises(RemoteError, match="without a Location header") as caught:
        remote.customer_create(CustomerPayload(name="A", customer_class="DOMESTIC"))
    assert caught.value.maybe_sent is True


@responses.activate
def test_location_header_number_is_unquoted(remote):
    responses.post(
        f"{BASE}/v2/customerinvoice", status=201, headers={"Location": f"{BASE}/v1/customerinvoice/AB%2012/"}
    )
    assert remote.invoice_create(InvoicePayload(customer_number="1", lines=(DocumentLine("x"),))) == "AB 12"


@responses.activate
def test_search_never_trusts_an_ignored_filter(remote):
    other = [{"referenceNumber": "1", "customerRefNumber": "999", "metadata": {"totalCount": 1, "maxPageSize": 1000}}]
    responses.get(f"{BASE}/v1/customerinvoice", json=other)
    assert remote.invoice_find("1001") is None


@responses.activate
def test_paging_that_repeats_a_page_is_detected(remote):
    page = [{"inventoryNumber": f"I{i}"} for i in range(2)]
    responses.get(f"{BASE}/v1/inventory", json=page)
    with pytest.raises(RemoteError, match="returned page 2 of /v1/inventory twice"):
        list(remote.inventory_list(page_size=2))


# --------------------------------------------------------------------------- auth
def test_expired_token_is_refreshed_once_and_the_call_retried(client, visma_connection):
    old = visma_connection.access_token
    token_expire(old)
    with record_calls() as calls:
        classes = client.customer_class_list()
    assert len(classes) == 4
    assert refresh_grant_count() == 1
    visma_connection.refresh_from_db()
    assert visma_connection.access_token != old
    erp_calls = [c["status"] for c in calls if "/visma-net/api/" in c["url"]]
    assert erp_calls == [401, 200]


def test_unauthorised_without_a_usable_refresh_is_an_auth_error(client, visma_connection):
    token_expire(visma_connection.access_token)
    Connection.objects.filter(pk=visma_connection.pk).update(refresh_token="vc_rt_unknown")
    visma_connection.refresh_token = "vc_rt_unknown"
    with pytest.raises(AuthError):
        client.customer_class_list()


# --------------------------------------------------------------------------- injected faults
def waits(clock) -> list[float]:
    """Backoff and Retry-After waits (the client-side pacing of the rate limiter waits 0.2 s at most)."""
    return [s for s in clock.sleeps if s > 0.25]


def fault(endpoint, kind, **fields):
    return SandboxFault.objects.create(system="visma_net", endpoint=endpoint, kind=kind, **fields)


def test_server_errors_are_retried(client, clock):
    injected = fault("GET .*/v1/customer/customerClass$", "server_error", status_code=503, remaining=2)
    assert len(client.customer_class_list()) == 4
    injected.refresh_from_db()
    assert injected.fired == 2
    assert waits(clock) == [1.0, 2.0]


def test_429_waits_for_retry_after(client, clock):
    fault("GET .*/v1/vatZone$", "rate_limit", retry_after=7, remaining=1)
    assert len(client.vat_zone_list()) == 4
    assert waits(clock) == [7.0]


def test_read_timeout_of_a_read_is_retried(client, clock):
    fault("GET .*/v1/inventory/1001-BLK-M$", "timeout", remaining=1)
    assert client.inventory_get("1001-BLK-M")["inventoryNumber"] == "1001-BLK-M"
    assert waits(clock) == [1.0]


def test_timeout_of_a_create_is_not_repeated(client):
    customer = new_customer(client)
    fault("POST .*/v2/customerinvoice$", "timeout", remaining=1)
    with record_calls() as calls:
        with pytest.raises(RemoteDown) as caught:
            client.invoice_create(
                InvoicePayload(
                    customer_number=customer, customer_ref_number="77", lines=(DocumentLine("x", unit_price=1),)
                )
            )
    assert caught.value.maybe_sent is True
    assert len(calls) == 1
    assert sandbox.invoice_count() == 0 and client.invoice_find("77") is None


def test_timeout_after_the_write_leaves_a_record_that_search_finds(client):
    customer = new_customer(client)
    fault("POST .*/v2/customerinvoice$", "timeout_after_write", remaining=1)
    with pytest.raises(RemoteDown):
        client.invoice_create(
            InvoicePayload(customer_number=customer, customer_ref_number="78", lines=(DocumentLine("x", unit_price=1),))
        )
    assert sandbox.invoice_count() == 1
    assert client.invoice_find("78")["referenceNumber"] == "100000"


def test_503_on_a_create_is_retried_because_nothing_was_done(client, clock):
    customer = new_customer(client)
    fault("POST .*/v2/customerinvoice$", "server_error", status_code=503, remaining=1)
    number = client.invoice_create(InvoicePayload(customer_number=customer, lines=(DocumentLine("x", unit_price=1),)))
    assert number == "100000" and sandbox.invoice_count() == 1
    assert waits(clock) == [1.0]


def test_502_on_a_create_is_not_retried(client):
    customer = new_customer(client)
    fault("POST .*/v2/customerinvoice$", "server_error", status_code=502, remaining=1)
    with pytest.raises(RemoteDown) as caught:
        client.invoice_create(InvoicePayload(customer_number=customer, lines=(DocumentLine("x", unit_price=1),)))
    assert caught.value.maybe_sent is True and caught.value.status == 502


# --------------------------------------------------------------------------- rate limit per tenant
@override_settings(SANDBOX_RATE_LIMITS={"visma_net": (2, 60)})
def test_sandbox_rate_limit_per_tenant(visma_connection, seeded):
    clock = FakeClock()
    client = VismaNetClient(visma_connection, clock=clock, policy=RetryPolicy(max_attempts=2, jitter=0.0))
    client.customer_class_list()
    client.vat_category_list()
    with pytest.raises(RateLimited) as caught:
        client.vat_list()
    assert "Rate limit is exceeded" in caught.value.message
    assert 59 <= caught.value.retry_after <= 60
    assert waits(clock) == [caught.value.retry_after]
    other_tenant = token_issue(client_id=VISMA_CLIENT_ID, tenant_id=DEMO_TENANTS[1]["id"], scope=VISMA_SCOPES)
    response = DjangoClient().get(
        "/sandbox/visma-net/api/v1/vat", HTTP_AUTHORIZATION=f"Bearer {other_tenant['access_token']}"
    )
    assert response.status_code == 200  # the limit is per tenant


def test_money_goes_out_as_exact_json_numbers(client):
    customer = new_customer(client)
    with record_calls() as calls:
        client.invoice_create(
            InvoicePayload(
                customer_number=customer, lines=(DocumentLine("x", quantity=3, unit_price=Decimal("33.335")),)
            )
        )
    line = calls[0]["request_body"]["invoiceLines"][0]
    assert line["unitPriceInCurrency"] == {"value": 33.335}
    assert line["quantity"] == {"value": 3}
