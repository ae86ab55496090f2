"""The 403 pages in the admin's layout: a refused page (config.urls handler403), saying what the user may do
instead, and a refused form (settings.CSRF_FAILURE_VIEW), saying how to send it again."""

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

OPERATIONS_GROUP = "Operations"  # created by sync/migrations/0002_operations_group.py
# The admin page (the end of its URL name) → the permission it needs ("app.codename", or a codename of
# the page's model with {model}) and what the user tried, in words ({plural}: the model's plural name).
PAGE_PERMISSION = {
    "changelist": ("view_{model}", "see the list of {plural}"),
    "change": ("view_{model}", "open {plural}"),
    "history": ("view_{model}", "see the history of {plural}"),
    "add": ("add_{model}", "add {plural}"),
    "delete": ("delete_{model}", "delete {plural}"),
    "import": ("add_{model}", "import {plural}"),
    "process_import": ("add_{model}", "import {plural}"),
    "export": ("view_{model}", "export {plural}"),
    "test": ("test_{model}", "test {plural}"),
    "resync": ("sync.resync_record", "resync {plural}"),
    "check": ("sync.run_flow", "check {plural} now"),
    "load_standard": ("add_{model}", "load the standard {plural}"),
    "demo_file": ("add_{model}", "download demo {plural}"),
    "book": ("view_{model}+sync.book_payout", "book the lines of {plural} in the ERP"),
}
# PAGE_PERMISSION may name several permissions joined by "+": the page needs all, the first missing is named.
# The admin's own pages of no model (the URL name) → the permission ("app.codename") and what the user tried.
SITE_PAGE_PERMISSION = {"dashboard": ("sync.view_syncrun", "open the operations dashboard")}


def _needed_permission(request) -> tuple[str, Permission | None]:
    """(what the user tried, the permission that allows it) for an admin page; ("", None) when unknown."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", None
    if match.namespace != admin.site.name or not match.url_name:
        return "", None
    if match.url_name in SITE_PAGE_PERMISSION:
        code, tried = SITE_PAGE_PERMISSION[match.url_name]
        if request.user.has_perm(code):
            return "", None
        app_label, _, codename = code.partition(".")
        return tried, Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_"
        if not match.url_name.startswith(prefix):
            continue
        page = match.url_name[len(prefix) :]
        needed = ("change_{model}", "change {plural}") if page == "change" and request.method == "POST" else None
        needed = needed or PAGE_PERMISSION.get(page)
        if needed is None:
            return "", None
        codes, tried = needed
        for code in codes.split("+"):
            app_label, _, codename = code.format(model=opts.model_name).rpartition(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label or opts.app_label, codename=codename
            ).first()
            if not (permission and request.user.has_perm(f"{app_label or opts.app_label}.{codename}")):
                return tried.format(plural=opts.verbose_name_plural), permission
        return "", None  # refused for another reason (e.g. a GET where a POST is expected): nothing to ask for
    return "", None


def permission_hint(user, perm: str, *, doing: str) -> str:
    """'' when `user` has `perm` ("app.codename"); else one sentence for the page where the refused button or
    action would be: what needs which permission, whether the Operations group has it, who grants it."""
    if user.has_perm(perm):
        return ""
    app_label, _, codename = perm.partition(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    name = f"“{permission.name}” ({perm})" if permission else perm
    in_operations = bool(permission and Group.objects.filter(name=OPERATIONS_GROUP, permissions=permission).exists())
    ask = (
        f"ask an administrator to give it to you or to add you to the {OPERATIONS_GROUP} group, which has it"
        if in_operations
        else f"the {OPERATIONS_GROUP} group does not have it: ask an administrator to give it to you"
    )
    return f"{doing} needs the permission {name}, which your account does not have; {ask} (Authentication › Users)."


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


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: a form refused by Django's CSRF check (its token missing or stale, e.g. a
    page left open across a new login, or cookies blocked) as a 403 page in the admin's layout. Nothing the
    form asked for was done; `reason` (Django's, e.g. "CSRF token missing.") is shown in brackets."""
    referer = request.META.get("HTTP_REFERER", "")
    context = {
        **admin.site.each_context(request),
        "title": "The form could not be sent",
        "reason": (
            "Nothing was done: the form's security token was missing or out of date (the page was probably open "
            "from before you last logged in, or your browser blocks cookies for this site). Go back, reload the "
            f"page and send the form again{f' ({reason})' if reason else ''}."
        ),
        "csrf": True,
        "back_url": referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) else "",
    }
    return render(request, "403.html", context, status=403)
