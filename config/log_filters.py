"""Logging filters (config.settings LOGGING): one short line per refused request, no traceback.

Django logs every 4xx/5xx response once on `django.request`; for a PermissionDenied
it attaches the exception, so each 403 printed a traceback, and the development
server (`django.server`) printed a second line for the same request.
"""

import logging

FORBIDDEN = 403


class ForbiddenWithoutTraceback(logging.Filter):
    """On `django.request`: a 403 keeps its one line ("Forbidden (Permission denied): /path") without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == FORBIDDEN:
            record.exc_info = None
            record.exc_text = None
        return True


class SkipForbidden(logging.Filter):
    """On `django.server`: drop the request line of a 403, which `django.request` has logged already."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != FORBIDDEN
