"""The 404 page (config.urls handler404): in the admin's layout, with the address asked for and ways back."""

from django.contrib import admin
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def page_not_found(request, exception=None):
    """handler404: what was not found, links to the admin's start page and to the page the user came from."""
    referer = request.META.get("HTTP_REFERER", "")
    context = {
        **admin.site.each_context(request),
        "title": "Page not found",
        "path": request.path,
        "back_url": referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) else "",
    }
    return render(request, "404.html", context, status=404)
