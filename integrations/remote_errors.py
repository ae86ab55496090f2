"""The typed errors of a remote call (see http.py, which raises them from each system's answers).

Every failure of a remote call is a `RemoteError`; its subclasses say what the caller can do
about it (reconnect, wait, fix the data, retry later). `kind` is the word stored on failures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class RemoteError(Exception):
    """A remote call failed. `message` is what the remote said (or what went wrong)."""

    kind = "remote_error"

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        status: int | None = None,
        method: str = "",
        url: str = "",
        body: Any = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.system = system
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent

    def __str__(self) -> str:
        where = f"{self.method} {self.url}".strip()
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.message}{status}" + (f" [{where}]" if where else "")


class AuthError(RemoteError):
    """Credentials were refused or have expired: reconnect the connection."""

    kind = "auth"


class RateLimited(RemoteError):
    """The remote asked us to slow down longer than we are willing to wait in a worker."""

    kind = "rate_limited"


class ConnectionPaused(RateLimited):
    """The remote asked us to wait longer than a worker waits: nothing more is sent to it before `until`.

    Raised before sending while the connection is paused, or on the answer that
    asked for the wait (429/503 with Retry-After or a rate-limit reset header).
    `until` is an aware UTC datetime; `retry_after` the seconds left then.
    """

    kind = "paused"

    def __init__(self, message: str, *, until: datetime, reason: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.until = until
        self.reason = reason


class ValidationFailed(RemoteError):
    """The remote refused the data (400/409/422 or GraphQL userErrors)."""

    kind = "validation"


class NotFound(RemoteError):
    kind = "not_found"


class RemoteDown(RemoteError):
    """5xx, timeout or no connection. `maybe_sent` tells whether a write may have happened."""

    kind = "remote_down"


class ConfigurationError(RemoteError):
    """Our side is not set up to make this call (no token, missing setting)."""

    kind = "configuration"
