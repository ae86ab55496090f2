"""EAccountingClient against recorded eAccounting answer shapes (`responses`): {Meta, Data} paging to the stated
last page, changed-since filters, not-found codes, the 4010 quota's wait read from its text, a rate-limit budget per
endpoint shared by workers, and single-use refresh tokens never spent twice."""

import json
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.db import connection as db_connection
from django.utils import timezone as dt_timezone

from integrations.clients import http_client_for
from integrations.eaccounting.client import EAccountingClient, filter_time
from integrations.http import AuthError, ConnectionPaused, NotFound, RemoteError, RetryPolicy, ValidationFailed
from integrations.models import Connection
from integrations.ratelimit import endpoint_template, slot_interval
from tests.factories import ConnectionFactory
from tests.fakes import FakeClock

from .recorded import API, TOKEN_URL, page, recorded_connection

pytestmark = pytest.mark.django_db

ORDER_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.fixture
def connection(db):
    return recorded_connection()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(connection, clock):
    return EAccountingClient(connection, clock=clock, page_size=2)


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --------------------------------------------------------------------------- paging and filters
@responses.activate
def test_lists_are_read_to_the_stated_last_page_even_past_a_short_page(client):
    answers = {1: [{"Number": 1}, {"Number": 2}], 2: [{"Number": 3}], 3: [{"Number": 4}]}  # the server cut page 2
    for number, records in answers.items():
        responses.get(
            f"{API}/customers",
            json=page(records, number=number, pages=3, total=4),
            match=[
                responses.matchers.query_param_matcher(
                    {"$page": str(number), "$pagesize": "2", "$orderby": "ChangedUtc"}
                )
            ],
        )

    numbers = [c["Number"] for c in client.customer_list()]

    assert numbers == [1, 2, 3, 4]
    assert len(responses.calls) == 3
    assert responses.calls[0].request.headers["Authorization"] == "Bearer access-1"


@responses.activate
def test_an_empty_page_before_the_last_one_is_an_error_not_the_end(client):
    responses.get(f"{API}/customers", json=page([{"Number": 1}, {"Number": 2}], number=1, pages=3, total=6))
    responses.get(f"{API}/customers", json=page([], number=2, pages=3, total=6))

    with pytest.raises(RemoteError, match="page 2 came back empty: the list changed while it was read"):
        list(client.customer_list())


@responses.activate
def test_an_answer_without_the_list_shape_is_refused(client):
    responses.get(f"{API}/orders", json=[{"Number": 1}])
    with pytest.raises(RemoteError, match=r"without its list shape"):
        list(client.order_list())


@responses.activate
def test_changed_orders_are_filtered_on_modifiedutc_in_utc_and_ordered_by_it(client):
    responses.get(f"{API}/orders", json=page([]))
    stockholm = timezone(timedelta(hours=1))

    list(client.order_list(modified_since=datetime(2026, 3, 2, 10, 58, 30, 500000, tzinfo=stockholm)))

    assert query(responses.calls[0]) == {
        "$filter": "ModifiedUtc ge 2026-03-02T09:58:30Z",
        "$orderby": "ModifiedUtc",
        "$page": "1",
        "$pagesize": "2",
    }


@responses.activate
def test_invoices_use_the_documented_modified_since_parameter(client):
    responses.get(f"{API}/customerinvoices", json=page([{"Id": "i1"}]))

    assert [i["Id"] for i in client.invoice_list(modified_since=date(2026, 3, 1))] == ["i1"]
    assert query(responses.calls[0])["modifiedSinceUtc"] == "2026-03-01T00:00:00Z"
    assert "$filter" not in query(responses.calls[0])


