"""Fortnox's error answers as one readable message with its code (the error_parser of FortnoxClient).

Fortnox answers `{"ErrorInformation": {"error": 1, "message": "…", "code": 2000423}}`; the real API
sends the inner keys in lower case (400s) or capitalised (`Error`/`Message`/`Code`, 404s), the spec
only capitalised: both are read. The token endpoint answers OAuth's `{"error", "error_description"}`
(with `Content-Type: text/html`), an expired token on /3/… `{"message": "unauthorized"}`.
Source: ../shared/api-notes/fortnox-eaccounting.md § A3, § A1 and Fortnox's errors page.

Messages read "<what it means in words> (Fortnox code N: <Fortnox's own message>)", so an operator
reads what to do and support can still search the code.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.http import response_error_text

# Codes that mean "no such record" whatever HTTP status they come with.
NOT_FOUND_CODES = frozenset({2000433, 2000434, 2000428, 2001304})
LICENCE_FOR_SCOPE = 2001101
API_LICENCE_MISSING = 2001103
SCOPE_NOT_GRANTED = 2000663

# path prefix → the scope a call needs (Fortnox's scope names, errors and authorisation pages)
SCOPES = (
    ("/3/invoicepayments", "payment"),
    ("/3/invoices", "invoice"),
    ("/3/orders", "order"),
    ("/3/customers", "customer"),
    ("/3/articles", "article"),
    ("/3/companyinformation", "companyinformation"),
    ("/3/settings", "settings"),
    ("/3/accounts", "bookkeeping"),
    ("/api/warehouse", "warehouse"),
)


def scope_of(url: str) -> str:
    """The Fortnox scope a request to `url` needs ('' when unknown)."""
    path = urlsplit(url or "").path
    return next((scope for prefix, scope in SCOPES if prefix in path), "")


def error_information(body: Any) -> tuple[str, int | None]:
    """(Fortnox's message, its code) from an ErrorInformation in either key casing; ('', None) if none."""
    if not isinstance(body, dict):
        return "", None
    info = body.get("ErrorInformation") or body.get("errorInformation") or body.get("errorinformation")
    if not isinstance(info, dict):
        return "", None
    message = info.get("message", info.get("Message")) or ""
    code = info.get("code", info.get("Code"))
    try:
        code = int(code) if code not in (None, "") else None
    except (TypeError, ValueError):
        code = None
    return str(message), code


def explain(code: int | None, message: str, *, scope: str = "") -> str:
    """What a Fortnox error code means for the person who has to fix it ('' for codes without words)."""
    needs = f"“{scope}”" if scope else "this call"
    words = {
        LICENCE_FOR_SCOPE: (
            f"the Fortnox user lacks the licence for {needs}: the Fortnox company must add that licence "
            "(or a user holding it must connect), then click Connect again"
        ),
        SCOPE_NOT_GRANTED: (
            f"the connection was not granted the scope {needs}: click Connect again, with the flow that needs it "
            "switched on, so Koppla asks for it (Fortnox fixes scopes at consent)"
        ),
        API_LICENCE_MISSING: "the Fortnox company has no licence for the API (integration licence): add it in Fortnox",
        2000637: "the customer number is already used in Fortnox (numbers stay reserved after a delete)",
        2000433: "the customer is not in Fortnox",
        2000434: "the invoice is not in Fortnox",
        2000428: "the article is not in Fortnox",
        2001304: "the account is not in the Fortnox chart of accounts: add it there or correct the mapping",
        2000587: "Fortnox refused the search filter",
        2000588: "Fortnox refused a parameter of the request",
        2000359: "a text contains characters Fortnox does not accept",
        2004167: "a row with a VAT rate of its own needs an account (EasyVat)",
    }
    return words.get(code, "") if code is not None else ""


def error_message_from(body: Any, *, url: str = "") -> tuple[str, int | None]:
    """(readable message, Fortnox code) from any of Fortnox's error shapes; ('', None) when there is none."""
    message, code = error_information(body)
    if message or code is not None:
        words = explain(code, message, scope=scope_of(url))
        said = f"Fortnox code {code}: {message}" if code is not None else message
        return (f"{words[0].upper()}{words[1:]} ({said})" if words else said), code
    if isinstance(body, dict):
        if body.get("error") == "invalid_grant":
            return (
                "Fortnox refused the refresh token (invalid_grant: "
                f"{body.get('error_description') or 'invalid refresh token'}): it was used already or has "
                "expired. Click Connect to authorise again."
            ), None
        for key in ("error_description", "message", "Message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key], None
    return "", None


def fortnox_error_message(response: requests.Response) -> str:
    """error_parser for HttpClient: what Fortnox said, in words, from its JSON (even sent as text/html)."""
    try:
        body = json.loads(response.text or "")
    except ValueError:
        return response_error_text(response)
    message, _code = error_message_from(body, url=response.url or "")
    return message or json.dumps(body)[:500]


def fortnox_error_code(body: Any) -> int | None:
    """The Fortnox code of an error body (already redacted JSON or text), None when it has none.

    The warehouse API answers `{"error": "<code>", "id", "message"}` (spec warehouse_WebException): a
    numeric `error` there is the code (e.g. "2001101", no licence for the scope "warehouse")."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    code = error_information(body)[1]
    if code is None and isinstance(body, dict) and str(body.get("error") or "").isdigit():
        return int(body["error"])
    return code
