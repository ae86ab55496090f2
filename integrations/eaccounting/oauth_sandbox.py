"""Emulator of Visma's identity server for eAccounting (identity.vismaonline.com/connect/…).

Mounted at /sandbox/eaccounting/identity/connect/ (authorize, token). Behaviour after the shared
api-notes § B (developer.vismaonline.com "authentication" and "change to our new identity server"):
- `GET authorize?client_id&redirect_uri&response_type=code&scope&state` shows a consent page;
  approving redirects to `redirect_uri?code=…&state=…`. Scopes are space-delimited; `ea:api` and
  `offline_access` are mandatory (a request without them is sent back with `error=invalid_scope`),
  unknown scopes are refused the same way. The API itself (sandbox.py) also needs `ea:sales` for the
  resources Koppla uses, so a working connection asks for `ea:api offline_access ea:sales`.
- `POST token`, body form-encoded (`application/x-www-form-urlencoded`; anything else is
  `invalid_request`), client authenticated by HTTP Basic or by `client_id`/`client_secret` in the body:
  * `grant_type=authorization_code&code&redirect_uri`: code valid CODE_SECONDS, single use;
  * `grant_type=refresh_token&refresh_token`: refresh tokens are SINGLE USE and rotate: every refresh
    answers a new one and invalidates the old; a reused, unknown or other client's token answers 400
    `{"error": "invalid_grant"}`. They do not run out otherwise (the notes quote "50 years").
  Answers `{"access_token", "expires_in": 3600, "token_type": "Bearer", "refresh_token", "scope"}`
  (SANDBOX_ACCESS_TOKEN_SECONDS changes the lifetime in tests).
- Tokens are opaque strings, stored by SHA-256; a grant carries the company id (one demo company).
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
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
    token_digest,
)

SYSTEM = "eaccounting"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}
CODE_SECONDS = 300
DEMO_COMPANY_ID = "6f1c2a9e-0b7d-4c1e-9a43-ea0000000001"
DEMO_COMPANY_NAME = "Koppla Demo Handel AB (eAccounting sandbox)"
MANDATORY_SCOPES = ("ea:api", "offline_access")
SCOPES = (
    "ea:api",
    "offline_access",
    "ea:sales",
    "ea:sales_readonly",
    "ea:accounting",
    "ea:accounting_readonly",
    "ea:purchase",
    "ea:purchase_readonly",
)

# kinds of SandboxObject rows (hidden from the sandbox admin: integrations/sandbox/admin.py)
CLIENT = "oauth_client"
CODE = "oauth_code"
ACCESS = "access_token"
REFRESH = "refresh_token"


def _access_seconds() -> int:
    return int(getattr(settings, "SANDBOX_ACCESS_TOKEN_SECONDS", 3600))


_digest = token_digest


def client_register(client_id: str, client_secret: str) -> None:
    """Make an OAuth client (an app registered with Visma's developer portal) known to the emulator."""
    store.obj_put(SYSTEM, CLIENT, client_id, {"client_id": client_id, "client_secret": client_secret})


def token_issue(*, client_id: str, scope: str, company_id: str = DEMO_COMPANY_ID) -> dict:
    """Create an access and a refresh token as the token endpoint does; returns the token answer.

    Shape: {"access_token", "expires_in": seconds, "token_type": "Bearer", "refresh_token", "scope"}.
    """
    access = "ea_at_" + secrets.token_urlsafe(24)
    refresh = "ea_rt_" + secrets.token_urlsafe(24)
    grant = {"client_id": client_id, "company_id": company_id, "scope": scope}
    store.obj_put(SYSTEM, ACCESS, _digest(access), {**grant, "expires_at": time.time() + _access_seconds()})
    store.obj_put(SYSTEM, REFRESH, _digest(refresh), {**grant, "used": False})
    return {
        "access_token": access,
        "expires_in": _access_seconds(),
        "token_type": "Bearer",
        "refresh_token": refresh,
        "scope": scope,
    }


def token_validate(token: str) -> dict | None:
    """The grant behind a bearer token (client_id, company_id, scope, expires_at), or None when unknown or expired."""
    return access_grant(SYSTEM, _digest(token))


def token_expire(token: str) -> None:
    """Test helper: make an access token expire now."""
    access_expire(SYSTEM, _digest(token))


def refresh_grant_count() -> int:
    """How many refresh grants the token endpoint has answered successfully."""
    return refresh_grants_answered(SYSTEM)


@sandbox_endpoint(SYSTEM, oauth_fault_body)
@sensitive_post_parameters("client_secret", "code", "refresh_token")
@sensitive_variables()
def token(request):
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST.", 405)
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return oauth_error(
            "invalid_request", "Send the token request form-encoded (application/x-www-form-urlencoded)."
        )
    client_id, client_secret = client_credentials(request)
    client = store.obj_get(SYSTEM, CLIENT, client_id) if client_id else None
    if not client or not secrets.compare_digest(client["client_secret"], client_secret):
        return oauth_error("invalid_client", "Unknown client or wrong client secret.", 401)
    grant = request.POST.get("grant_type")
    if grant == "authorization_code":
        key = request.POST.get("code", "")
        code = store.obj_get(SYSTEM, CODE, _digest(key)) if key else None
        if not code or code["used"] or code["expires_at"] < time.time() or code["client_id"] != client_id:
            return oauth_error("invalid_grant", "The authorization code is invalid, used or expired.")
        if code["redirect_uri"] != request.POST.get("redirect_uri", ""):
            return oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        store.obj_put(SYSTEM, CODE, _digest(key), {**code, "used": True})
        return JsonResponse(token_issue(client_id=client_id, scope=code["scope"], company_id=code["company_id"]))
    if grant == "refresh_token":
        old = request.POST.get("refresh_token", "")
        data = store.obj_get(SYSTEM, REFRESH, _digest(old)) if old else None
        if not data or data["used"] or data["client_id"] != client_id:
            return oauth_error(
                "invalid_grant", "The refresh token is invalid or was already used (they are single use)."
            )
        store.obj_put(SYSTEM, REFRESH, _digest(old), {**data, "used": True})
        store.counter_next(SYSTEM, REFRESH_GRANTS)
        return JsonResponse(token_issue(client_id=client_id, scope=data["scope"], company_id=data["company_id"]))
    return oauth_error("unsupported_grant_type", f"grant_type '{grant}' is not supported.")


def _back(redirect_uri: str, **params) -> HttpResponseRedirect:
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(params)}")