def test_filter_times_are_utc_seconds():
    assert filter_time(datetime(2026, 3, 2, 10, 0, 1, 999999)) == "2026-03-02T10:00:01Z"
    assert filter_time(datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == "2026-03-01T22:30:00Z"


@responses.activate
def test_an_order_is_found_by_its_number_exactly(client):
    responses.get(f"{API}/orders", json=page([{"Number": 12, "Id": "a"}, {"Number": 123, "Id": "b"}]))

    assert client.order_find("123")["Id"] == "b"
    assert query(responses.calls[0])["$filter"] == "Number eq 123"
    assert client.order_find("12x") is None  # not a number: nothing asked
    assert len(responses.calls) == 1


# --------------------------------------------------------------------------- errors
@responses.activate
def test_not_found_is_none_whether_eaccounting_says_404_or_code_3000(client):
    responses.get(f"{API}/orders/{ORDER_ID}", status=404, json={"ErrorCode": 3000, "DeveloperErrorMessage": "No order"})
    responses.get(f"{API}/customers/c1", status=400, json={"ErrorCode": 3000, "DeveloperErrorMessage": "No customer"})

    assert client.order_get(ORDER_ID) is None
    assert client.customer_get("c1") is None
    with pytest.raises(NotFound) as exc:
        client.request("GET", "/customers/c1")
    assert exc.value.code == 3000


@responses.activate
def test_a_refused_request_carries_the_code_and_the_words(client):
    responses.get(
        f"{API}/orders",
        status=400,
        json={"ErrorCode": 2000, "DeveloperErrorMessage": "Invalid filter", "Errors": [{"Field": "$filter"}]},
    )

    with pytest.raises(ValidationFailed) as exc:
        list(client.order_list())

    assert exc.value.code == 2000 and "refused the value of $filter" in exc.value.message


# --------------------------------------------------------------------------- quota (4010) and the shared pace
QUOTA_TEXT = "API calls quota exceeded! maximum admitted 600 per Minute. Try again in {} seconds."


@responses.activate
def test_a_quota_answer_without_retry_after_is_waited_out_by_its_text_for_its_endpoint_alone(
    client, clock, connection
):
    responses.get(f"{API}/orders", status=429, json={"ErrorCode": 4010, "DeveloperErrorMessage": QUOTA_TEXT.format(55)})
    responses.get(f"{API}/orders", json=page([{"Number": 1}]))

    assert [o["Number"] for o in client.order_list()] == [1]

    assert 55.0 in clock.sleeps
    # the quota is the endpoint's (api-notes § B): the connection's other endpoints are not paused
    assert Connection.objects.get(pk=connection.pk).paused_until is None


@responses.activate
def test_a_quota_wait_holds_its_endpoint_for_every_worker_and_leaves_the_others_alone(connection, clock):
    connection.rate_limit = "600/60s"
    connection.save()
    responses.get(
        f"{API}/orders",
        status=429,
        headers={"Retry-After": "7"},
        json={"ErrorCode": 4010, "DeveloperErrorMessage": QUOTA_TEXT.format(7)},
    )
    responses.get(f"{API}/orders", json=page([]))
    responses.get(f"{API}/customers", json=page([]))
    once = RetryPolicy(max_attempts=1)
    first = EAccountingClient(connection, clock=clock, policy=once)
    second = EAccountingClient(connection, clock=clock)  # another worker

    with pytest.raises(RemoteError) as refused:  # told to wait 7 s, it does not retry (one attempt)
        list(first.order_list())
    assert refused.value.status == 429 and clock.sleeps == []

    list(second.customer_list())  # another endpoint: no wait
    assert clock.sleeps == []
    list(second.order_list())  # the same endpoint: not before the 7 s are over
    assert clock.sleeps == [pytest.approx(7.0)]
    assert Connection.objects.get(pk=connection.pk).paused_until is None


@responses.activate
def test_retry_after_wins_over_the_text(client, clock):
    responses.get(
        f"{API}/orders",
        status=429,
        headers={"Retry-After": "7"},
        json={"ErrorCode": 4010, "DeveloperErrorMessage": QUOTA_TEXT.format(55)},
    )
    responses.get(f"{API}/orders", json=page([]))

    list(client.order_list())

    assert 7.0 in clock.sleeps and 55.0 not in clock.sleeps


@responses.activate
def test_a_long_quota_wait_pauses_the_connection_without_retrying(client, connection):
    responses.get(
        f"{API}/orders", status=429, json={"ErrorCode": 4010, "DeveloperErrorMessage": QUOTA_TEXT.format(600)}
    )

    with pytest.raises(ConnectionPaused):
        list(client.order_list())

    assert len(responses.calls) == 1
    assert Connection.objects.get(pk=connection.pk).paused_until is not None


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/orders", "/orders"),
        ("/orders?$page=2&$pagesize=500", "/orders"),
        (f"/orders/{ORDER_ID}", "/orders/{id}"),
        (f"/Orders/{ORDER_ID.upper()}/convert", "/orders/{id}/convert"),
        ("/customerinvoices/1234/payments", "/customerinvoices/{id}/payments"),
        ("/accountbalances/2026-01-31", "/accountbalances/{id}"),
        ("/sie4export/2026-01-01/2026-12-31", "/sie4export/{id}/{id}"),
        (f"https://eaccountingapi.vismaonline.com/v2/orders/{ORDER_ID}", "/v2/orders/{id}"),
    ],
)
def test_an_endpoint_is_its_path_template(path, template):
    assert endpoint_template(path) == template


