"""Secrets stay secret in error e-mails (issue 11 point 7, chaos.md point 7).

A server error while a secret is in the request (connection add/change page, OAuth callback,
the sandbox token endpoint) produces an error report for ADMINS with none of the secret values.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from integrations import admin as connection_admin
from integrations import oauth
from integrations.models import Connection
from integrations.visma_net import connect_sandbox
from tests.conftest import VISMA_CLIENT_ID, VISMA_CLIENT_SECRET
from tests.factories import ConnectionFactory
from tests.integrations.test_oauth import approve, start_consent

pytestmark = pytest.mark.django_db

CLIENT_SECRET = "cs-never-in-mail-4f1a"
API_TOKEN = "at-never-in-mail-9c2e"
WEBHOOK_SECRET = "wh-never-in-mail-77d0"


@pytest.fixture
def unconnected(visma_connection):
    """A Visma.net connection that has not been through the consent page yet."""
    Connection.objects.filter(pk=visma_connection.pk).update(
        access_token="", refresh_token="", token_expires_at=None, status="new"
    )
    return Connection.objects.get(pk=visma_connection.pk)


@pytest.fixture
def error_mail(settings, admin_client):
    """Production-like error reporting: DEBUG off, ADMINS set, exceptions answered 500 (not raised)."""
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    admin_client.raise_request_exception = False
    mail.outbox.clear()
    return admin_client


def report_of(outbox) -> str:
    """Text and HTML of the one error e-mail."""
    assert len(outbox) == 1, [m.subject for m in outbox]
    message = outbox[0]
    assert message.to == ["ops@example.com"]
    return message.body + "".join(content for content, _ in message.alternatives)


def _connection_post(**extra) -> dict:
    return {
        "name": "Centra live",
        "system": "centra",
        "auth_type": "api_token",
        "base_url": "https://shop.example.com/graphql",
        "client_id": "",
        "tenant_id": "",
        "scopes": "",
        "rate_limit": "",
        "credentials_expire_on": "",
        "client_secret": CLIENT_SECRET,
        "api_token": API_TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
        **extra,
    }


@pytest.mark.parametrize("page", ["add", "change"])
def test_a_server_error_saving_a_connection_mails_admins_without_its_secrets(error_mail, monkeypatch, page):
    def broken(*, connection, changes):
        raise RuntimeError("encryption service fell over")

    monkeypatch.setattr(connection_admin, "connection_secrets_update", broken)
    if page == "add":
        url = reverse("admin:integrations_connection_add")
    else:
        url = reverse("admin:integrations_connection_change", args=[ConnectionFactory(system="centra").pk])
    response = error_mail.post(url, _connection_post())
    assert response.status_code == 500
    report = report_of(mail.outbox)
    assert "encryption service fell over" in report and "Centra live" in report  # the report is there
    for secret in (CLIENT_SECRET, API_TOKEN, WEBHOOK_SECRET):
        assert secret not in report
    assert "client_secret = '********************'" in mail.outbox[0].body


def test_the_connection_page_marks_its_secret_parameters_for_djangos_own_filter(error_mail, monkeypatch):
    seen = {}

    def capture(self, request, obj, form, change):
        seen["post"] = SafeExceptionReporterFilter().get_post_parameters(request)
        raise RuntimeError("stop here")

    monkeypatch.setattr(connection_admin.ConnectionAdmin, "save_model", capture)
    response = error_mail.post(reverse("admin:integrations_connection_add"), _connection_post())
    assert response.status_code == 500
    post = seen["post"]
    assert {post[k] for k in ("client_secret", "api_token", "webhook_secret")} == {"********************"}
    assert post["name"] == "Centra live"


def test_a_server_error_in_the_oauth_callback_mails_admins_without_code_or_tokens(error_mail, unconnected, monkeypatch):
    location, query = start_consent(error_mail, unconnected)
    callback = approve(error_mail, location, query)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    issued = {}

    def broken_store(connection, token, **kwargs):  # the tokens are in hand when this fails
        issued.update(token)
        raise RuntimeError("could not save the token")

    monkeypatch.setattr(oauth, "_store", broken_store)
    response = error_mail.get(callback)
    assert response.status_code == 500
    report = report_of(mail.outbox)
    assert "could not save the token" in report and "/integrations/oauth/callback/" in report
    for secret in (code, issued["access_token"], issued["refresh_token"], VISMA_CLIENT_SECRET):
        assert secret not in report, secret


def test_the_sandbox_token_endpoint_marks_client_secret_code_and_refresh_token(settings):
    settings.DEBUG = False
    connect_sandbox.client_register(VISMA_CLIENT_ID, VISMA_CLIENT_SECRET)
    request = RequestFactory().post(
        "/sandbox/visma-connect/connect/token",
        {
            "grant_type": "refresh_token",
            "client_id": VISMA_CLIENT_ID,
            "client_secret": VISMA_CLIENT_SECRET,
            "refresh_token": "vc_rt_unknown",
            "code": "vc_code_x",
        },
    )
    response = connect_sandbox.token(request)
    assert response.status_code == 400  # the real view ran (unknown refresh token)
    post = SafeExceptionReporterFilter().get_post_parameters(request)
    assert {post["client_secret"], post["refresh_token"], post["code"]} == {"********************"}
    assert post["grant_type"] == "refresh_token"
