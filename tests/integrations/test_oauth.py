"""OAuth2: consent through the sandbox, state check, rotation, locked refresh, client credentials."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from integrations.http import AuthError
from integrations.models import Connection
from integrations.oauth import access_token_get, token_refresh
from integrations.visma_net.connect_sandbox import DEMO_TENANTS, refresh_grant_count
from tests.conftest import SANDBOX, VISMA_CLIENT_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconnected(visma_connection):
    Connection.objects.filter(pk=visma_connection.pk).update(
        access_token="", refresh_token="", token_expires_at=None, status="new"
    )
    return Connection.objects.get(pk=visma_connection.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def start_consent(client, connection):
    response = client.post(reverse("integrations:oauth_connect", args=[connection.pk]))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{SANDBOX}/visma-connect/connect/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert "offline_access" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://testserver/integrations/oauth/callback/"]
    return location, query


def approve(client, location, query, decision="approve"):
    page = client.get(location)
    assert page.status_code == 200 and b"Approve" in page.content
    answer = client.post(
        location,
        {
            "client_id": query["client_id"][0],
            "redirect_uri": query["redirect_uri"][0],
            "state": query["state"][0],
            "scope": query["scope"][0],
            "response_type": "code",
            "decision": decision,
            "tenant_id": DEMO_TENANTS[0]["id"],
        },
    )
    assert answer.status_code == 302
    return answer["Location"]


def test_connect_through_the_consent_page_stores_encrypted_tokens(admin_client, unconnected):
    location, query = start_consent(admin_client, unconnected)
    callback = approve(admin_client, location, query)
    assert callback.startswith("http://testserver/integrations/oauth/callback/?code=")
    done = admin_client.get(callback)
    assert done.status_code == 302 and done["Location"].endswith(f"/connection/{unconnected.pk}/change/")
    assert any("is connected" in m for m in messages_of(done))
    conn = Connection.objects.get(pk=unconnected.pk)
    assert conn.status == "connected"
    assert conn.access_token.startswith("vc_at_") and conn.refresh_token.startswith("vc_rt_")
    assert conn.token_expires_at > timezone.now() + timedelta(minutes=50)
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_connection WHERE id = %s", [conn.pk])
        assert "vc_at_" not in cursor.fetchone()[0]


def test_state_mismatch_is_rejected_and_nothing_is_stored(admin_client, unconnected):
    location, query = start_consent(admin_client, unconnected)
    callback = approve(admin_client, location, query)
    forged = callback.replace(query["state"][0], "forged-state-value")
    done = admin_client.get(forged)
    assert any("state mismatch" in m for m in messages_of(done))
    conn = Connection.objects.get(pk=unconnected.pk)
    assert conn.access_token == "" and conn.status == "new"
    # the pending attempt is used up: replaying the real callback does not work either
    replay = admin_client.get(callback)
    assert any("No Connect was waiting" in m for m in messages_of(replay))
    assert Connection.objects.get(pk=unconnected.pk).access_token == ""


def test_refused_consent_is_reported(admin_client, unconnected):
    location, query = start_consent(admin_client, unconnected)
    callback = approve(admin_client, location, query, decision="deny")
    done = admin_client.get(callback)
    assert any("refused consent" in m for m in messages_of(done))
    assert Connection.objects.get(pk=unconnected.pk).access_token == ""


def test_connect_needs_permission_to_change_connections(client, unconnected):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("ops", password="x-ops-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations"))
    client.force_login(user)
    assert client.post(reverse("integrations:oauth_connect", args=[unconnected.pk])).status_code == 403


def test_expired_token_is_refreshed_and_refresh_token_rotates(visma_connection):
    old_access, old_refresh = str(visma_connection.access_token), str(visma_connection.refresh_token)
    visma_connection.token_expires_at = timezone.now() + timedelta(seconds=30)  # inside the margin
    visma_connection.save()
    token = access_token_get(connection=visma_connection)
    stored = Connection.objects.get(pk=visma_connection.pk)
    assert token == stored.access_token != old_access
    assert stored.refresh_token != old_refresh
    assert refresh_grant_count() == 1
    assert access_token_get(connection=stored) == token  # fresh: no second refresh
    assert refresh_grant_count() == 1


def test_refused_refresh_marks_the_connection_expired(visma_connection):
    spent = str(visma_connection.refresh_token)
    token_refresh(connection=visma_connection, force=True)  # rotates: `spent` is used up now
    Connection.objects.filter(pk=visma_connection.pk).update(refresh_token=spent)  # e.g. a restored backup
    with pytest.raises(AuthError) as exc:
        token_refresh(connection=Connection.objects.get(pk=visma_connection.pk), force=True)
    assert "Click Connect" in exc.value.message
    conn = Connection.objects.get(pk=visma_connection.pk)
    assert conn.status == "expired" and "refresh token" in conn.last_error.lower()


def test_client_credentials_service_app(visma_connection):
    Connection.objects.filter(pk=visma_connection.pk).update(
        auth_type="oauth2_client_credentials",
        tenant_id=DEMO_TENANTS[1]["id"],
        access_token="",
        refresh_token="",
        token_expires_at=None,
    )
    conn = Connection.objects.get(pk=visma_connection.pk)
    token = access_token_get(connection=conn)
    from integrations.visma_net.connect_sandbox import token_validate

    assert token_validate(token)["tenant_id"] == DEMO_TENANTS[1]["id"]
    assert Connection.objects.get(pk=conn.pk).refresh_token == ""


def test_wrong_client_secret_is_reported_without_the_secret(visma_connection):
    visma_connection.secrets = {"client_secret": "wrong-secret-123456"}
    visma_connection.token_expires_at = timezone.now() - timedelta(minutes=1)
    visma_connection.save()
    with pytest.raises(AuthError) as exc:
        access_token_get(connection=visma_connection)
    assert "wrong-secret-123456" not in str(exc.value)
    assert VISMA_CLIENT_SECRET not in str(exc.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_refreshes_exactly_once(visma_connection):
    Connection.objects.filter(pk=visma_connection.pk).update(token_expires_at=timezone.now() - timedelta(seconds=1))
    barrier = threading.Barrier(4)
    tokens, errors = [], []

    def worker():
        try:
            conn = Connection.objects.get(pk=visma_connection.pk)  # each worker read the expired token
            barrier.wait()
            tokens.append(access_token_get(connection=conn))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert refresh_grant_count() == 1
    assert len(set(tokens)) == 1
    assert Connection.objects.get(pk=visma_connection.pk).status == "connected"
