"""Logging filters (config.settings LOGGING): one short line per refused request, no traceback.

Django logs every 4xx/5xx response once on `django.request`; for a PermissionDenied (403) or a
BadRequest (400, e.g. config.bad_request's NUL refusal) it attaches the exception, so each refusal
printed a traceback, and the development server (`django.server`) printed a second line for it.
"""

import logging

FORBIDDEN = 403
BAD_REQUEST = 400
REFUSED = {BAD_REQUEST, FORBIDDEN}


class ForbiddenWithoutTraceback(logging.Filter):
    """On `django.request`: a 403 or 400 keeps its one line ("Forbidden (Permission denied): /path", the
    BadRequest's reason) without the traceback; a 5xx keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in REFUSED:
            record.exc_info = None
            record.exc_text = None
        return True


class SkipForbidden(logging.Filter):
    """On `django.server`: drop the request line of a 403 or 400, which `django.request` has logged already."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in REFUSED


TOO_MANY_REQUESTS = 429
SANDBOX_PATH = "/sandbox/"


class SandboxRateLimitAsInfo(logging.Filter):
    """On `django.request` and `django.server`: a 429 that a sandbox emulator (a path under /sandbox/) answered
    is the emulator limiting on purpose, as the real system does, and Koppla waits and retries: it is logged
    at INFO, saying so, not as a warning or an error. Any other 429, and every other status, is left as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == TOO_MANY_REQUESTS and _request_path(record).startswith(SANDBOX_PATH):
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
            record.exc_info = None
            record.exc_text = None
            if isinstance(record.msg, str) and not record.msg.endswith(SANDBOX_NOTE):
                record.msg += SANDBOX_NOTE
        return True


SANDBOX_NOTE = " (the sandbox's rate limit, on purpose; Koppla waits and retries)"


def _request_path(record: logging.LogRecord) -> str:
    """The path of the request a `django.request` or `django.server` record is about ("" when unknown)."""
    request = getattr(record, "request", None)
    path = getattr(request, "path", None)
    if isinstance(path, str):
        return path
    # django.server: `request` is the socket; the request line ("GET /sandbox/... HTTP/1.1") is the first arg.
    args = record.args if isinstance(record.args, tuple) else ()
    line = str(args[0]) if args else ""
    parts = line.split()
    return parts[1] if len(parts) >= 2 else ""
