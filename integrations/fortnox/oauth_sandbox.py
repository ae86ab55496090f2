"""Emulator of Fortnox's OAuth2 server (apps.fortnox.se/oauth-v1): consent page and token endpoint.

Mounted at /sandbox/fortnox/oauth-v1/ (auth, token). Behaviour as the Fortnox
developer pages describe it (shared api-notes § A1):
- `GET /auth?client_id&response_type=code&state&scope&redirect_uri[&access_type=offline]
  [&account_type=service]` shows a consent page; approving redirects with `code` and `state`.
  `state` is required. Scopes are space-delimited and fixed with the code. An
  `account_type=service` consent lets the client use the client-credentials grant for the
  company (one service account per client id and tenant).
- `POST /token` with `Authorization: Basic base64(client_id:client_secret)` and a
  form-encoded body:
  * `grant_type=authorization_code&code&redirect_uri`: code valid 10 minutes, single use;
  * `grant_type=refresh_token&refresh_token`: refresh tokens are SINGLE USE and rotate:
    each refresh returns a new one and invalidates the old; a reused or unknown one answers
    400 `{"error":"invalid_grant","error_description":"Invalid refresh token"}` served as
    `Content-Type: text/html`, as Fortnox's own answer is (recorded responses in
    accodeing/fortnox-api). Refresh tokens live REFRESH_TOKEN_DAYS (45; the old FAQ says 31);
  * `grant_type=client_credentials` with the `TenantId` header (DESIGN §3; the notes call the
    header-vs-body question unverified, so the body field `tenant_id` is accepted too): only
    after a service-account consent for that tenant; no refresh token.
  Answers `{"access_token","refresh_token","scope","expires_in":3600,"token_type":"bearer"}`.
- Access tokens are JWT-shaped (unsigned in the sandbox) with `tenantId`, `clientId`,
  `scope` and `exp` claims, so a client can read the tenant id from the token as the
  notes describe. The emulator stores them by SHA-256.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from integrations.sandbox import store
from integrations.sandbox.faults import sandbox_endpoint
from integrations.sandbox.oauth import (
    REFRESH_GRANTS,
    access_expire,
    access_grant,
    basic_credentials,
    oauth_error,
    oauth_fault_body,
    refresh_grants_answered,
    token_digest,
)

SYSTEM = "fortnox"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}
CODE_SECONDS = 600
REFRESH_TOKEN_DAYS = 45
# The demo company's tenant id is its DatabaseNumber (GET /3/companyinformation).
DEMO_TENANT_ID = 1_700_042
DEMO_COMPANY_NAME = "Koppla Demo AB (Fortnox sandbox)"
# Scopes the emulated API knows (a few more are accepted on the consent page as Fortnox has them).
SCOPES = (
    "companyinformation",
    "customer",
    "article",
    "invoice",
    "payment",
    "bookkeeping",
    "settings",
    "warehouse",
    "order",
    "supplier",
    "supplierinvoice",
    "project",
    "archive",
    "connectfile",
)

# kinds of SandboxObject rows
CLIENT = "oauth_client"
CODE = "oauth_code"
ACCESS = "access_token"
REFRESH = "refresh_token"
SERVICE_CONSENT = "service_consent"


def _access_seconds() -> int:
    return int(getattr(settings, "SANDBOX_ACCESS_TOKEN_SECONDS", 3600))


_digest = token_digest


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def client_register(client_id: str, client_secret: str) -> None:
    """Make an OAuth client (an app in the Fortnox developer portal) known to the emulator."""
    store.obj_put(SYSTEM, CLIENT, client_id, {"client_id": client_id, "client_secret": client_secret})


def service_consent_grant(*, client_id: str, tenant_id: int = DEMO_TENANT_ID, scope: str) -> None:
    """Record a service-account consent (what approving an `account_type=service` authorisation does)."""
    store.obj_put(
        SYSTEM,
        SERVICE_CONSENT,
        f"{client_id}:{tenant_id}",
        {"client_id": client_id, "tenant_id": tenant_id, "scope": scope},
    )


def token_issue(*, client_id: str, scope: str, tenant_id: int = DEMO_TENANT_ID, refresh: bool = True) -> dict:
    """Create an access (and refresh) token as the token endpoint would; returns the token response body.

    Shape: {"access_token", "refresh_token" (when `refresh`), "scope", "expires_in": seconds, "token_type": "bearer"}.
    """
    expires_at = time.time() + _access_seconds()
    header = _b64({"alg": "none", "typ": "JWT"})
    claims = _b64(
        {
            "tenantId": tenant_id,
            "clientId": client_id,
            "scope": scope,
            "exp": int(expires_at),
            "jti": secrets.token_hex(8),
        }
    )
    access = f"{header}.{claims}.{secrets.token_urlsafe(16)}"
    store.obj_put(
        SYSTEM,
        ACCESS,
        _digest(access),
        {"client_id": client_id, "tenant_id": tenant_id, "scope": scope, "expires_at": expires_at},
    )
    body = {"access_token": access, "scope": scope, "expires_in": _access_seconds(), "token_type": "bearer"}
    if refresh:
        refresh_token = secrets.token_hex(20)
        store.obj_put(
            SYSTEM,
            REFRESH,
            _digest(refresh_token),
            {
                "client_id": client_id,
                "tenant_id": tenant_id,
                "scope": scope,
                "used": False,
                "expires_at": time.time() + REFRESH_TOKEN_DAYS * 86400,
            },
        )
        body["refresh_token"] = refresh_token
    return body


def token_validate(token: str) -> dict | None:
    """The grant behind a bearer token (client_id, tenant_id, scope, expires_at), or None when unknown or expired."""
    return access_grant(SYSTEM, _digest(token))


def token_expire(token: str) -> None:
    """Test helper: make an access token expire now."""
    access_expire(SYSTEM, _digest(token))


def refresh_grant_count() -> int:
    """How many refresh grants the token endpoint has answered successfully."""
    return refresh_grants_answered(SYSTEM)


def _invalid_grant(description: str) -> HttpResponse:
    # Fortnox serves this JSON body as text/html.
    body = json.dumps({"error": "invalid_grant", "error_description": description})
    return HttpResponse(body, status=400, content_type="text/html")


@sandbox_endpoint(SYSTEM, oauth_fault_body)
@sensitive_post_parameters("code", "refresh_token")
@sensitive_variables()
def token(request):
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST.", 405)
    client_id, client_secret = basic_credentials(request)
    client = store.obj_get(SYSTEM, CLIENT, client_id) if client_id else None
    if not client or not secrets.compare_digest(client["client_secret"], client_secret):
        return oauth_error(
            "invalid_client", "Send the client id and secret as HTTP Basic authentication of a known client.", 401
        )
    grant = request.POST.get("grant_type")
    if grant == "authorization_code":
        key = request.POST.get("code", "")
        code = store.obj_get(SYSTEM, CODE, _digest(key)) if key else None
        if not code or code["used"] or code["expires_at"] < time.time() or code["client_id"] != client_id:
            return _invalid_grant("Invalid authorization code")
        if code["redirect_uri"] and code["redirect_uri"] != request.POST.get("redirect_uri"):
            return _invalid_grant("redirect_uri does not match the authorization request")
        store.obj_put(SYSTEM, CODE, _digest(key), {**code, "used": True})
        return JsonResponse(token_issue(client_id=client_id, tenant_id=code["tenant_id"], scope=code["scope"]))
    if grant == "refresh_token":
        old = request.POST.get("refresh_token", "")
        data = store.obj_get(SYSTEM, REFRESH, _digest(old)) if old else None
        if not data or data["used"] or data["client_id"] != client_id or data["expires_at"] < time.time():
            return _invalid_grant("Invalid refresh token")
        store.obj_put(SYSTEM, REFRESH, _digest(old), {**data, "used": True})
        store.counter_next(SYSTEM, REFRESH_GRANTS)
        return JsonResponse(token_issue(client_id=client_id, tenant_id=data["tenant_id"], scope=data["scope"]))
    if grant == "client_credentials":
        raw = request.META.get("HTTP_TENANTID") or request.POST.get("tenant_id", "")
        try:
            tenant_id = int(raw)
        except ValueError:
            return oauth_error("invalid_request", "Send the TenantId header (the company's DatabaseNumber).")
        consent = store.obj_get(SYSTEM, SERVICE_CONSENT, f"{client_id}:{tenant_id}")
        if consent is None:
            return oauth_error(
                "unauthorized_client",
                f"No service-account consent for tenant {tenant_id}: authorise once with account_type=service.",
            )
        return JsonResponse(
            token_issue(client_id=client_id, tenant_id=tenant_id, scope=consent["scope"], refresh=False)
        )
    return oauth_error("unsupported_grant_type", f"grant_type '{grant}' is not supported.")


def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    scope = " ".join(params.get("scope", "").split())
    service = params.get("account_type", "") == "service"
    if not store.obj_get(SYSTEM, CLIENT, client_id):
        return HttpResponseBadRequest("Unknown client_id.")
    if redirect_uri and urlsplit(redirect_uri).hostname not in LOCAL_HOSTS:
        return HttpResponseBadRequest("redirect_uri must point at this machine in the sandbox.")
    if params.get("response_type", "") != "code":
        return HttpResponseBadRequest("response_type=code is required.")
    if not state:
        return HttpResponseBadRequest("state is required.")
    unknown = [s for s in scope.split() if s not in SCOPES]
    if not scope or unknown:
        return HttpResponseBadRequest(f"Unknown or missing scope: {' '.join(unknown) or '(none)'}.")
    if request.method == "POST":
        separator = "&" if "?" in redirect_uri else "?"
        if request.POST.get("decision") != "approve":
            query = urlencode(
                {"error": "access_denied", "error_description": "The user refused consent.", "state": state}
            )
            return HttpResponseRedirect(f"{redirect_uri}{separator}{query}")
        code = secrets.token_urlsafe(24)
        store.obj_put(
            SYSTEM,
            CODE,
            _digest(code),
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "tenant_id": DEMO_TENANT_ID,
                "expires_at": time.time() + CODE_SECONDS,
                "used": False,
            },
        )
        if service:
            service_consent_grant(client_id=client_id, tenant_id=DEMO_TENANT_ID, scope=scope)
        return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}")
    return render(
        request,
        "sandbox/fortnox_authorize.html",
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
            "scopes": scope.split(),
            "access_type": params.get("access_type", ""),
            "account_type": params.get("account_type", ""),
            "company": DEMO_COMPANY_NAME,
            "tenant_id": DEMO_TENANT_ID,
            "service": service,
        },
    )


authorize = sandbox_endpoint(SYSTEM, oauth_fault_body)(sensitive_variables()(authorize))
