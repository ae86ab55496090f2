import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from integrations.models import Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

TOKEN = "centra-token-5f0c2a9e"


@pytest.fixture
def conn():
    return ConnectionFactory(
        system="visma_net",
        secrets={"client_secret": "s3cret-client-value", "webhook_secret": "whsec-123456"},
        access_token="access-abc123",
        refresh_token="refresh-xyz789",
    )


def test_secrets_never_appear_in_admin_html(admin_client, conn):
    for url in (
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[conn.pk]),
    ):
        html = admin_client.get(url).content.decode()
        for secret in ("s3cret-client-value", "whsec-123456", "access-abc123", "refresh-xyz789", "gAAAA"):
            assert secret not in html, f"{secret} leaked on {url}"
    change = admin_client.get(reverse("admin:integrations_connection_change", args=[conn.pk])).content.decode()
    assert "OAuth2 client secret: set" in change
    assert "API token: not set" in change


def _post_data(conn: Connection, **extra) -> dict:
    data = {
        "name": conn.name,
        "system": conn.system,
        "auth_type": conn.auth_type,
        "base_url": conn.base_url,
        "token_url": conn.token_url,
        "authorize_url": conn.authorize_url,
        "client_id": conn.client_id,
        "tenant_id": "",
        "scopes": "x",
        "rate_limit": "",
        "credentials_expire_on": "",
    }
    data.update(extra)
    return data


def test_blank_secret_input_keeps_the_stored_value_and_new_value_replaces_it(admin_client, conn):
    url = reverse("admin:integrations_connection_change", args=[conn.pk])
    response = admin_client.post(url, _post_data(conn))
    assert response.status_code == 302, response.content
    conn.refresh_from_db()
    assert conn.secret("client_secret") == "s3cret-client-value"

    response = admin_client.post(url, _post_data(conn, client_secret="rotated-value", clear_webhook_secret="on"))
    assert response.status_code == 302
    conn.refresh_from_db()
    assert conn.secret("client_secret") == "rotated-value"
    assert conn.secret("webhook_secret") == ""


def test_adding_a_connection_fills_system_defaults(admin_client):
    response = admin_client.post(
        reverse("admin:integrations_connection_add"),
        {
            "name": "Fortnox prod",
            "system": "fortnox",
            "auth_type": "oauth2_code",
            "client_id": "abc",
            "client_secret": "shh",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    conn = Connection.objects.get(name="Fortnox prod")
    assert conn.base_url == "https://api.fortnox.se"
    assert conn.token_url == "https://apps.fortnox.se/oauth-v1/token"
    assert conn.secret("client_secret") == "shh"


def test_operations_user_sees_no_secret_inputs_and_cannot_change(client, conn):
    user = User.objects.create_user("ops", password="pw-ops-123456", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations"))
    client.force_login(user)
    url = reverse("admin:integrations_connection_change", args=[conn.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="client_secret"' not in html
    assert "s3cret-client-value" not in html
    response = client.post(url, _post_data(conn, client_secret="hijack"))
    assert response.status_code == 403
    conn.refresh_from_db()
    assert conn.secret("client_secret") == "s3cret-client-value"


@pytest.mark.parametrize("fixture", ["centra_connection", "visma_connection"])
def test_a_connection_test_names_the_connection_once_and_not_its_system_again(request, admin_client, fixture):
    """A message like "Centra sandbox works: 2 stores: …", never "… works: Centra: 2 store(s): …"."""
    from django.contrib.messages import get_messages

    from integrations.systems import system_label

    connection = request.getfixturevalue(fixture)
    response = admin_client.post(reverse("admin:integrations_connection_test", args=[connection.pk]))

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(f"{connection.name} works: ")
    summary = message.removeprefix(f"{connection.name} works: ")
    assert system_label(connection.system) not in summary and not summary.startswith(f"{connection.system}:")
    assert summary[0].isdigit() and "(s)" not in summary
