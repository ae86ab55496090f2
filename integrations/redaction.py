"""Secrets out of everything Koppla records about a remote call.

`Redactor` masks secrets in headers, URLs and bodies before an exchange is
stored in a record log (see http.record_calls): by key name (anything that
looks like a password, secret, token, API key, signature; OAuth form fields)
and by the known secret values of the connection. Bodies are stored parsed
(JSON, form data) and cut to MAX_BODY_CHARS characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .error_text import looks_like_html, page_text

MAX_BODY_CHARS = 20_000
REDACTED = "***"

SECRET_KEY_RE = re.compile(
    r"(pass(word)?|secret|token|authorization|api[_-]?key|private[_-]?key|assertion|signature)", re.IGNORECASE
)
# Form-encoded OAuth bodies also carry these.
SECRET_FORM_KEYS = frozenset({"code", "client_secret", "refresh_token", "access_token", "password", "code_verifier"})
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "x-api-key", "api-authorization", "proxy-authorization"}
)


class Redactor:
    """Masks secrets in headers, URLs and bodies: by key name and by known secret values."""

    def __init__(self, secret_values: Callable[[], list[str]] | None = None):
        self._secret_values = secret_values or (lambda: [])

    def values(self) -> list[str]:
        return sorted((v for v in self._secret_values() if v and len(v) >= 6), key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self.values():
            text = text.replace(value, REDACTED)
        return text

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.query:
            query = urlencode(
                [
                    (k, REDACTED if SECRET_KEY_RE.search(k) or k in SECRET_FORM_KEYS else v)
                    for k, v in parse_qsl(parts.query, keep_blank_values=True)
                ]
            )
            url = urlunsplit(parts._replace(query=query))
        return self.text(url)

    def headers(self, headers) -> dict[str, str]:
        return {k: (REDACTED if k.lower() in SECRET_HEADERS else self.text(str(v))) for k, v in (headers or {}).items()}

    def data(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (
                    REDACTED if isinstance(k, str) and SECRET_KEY_RE.search(k) and v not in (None, "") else self.data(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, raw: bytes | str | None, content_type: str = "") -> Any:
        """A body as stored in a log: parsed JSON or form data when possible, redacted, truncated."""
        if raw in (None, b"", ""):
            return None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if "json" in content_type or text[:1] in "{[":
            try:
                return self.data(json.loads(text))
            except ValueError:
                pass
        if "x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(text, keep_blank_values=True)
            return {
                k: (REDACTED if k in SECRET_FORM_KEYS or SECRET_KEY_RE.search(k) else self.text(v)) for k, v in pairs
            }
        text = self.text(text)
        if looks_like_html(text, content_type):
            return page_text(text)  # an error page of a gateway: its words, not its markup
        return text if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS] + f"… [{len(text)} chars]"
