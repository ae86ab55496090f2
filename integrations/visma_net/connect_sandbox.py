"""Emulator of Visma Connect (OAuth2 for Visma.net): consent page and token endpoint.

Mounted at /sandbox/visma-connect/connect/. Grants: authorization_code (with
offline_access → refresh token), refresh_token (refresh tokens are single use
and rotate, so two parallel refreshes with the same token fail the second),
client_credentials (with tenant_id). Errors follow RFC 6749 (`error`,
`error_description`).
"""

import secrets
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from integrations.sandbox import store
from integrations.sandbox.faults import sandbox_endpoint
from integrations.sandbox.oauth import (
    REFRESH_GRANTS,
    access_expire,
    access_grant,
    client_credentials,
    oauth_error,
    oauth_fault_body,
    refresh_grants_answered,
)

SYSTEM = "visma_connect"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}
DEMO_TENANTS = [
    {"id": "5c7a3f10-demo-4e8b-9c1d-koppla000001", "name": "Koppla Demo AB (sandbox company 1)"},
    {"id": "5c7a3f10-demo-4e8b-9c1d-koppla000002", "name": "Koppla Demo Oy (sandbox company 2)"},
]


def _lifetime() -> int:
    return int(getattr(settings, "SANDBOX_ACCESS_TOKEN_SECONDS", 3600))


def client_register(client_id: str, client_secret: str) -> None:
    store.obj_put(SYSTEM, "client", client_id, {"client_id": client_id, "client_secret": client_secret})


def token_issue(*, client_id: str, tenant_id: str, scope: str, refresh: bool = True) -> dict:
    """Create an access (and refresh) token as the token endpoint would; returns the token response."""
    access = "vc_at_" + secrets.token_urlsafe(24)
    expires_at = time.time() + _lifetime()
    store.obj_put(
        SYSTEM,
        "access_token",
        access,
        {"client_id": client_id, "tenant_id": tenant_id, "scope": scope, "expires_at": expires_at},
    )
    body = {"access_token": access, "token_type": "Bearer", "expires_in": _lifetime(), "scope": scope}
    if refresh:
        refresh_token = "vc_rt_" + secrets.token_urlsafe(24)
        store.obj_put(
            SYSTEM,
            "refresh_token",
            refresh_token,
            {"client_id": client_id, "tenant_id": tenant_id, "scope": scope, "used": False},
        )
        body["refresh_token"] = refresh_token
    return body


def token_validate(token: str) -> dict | None:
    """The grant behind a bearer token (client_id, tenant_id, scope, expires_at), or None when unknown or expired."""
    return access_grant(SYSTEM, token)


def token_expire(token: str) -> None:
    """Test helper: make an access token expire now."""
    access_expire(SYSTEM, token)


def refresh_grant_count() -> int:
    """How many refresh grants the token endpoint has answered successfully."""
    return refresh_grants_answered(SYSTEM)


@sandbox_endpoint(SYSTEM, oauth_fault_body)
@sensitive_post_parameters("client_secret", "code", "refresh_token")
@sensitive_variables()
def token(request):
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST.", 405)
    client_id, client_secret = client_credentials(request)
    client = store.obj_get(SYSTEM, "client", client_id)
    if not client or not secrets.compare_digest(client["client_secret"], client_secret):
        return oauth_error("invalid_client", "Unknown client or wrong client secret.", 401)
    grant = request.POST.get("grant_type")
    if grant == "authorization_code":
        code = store.obj_get(SYSTEM, "code", request.POST.get("code", ""))
        if not code or code["used"] or code["expires_at"] < time.time() or code["client_id"] != client_id:
            return oauth_error("invalid_grant", "The authorization code is invalid, used or expired.")
        if code["redirect_uri"] != request.POST.get("redirect_uri"):
            return oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        store.obj_put(SYSTEM, "code", request.POST["code"], {**code, "used": True})
        refresh = "offline_access" in code["scope"].split()
        return JsonResponse(
            token_issue(client_id=client_id, tenant_id=code["tenant_id"], scope=code["scope"], refresh=refresh)
        )
    if grant == "refresh_token":
        old = request.POST.get("refresh_token", "")
        data = store.obj_get(SYSTEM, "refresh_token", old)
        if not data or data["used"] or data["client_id"] != client_id:
            return oauth_error("invalid_grant", "The refresh token is invalid or was already used.")
        store.obj_put(SYSTEM, "refresh_token", old, {**data, "used": True})
        store.counter_next(SYSTEM, REFRESH_GRANTS)
        return JsonResponse(token_issue(client_id=client_id, tenant_id=data["tenant_id"], scope=data["scope"]))
    if grant == "client_credentials":
        tenant_id = request.POST.get("tenant_id", "")
        if tenant_id not in {t["id"] for t in DEMO_TENANTS}:
            return oauth_error("invalid_request", "tenant_id is missing or not a company this client may access.")
        scope = request.POST.get("scope", "vismanet_erp_service_api:read")
        return JsonResponse(token_issue(client_id=client_id, tenant_id=tenant_id, scope=scope, refresh=False))
    return oauth_error("unsupported_grant_type", f"grant_type '{grant}' is not supported.")


def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    scope = params.get("scope", "")
    if not store.obj_get(SYSTEM, "client", client_id):
        return HttpResponseBadRequest("Unknown client_id.")
    if urlsplit(redirect_uri).hostname not in LOCAL_HOSTS:
        return HttpResponseBadRequest("redirect_uri must point at this machine in the sandbox.")
    if params.get("response_type", "code") != "code":
        return HttpResponseBadRequest("Only response_type=code is supported.")
    if request.method == "POST":
        separator = "&" if "?" in redirect_uri else "?"
        if request.POST.get("decision") != "approve":
            query = urlencode(
                {"error": "access_denied", "error_description": "The user refused consent.", "state": state}
            )
            return HttpResponseRedirect(f"{redirect_uri}{separator}{query}")
        tenant_id = request.POST.get("tenant_id") or DEMO_TENANTS[0]["id"]
        code = "vc_code_" + secrets.token_urlsafe(16)
        store.obj_put(
            SYSTEM,
            "code",
            code,
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "tenant_id": tenant_id,
                "expires_at": time.time() + 300,
                "used": False,
            },
        )
        return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}")
    return render(
        request,
        "sandbox/visma_connect_authorize.html",
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
            "scopes": scope.split(),
            "tenants": DEMO_TENANTS,
        },
    )


authorize = sandbox_endpoint(SYSTEM, oauth_fault_body)(sensitive_variables()(authorize))

app_name = "visma_connect"
urlpatterns = [
    path("connect/authorize", authorize, name="authorize"),
    path("connect/token", token, name="token"),
]
