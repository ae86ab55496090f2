"""What every sandbox's OAuth2 token endpoint does alike: error bodies, client credentials, access tokens.

RFC 6749 § 5.2 error bodies ({"error", "error_description"}) and § 2.3.1 client authentication by HTTP
Basic (or the form body, client_secret_post); access tokens kept in the sandbox store (kind "access_token",
{…grant, "expires_at": epoch seconds}) under their key (a digest, or the token itself). Each system's
sandbox keeps what differs (Fortnox serves invalid_grant as text/html and takes Basic only).
"""

import base64
import hashlib
import time

from django.http import JsonResponse

from integrations.sandbox import store

ACCESS_TOKEN = "access_token"  # the store kind of issued access tokens
REFRESH_GRANTS = "refresh_grants"  # the counter of refresh grants answered


def oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    """An RFC 6749 error answer, e.g. oauth_error("invalid_client", "Unknown client id.", 401)."""
    return JsonResponse({"error": error, "error_description": description}, status=status)


def oauth_fault_body(status: int, message: str) -> dict:
    """The body of an injected fault (integrations/sandbox/faults.py) on a token endpoint."""
    return {"error": "server_error" if status >= 500 else "temporarily_unavailable", "error_description": message}


def basic_credentials(request) -> tuple[str, str]:
    """(client id, client secret) from an `Authorization: Basic …` header; ("", "") when absent or unreadable."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return "", ""
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return client_id, secret


def client_credentials(request) -> tuple[str, str]:
    """(client id, secret): HTTP Basic first, else the form body's client_id / client_secret (client_secret_post)."""
    if request.META.get("HTTP_AUTHORIZATION", "").startswith("Basic "):
        return basic_credentials(request)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def token_digest(token: str) -> str:
    """The key a token is stored under: its SHA-256, hex (the store never holds a usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def access_grant(system: str, key: str) -> dict | None:
    """The grant stored under an access token's key, or None when there is none or it has expired."""
    data = store.obj_get(system, ACCESS_TOKEN, key) if key else None
    if not data or data["expires_at"] < time.time():
        return None
    return data


def access_expire(system: str, key: str) -> None:
    """Test helper: make the access token stored under `key` expire now."""
    data = store.obj_get(system, ACCESS_TOKEN, key)
    if data:
        store.obj_put(system, ACCESS_TOKEN, key, {**data, "expires_at": time.time() - 1})


def refresh_grants_answered(system: str) -> int:
    """How many refresh grants the system's token endpoint has answered successfully."""
    return store.counter_peek(system, REFRESH_GRANTS) or 0
