"""Error reports (the e-mails Django sends to ADMINS on a server error) without secrets.

Django's SafeExceptionReporterFilter stars POST parameters a view marks with
`sensitive_post_parameters`, local variables of frames under a `sensitive_variables` function,
and settings / META entries whose names look secret. It leaves GET parameters, the request URL
(query string included, also in every frame's `request` variable) and unmarked POST parameters
as they came. When the filter is active (DEBUG off) this module also stars:

- GET parameters a view marks with `sensitive_get_parameters` (an OAuth callback's `code`);
- any GET or POST parameter whose name looks secret (SENSITIVE_NAME: *secret*, *token*,
  *password*, *api_key*, *signature*, `code`), in case a view forgets to mark one;
- those values inside the URL, META (QUERY_STRING, RAW_URI, REQUEST_URI) and request reprs.

Wired in config.settings.base (DEFAULT_EXCEPTION_REPORTER, DEFAULT_EXCEPTION_REPORTER_FILTER).
"""

from __future__ import annotations

import functools
import re

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SENSITIVE_NAME = re.compile(r"secret|token|passw|api_?key|signature|^code$", re.IGNORECASE)


def sensitive_get_parameters(*names: str):
    """Mark query parameters of a view as sensitive, like Django's `sensitive_post_parameters`.

    Without names every GET parameter is sensitive. Use on function views; for methods wrap it
    in `django.utils.decorators.method_decorator`.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            request.sensitive_get_parameters = names or "__ALL__"
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class KopplaExceptionReporterFilter(SafeExceptionReporterFilter):
    """SafeExceptionReporterFilter that also stars secret-looking and marked GET/POST parameters."""

    @staticmethod
    def _is_marked(marks, name: str) -> bool:
        return marks == "__ALL__" or name in (marks or ())

    def _cleansed(self, params: MultiValueDict, marks) -> MultiValueDict:
        names = [name for name in params if self._is_marked(marks, name) or SENSITIVE_NAME.search(str(name))]
        if not names:
            return params
        params = params.copy()
        for name in names:
            params.setlist(name, [self.cleansed_substitute])
        return params

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return params
        return self._cleansed(params, getattr(request, "sensitive_post_parameters", None))

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        params = super().get_cleansed_multivaluedict(request, multivaluedict)
        if not self.is_active(request):
            return params
        # A frame's request.GET or request.POST: either marking applies.
        params = self._cleansed(params, getattr(request, "sensitive_post_parameters", None))
        return self._cleansed(params, getattr(request, "sensitive_get_parameters", None))

    def get_get_parameters(self, request):
        """request.GET with sensitive values starred (as they are when the filter is active)."""
        if request is None or not self.is_active(request):
            return request.GET if request is not None else {}
        return self._cleansed(request.GET, getattr(request, "sensitive_get_parameters", None))

    def _query(self, request) -> tuple[str, str]:
        """(raw query string, the same with sensitive values starred); equal when nothing is hidden."""
        raw = request.META.get("QUERY_STRING", "") if hasattr(request, "META") else ""
        if not raw or not self.is_active(request):
            return raw, raw
        cleansed = self.get_get_parameters(request)
        if cleansed is request.GET:
            return raw, raw
        return raw, cleansed.urlencode(safe="*")

    def cleansed_path(self, request) -> str:
        """request.get_full_path() with sensitive query values starred."""
        raw, cleansed = self._query(request)
        return f"{request.path}?{cleansed}" if raw else request.get_full_path()

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        raw, cleansed = self._query(request)
        if raw != cleansed:
            meta = {k: v.replace(raw, cleansed) if isinstance(v, str) else v for k, v in meta.items()}
        return meta

    def cleanse_special_types(self, request, value):
        if isinstance(value, HttpRequest) and self.is_active(request):
            return f"<{type(value).__name__}: {value.method} {self.cleansed_path(value)!r}>"
        return super().cleanse_special_types(request, value)


class KopplaExceptionReporter(ExceptionReporter):
    """ExceptionReporter whose GET section and request URL go through the filter too."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        request, report_filter = self.request, self.filter
        if request is not None and isinstance(report_filter, KopplaExceptionReporterFilter):
            data["request_GET_items"] = report_filter.get_get_parameters(request).items()
            raw_path, path = request.get_full_path(), report_filter.cleansed_path(request)
            if "request_insecure_uri" in data and raw_path != path:
                data["request_insecure_uri"] = data["request_insecure_uri"].replace(raw_path, path)
        return data