@responses.activate
def test_each_endpoint_has_its_own_budget_shared_by_every_client_of_the_connection(connection, clock):
    connection.rate_limit = "2/60s"
    connection.save()
    responses.get(f"{API}/orders", json=page([]))
    responses.get(f"{API}/customers", json=page([]))
    responses.get(f"{API}/orders/{ORDER_ID}", json={"Id": ORDER_ID})
    first = EAccountingClient(connection, clock=clock)
    second = EAccountingClient(connection, clock=clock)  # e.g. another worker

    list(first.order_list())
    list(second.order_list())  # evenly spaced: 2 a minute is one every 30.25 s (the guard), across workers
    assert clock.sleeps == [pytest.approx(slot_interval(2, 60))]
    list(first.customer_list())  # another endpoint: its own budget, no wait
    first.order_get(ORDER_ID)  # /orders/{id} counts apart from /orders
    assert len(clock.sleeps) == 1

    list(second.order_list())  # /orders again: its next slot

    assert clock.sleeps == [pytest.approx(slot_interval(2, 60))] * 2


@responses.activate
def test_other_systems_keep_one_budget_for_every_endpoint(clock):
    fortnox = ConnectionFactory(system="fortnox", base_url="https://fortnox.example", rate_limit="2/60s")
    http = http_client_for(fortnox, clock=clock)
    assert http.limiter.bucket_of is None
    responses.get("https://fortnox.example/3/invoices", json={})
    responses.get("https://fortnox.example/3/customers", json={})
    http.auth = None

    http.request("GET", "/3/invoices")
    http.request("GET", "/3/customers")  # another path, the same budget: it waits its slot
    http.request("GET", "/3/customers")

    assert clock.sleeps == [pytest.approx(slot_interval(2, 60))] * 2


