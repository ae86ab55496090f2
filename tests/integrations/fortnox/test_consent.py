"""Fortnox Connect: the scopes per flow shown before the consent page, the tenant id read after it."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.fortnox import sandbox
from integrations.fortnox.consent import consent_scopes
from integrations.fortnox.oauth_sandbox import DEMO_TENANT_ID
from integrations.models import Connection
from tests.conftest import SANDBOX
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- flows → scopes
def test_orders_and_customers_need_invoice_and_customer_and_always_company_information():
    needs = consent_scopes(["orders", "customers"], labels={"orders": "Orders → ERP invoices"})
    assert [n.scope for n in needs] == ["companyinformation", "customer", "invoice"]
    customer = next(n for n in needs if n.scope == "customer")
    assert customer.reasons == (
        "Orders → ERP invoices: finds or creates the customer",
        "Customers: finds, creates and updates customers",
    )


def test_payouts_need_payment_and_the_paid_invoice_but_no_bookkeeping():
    assert [n.scope for n in consent_scopes(["payouts"])] == ["companyinformation", "invoice", "payment"]


def test_stock_needs_warehouse_only_when_stock_points_are_listed():
    assert [n.scope for n in consent_scopes(["stock"])] == ["companyinformation", "article"]
    assert [n.scope for n in consent_scopes(["stock"], stock_points=True)] == [
        "companyinformation",
        "article",
        "warehouse",
    ]
    # the warehouse module is the stock flow's: products reading articles do not need it
    assert "warehouse" not in [n.scope for n in consent_scopes(["products"], stock_points=True)]


def test_orders_sent_as_fortnox_orders_also_need_the_order_scope():
    assert "order" not in [n.scope for n in consent_scopes(["orders"])]
    assert [n.scope for n in consent_scopes(["orders"], sales_orders=True)] == [
        "companyinformation",
        "customer",
        "invoice",
        "order",
    ]
    assert "order" not in [n.scope for n in consent_scopes(["products"], sales_orders=True)]


def test_an_unknown_flow_is_refused_by_name():
    with pytest.raises(ValueError, match="'invoices' is not a flow"):
        consent_scopes(["invoices"])


# --------------------------------------------------------------------------- Connect in the admin
@pytest.fixture
def unconnected(fortnox_connection):
    Connection.objects.filter(pk=fortnox_connection.pk).update(
        access_token="", refresh_token="", token_expires_at=None, status="new", scopes="", tenant_id=""
    )
    return Connection.objects.get(pk=fortnox_connection.pk)


def _integration(erp, flows, **fields):
    integration = IntegrationFactory(erp=erp, **fields)
    integration.flows.filter(flow__in=flows).update(enabled=True)
    return integration


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def connect(client, connection, **data):
    return client.post(reverse("integrations:oauth_connect", args=[connection.pk]), data)


def listed_scopes(page) -> list[str]:
    html = page.content.decode()
    start = html.index('id="koppla-scopes"')
    table = html[start : html.index("</table>", start)]
    return [cell.split("</code>")[0] for cell in table.split("<code>")[1:]]


def test_connect_shows_the_scopes_per_flow_before_the_consent_page(admin_client, unconnected):
    _integration(unconnected, ["orders", "stock"], stock_erp_warehouses="MAIN")
    page = connect(admin_client, unconnected)
    assert page.status_code == 200  # no redirect to Fortnox yet
    assert listed_scopes(page) == ["companyinformation", "customer", "invoice", "article", "warehouse"]
    html = page.content.decode()
    assert "Stock ERP → shop: reads the stock at the listed stock points (warehouse module)" in html
    assert "Orders → ERP invoices: creates, finds and books invoices" in html
    assert 'id="koppla-consent-continue"' in html
    assert f'href="{reverse("admin:integrations_connection_change", args=[unconnected.pk])}"' in html  # Cancel
    assert "koppla_oauth_pending" not in admin_client.session


def test_an_integration_sending_fortnox_orders_asks_for_the_order_scope(admin_client, unconnected):
    _integration(unconnected, ["orders"], order_document="sales_order")
    page = connect(admin_client, unconnected)
    assert listed_scopes(page) == ["companyinformation", "customer", "invoice", "order"]
    assert "the integration sends its orders as Fortnox orders" in page.content.decode()


def test_continue_asks_fortnox_for_exactly_those_scopes_and_stores_the_tenant_id(admin_client, unconnected):
    _integration(unconnected, ["orders", "payouts"])
    scopes = listed_scopes(connect(admin_client, unconnected))
    assert scopes == ["companyinformation", "customer", "invoice", "payment"]
    answer = connect(admin_client, unconnected, confirm="yes", scopes=" ".join(scopes))
    assert answer.status_code == 302
    location = answer["Location"]
    assert location.startswith(f"{SANDBOX}/fortnox/oauth-v1/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["scope"] == ["companyinformation customer invoice payment"]
    consent = admin_client.get(location)  # the sandbox's consent page receives them
    assert consent.status_code == 200
    assert [s for s in consent.context["scopes"]] == scopes
    approved = admin_client.post(
        location,
        {
            "client_id": query["client_id"][0],
            "redirect_uri": query["redirect_uri"][0],
            "state": query["state"][0],
            "scope": query["scope"][0],
            "response_type": "code",
            "decision": "approve",
        },
    )
    done = admin_client.get(approved["Location"])
    assert done["Location"].endswith(f"/connection/{unconnected.pk}/change/")
    connection = Connection.objects.get(pk=unconnected.pk)
    assert connection.status == "connected"
    assert connection.scopes == "companyinformation customer invoice payment"
    assert connection.tenant_id == str(DEMO_TENANT_ID)
    [message] = messages_of(done)
    assert f"tenant id {DEMO_TENANT_ID}" in message and "is connected" in message


def test_flows_switched_between_the_page_and_continue_show_the_page_again(admin_client, unconnected):
    integration = _integration(unconnected, ["orders"])
    shown = listed_scopes(connect(admin_client, unconnected))
    integration.flows.filter(flow="payouts").update(enabled=True)
    again = connect(admin_client, unconnected, confirm="yes", scopes=" ".join(shown))
    assert again.status_code == 200
    assert 'id="koppla-scopes-changed"' in again.content.decode()
    assert "payment" in listed_scopes(again)


def test_without_a_flow_switched_on_every_flow_s_scopes_are_asked_for(admin_client, unconnected):
    _integration(unconnected, [], stock_erp_warehouses="")
    page = connect(admin_client, unconnected)
    assert listed_scopes(page) == ["companyinformation", "customer", "invoice", "payment", "article"]
    assert "No flow of those integrations is switched on yet" in page.content.decode()


def _consent(client, connection):
    scopes = listed_scopes(connect(client, connection))
    location = connect(client, connection, confirm="yes", scopes=" ".join(scopes))["Location"]
    query = parse_qs(urlsplit(location).query)
    approved = client.post(
        location,
        {
            "client_id": query["client_id"][0],
            "redirect_uri": query["redirect_uri"][0],
            "state": query["state"][0],
            "scope": query["scope"][0],
            "response_type": "code",
            "decision": "approve",
        },
    )
    return client.get(approved["Location"])


def test_an_unreadable_company_information_leaves_the_connection_connected_and_says_so(admin_client, unconnected):
    sandbox.company_licences_set(["customer", "invoice", "article", "payment"])  # no companyinformation licence
    done = _consent(admin_client, unconnected)
    connection = Connection.objects.get(pk=unconnected.pk)
    assert connection.status == "connected" and connection.tenant_id == ""
    [message] = messages_of(done)
    assert "tenant id (DatabaseNumber) could not be read" in message
    assert "companyinformation" in message


def test_a_consent_for_another_company_replaces_the_tenant_id_and_says_so(admin_client, unconnected):
    Connection.objects.filter(pk=unconnected.pk).update(tenant_id="999")
    done = _consent(admin_client, Connection.objects.get(pk=unconnected.pk))
    assert Connection.objects.get(pk=unconnected.pk).tenant_id == str(DEMO_TENANT_ID)
    [message] = messages_of(done)
    assert f"not the tenant 999 stored before: the tenant id is now {DEMO_TENANT_ID}" in message
