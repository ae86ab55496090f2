"""The 403 page (config.urls handler403): in the admin's layout, saying what the user may do instead."""

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

OPERATIONS_GROUP = "Operations"  # created by sync/migrations/0002_operations_group.py
# The admin page (the end of its URL name) → the permission it needs.
PAGE_PERMISSION = {
    "changelist": ("view", "see the list of"),
    "change": ("view", "open"),
    "history": ("view", "see the history of"),
    "add": ("add", "add"),
    "delete": ("delete", "delete"),
    "import": ("add", "import"),
    "process_import": ("add", "import"),
    "export": ("view", "export"),
}


def _needed_permission(request) -> tuple[str, Permission | None]:
    """(what the user tried, the permission that allows it) for an admin page; ("", None) when unknown."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", None
    if match.namespace != admin.site.name:
        return "", None
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if match.url_name and match.url_name.startswith(prefix):
            action, verb = PAGE_PERMISSION.get(match.url_name[len(prefix) :], ("view", "open"))
            permission = Permission.objects.filter(
                content_type__app_label=model._meta.app_label, codename=f"{action}_{model._meta.model_name}"
            ).first()
            return f"{verb} {model._meta.verbose_name_plural}", permission
    return "", None


def permission_denied(request, exception=None):
    """handler403: the reason (the exception's message when it has one), the permission to ask for, a way back."""
    tried, permission = _needed_permission(request)
    reason = str(exception or "").strip()
    referer = request.META.get("HTTP_REFERER", "")
    in_operations = bool(permission and Group.objects.filter(name=OPERATIONS_GROUP, permissions=permission).exists())
    context = {
        **admin.site.each_context(request),
        "title": "You may not open this page",
        "reason": reason,
        "tried": tried,
        "permission": permission,
        "in_operations": in_operations,
        "operations_group": OPERATIONS_GROUP,
        "back_url": referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) else "",
    }
    return render(request, "403.html", context, status=403)