# --------------------------------------------------------------------------- OAuth2: single-use rotating refresh tokens
class IdentityServer:
    """Visma's token endpoint as it behaves: each refresh token works once and is replaced by a new one."""

    def __init__(self):
        self.spent: list[str] = []
        self.issued = 1

    def __call__(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        assert form["grant_type"] == "refresh_token"
        token = form["refresh_token"]
        if token in self.spent:
            return 400, {}, json.dumps({"error": "invalid_grant", "error_description": "invalid_refresh_token"})
        self.spent.append(token)
        self.issued += 1
        answer = {
            "access_token": f"access-{self.issued}",
            "refresh_token": f"refresh-{self.issued}",
            "expires_in": 3600,
            "token_type": "Bearer",
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)


@responses.activate
def test_an_expired_token_is_refreshed_once_and_a_stale_worker_never_spends_the_refresh_token_again(clock):
    connection = recorded_connection(token_valid_for=timedelta(minutes=-1))
    stale = Connection.objects.get(pk=connection.pk)  # another worker read the same expired token
    server = IdentityServer()
    responses.add_callback(responses.POST, TOKEN_URL, callback=server)
    responses.get(f"{API}/companysettings", json={"Name": "Demo AB", "CurrencyCode": "SEK"})

    assert EAccountingClient(connection, clock=clock).ping() == "company Demo AB"
    assert EAccountingClient(stale, clock=clock).ping() == "company Demo AB"

    assert server.spent == ["refresh-1"]  # one refresh, never the same token twice
    stored = Connection.objects.get(pk=connection.pk)
    assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
    api_calls = [c for c in responses.calls if c.request.url.startswith(API)]
    assert [c.request.headers["Authorization"] for c in api_calls] == ["Bearer access-2", "Bearer access-2"]
    form = parse_qs(responses.calls[0].request.body)
    assert form["client_id"] == ["ea-client"] and form["client_secret"] == ["ea-secret-7781"]


@responses.activate
def test_a_401_after_another_worker_refreshed_takes_its_token_instead_of_refreshing_again(clock):
    connection = recorded_connection()
    stale = Connection.objects.get(pk=connection.pk)
    server = IdentityServer()
    responses.add_callback(responses.POST, TOKEN_URL, callback=server)
    from integrations.oauth import token_refresh

    token_refresh(connection=connection, force=True)  # the first worker's refresh after a 401: refresh-1 spent
    responses.get(f"{API}/companysettings", status=401, json={"Message": "Authorization has been denied."})
    responses.get(f"{API}/companysettings", json={"Name": "Demo AB"})

    assert EAccountingClient(stale, clock=clock).ping() == "company Demo AB"  # its access-1 is refused once

    assert server.spent == ["refresh-1"]
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer access-2"


@responses.activate
def test_a_refused_refresh_token_asks_for_connect_and_marks_the_connection(clock):
    connection = recorded_connection(token_valid_for=timedelta(minutes=-1))
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "invalid_refresh_token"})

    with pytest.raises(AuthError, match="Click Connect"):
        EAccountingClient(connection, clock=clock).ping()

    assert Connection.objects.get(pk=connection.pk).status == "expired"
    assert not [c for c in responses.calls if c.request.url.startswith(API)]


def test_the_retry_policy_and_clock_reach_the_http_layer(connection, clock):
    policy = RetryPolicy(max_attempts=2)
    client = EAccountingClient(connection, clock=clock, policy=policy, page_size=5000)
    assert client.http.policy is policy and client.http.clock is clock and client.page_size == 1000
    assert datetime.now(UTC)  # the module's own clock is never used for waits


# --------------------------------------------------------------------------- the same against the sandbox's identity server
def _expire(connection) -> Connection:
    Connection.objects.filter(pk=connection.pk).update(token_expires_at=dt_timezone.now() - timedelta(seconds=1))
    return Connection.objects.get(pk=connection.pk)


def test_the_sandbox_identity_server_sees_one_refresh_for_two_workers(eaccounting_connection, clock):
    from integrations.eaccounting.oauth_sandbox import refresh_grant_count

    spent = str(eaccounting_connection.refresh_token)
    first, second = _expire(eaccounting_connection), Connection.objects.get(pk=eaccounting_connection.pk)

    EAccountingClient(first, clock=clock).company_settings()
    EAccountingClient(second, clock=clock).company_settings()  # read the expired token too: takes the new one

    assert refresh_grant_count() == 1
    stored = Connection.objects.get(pk=eaccounting_connection.pk)
    assert stored.refresh_token != spent and stored.status == "connected"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_refresh_exactly_once(eaccounting_connection):
    from integrations.eaccounting.oauth_sandbox import refresh_grant_count

    _expire(eaccounting_connection)
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            connection = Connection.objects.get(pk=eaccounting_connection.pk)  # each read the expired token
            barrier.wait()
            EAccountingClient(connection, clock=FakeClock()).company_settings()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and refresh_grant_count() == 1