def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    scope = " ".join(params.get("scope", "").split())
    if not store.obj_get(SYSTEM, CLIENT, client_id):
        return HttpResponseBadRequest("Unknown client_id.")
    if urlsplit(redirect_uri).hostname not in LOCAL_HOSTS:
        return HttpResponseBadRequest("redirect_uri must point at this machine in the sandbox.")
    if params.get("response_type", "") != "code":
        return HttpResponseBadRequest("response_type=code is required.")
    unknown = [s for s in scope.split() if s not in SCOPES]
    missing = [s for s in MANDATORY_SCOPES if s not in scope.split()]
    if unknown or missing:
        problem = f"unknown scope {' '.join(unknown)}" if unknown else f"mandatory scope {' '.join(missing)} missing"
        return _back(redirect_uri, error="invalid_scope", error_description=problem, state=state)
    if request.method == "POST":
        if request.POST.get("decision") != "approve":
            return _back(
                redirect_uri, error="access_denied", error_description="The user refused consent.", state=state
            )
        code = secrets.token_urlsafe(24)
        store.obj_put(
            SYSTEM,
            CODE,
            _digest(code),
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "company_id": DEMO_COMPANY_ID,
                "expires_at": time.time() + CODE_SECONDS,
                "used": False,
            },
        )
        return _back(redirect_uri, code=code, state=state)
    return render(
        request,
        "sandbox/eaccounting_authorize.html",
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
            "scopes": scope.split(),
            "company": DEMO_COMPANY_NAME,
        },
    )


authorize = sandbox_endpoint(SYSTEM, oauth_fault_body)(sensitive_variables()(authorize))
