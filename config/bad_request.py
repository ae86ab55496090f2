"""Addresses Koppla cannot use: a NUL character in the query string, and the 400 page that says so.

PostgreSQL text cannot hold NUL (0x00): a filter or search value containing `%00` reached the database and
answered 500 ("PostgreSQL text fields cannot contain NUL (0x00) bytes") on every list page, ours and the
libraries' alike. `RejectNulCharacters` refuses such a request before any view runs, with a 400 page in the
admin's layout naming the parameter. Form fields need no such check: Django's CharField refuses NUL itself.
"""

from django.contrib import admin
from django.core.exceptions import BadRequest
from django.shortcuts import render

NUL = "\x00"


class RejectNulCharacters:
    """Middleware: a GET parameter (name or value) or a path with a NUL character → BadRequest (400)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            raise BadRequest("The address contains a NUL character (%00), which no page of Koppla accepts.")
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                shown = name.replace(NUL, "%00")
                raise BadRequest(
                    f"The address's parameter “{shown}” contains a NUL character (%00), which no list or search "
                    "accepts. Remove it from the address and load the page again."
                )
        return self.get_response(request)


def bad_request(request, exception=None):
    """handler400: the reason in the admin's layout, with a link back to the admin's start page."""
    reason = str(exception) if isinstance(exception, BadRequest) and str(exception) else ""
    context = {
        **admin.site.each_context(request),
        "title": "Bad request",
        "reason": reason or "Koppla could not read this request.",
    }
    return render(request, "400.html", context, status=400)
