"""What every sandbox's OAuth2 token endpoint answers alike: error bodies and HTTP Basic client credentials.

RFC 6749 § 5.2 error bodies ({"error", "error_description"}) and § 2.3.1 client authentication by HTTP
Basic; each system's sandbox keeps what differs (Fortnox serves invalid_grant as text/html, Visma.net also
takes the credentials in the form body).
"""

import base64

from django.http import JsonResponse


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
