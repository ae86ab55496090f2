"""OAuth2 consent: start from the Connection admin page, come back to the callback.

Fortnox: Connect first shows the scopes it will ask for and which flow needs each
(integrations.fortnox.consent); Continue goes to the consent page with exactly those. After the
consent the company's DatabaseNumber is stored as the connection's tenant id.
"""

import logging

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from config.error_reports import sensitive_get_parameters

from .fortnox.consent import ConsentPlan, connection_tenant_id_read, consent_plan
from .http import RemoteError
from .models import Connection
from .oauth import OAuthStateError, authorization_finish, authorization_start
from .systems import AuthType, System

logger = logging.getLogger("koppla.oauth")
SESSION_KEY = "koppla_oauth_pending"
SCOPES_TEMPLATE = "admin/integrations/connection/consent_scopes.html"


def _change_url(connection: Connection) -> str:
    return reverse("admin:integrations_connection_change", args=[connection.pk])


def _scopes_page(request, connection: Connection, plan: ConsentPlan, *, changed: bool = False):
    """The page before Fortnox's consent: the scopes Connect asks for and why, Continue or Cancel."""
    context = {
        **admin.site.each_context(request),
        "title": f"Connect {connection.name}: the scopes Fortnox is asked for",
        "opts": Connection._meta,
        "original": connection,
        "plan": plan,
        "changed": changed,
        "cancel_url": _change_url(connection),
    }
    return TemplateResponse(request, SCOPES_TEMPLATE, context)


@staff_member_required
@require_POST
@sensitive_variables()
def oauth_connect(request, pk: int):
    connection = get_object_or_404(Connection, pk=pk)
    if not request.user.has_perm("integrations.change_connection"):
        raise PermissionDenied
    scopes = None
    if connection.system == System.FORTNOX and connection.auth_type == AuthType.OAUTH2_CODE:
        plan = consent_plan(connection=connection)
        if request.POST.get("confirm") != "yes":
            return _scopes_page(request, connection, plan)
        if request.POST.get("scopes", "").split() != plan.scopes:  # flows switched meanwhile: show them again
            return _scopes_page(request, connection, plan, changed=True)
        scopes = plan.scopes
    redirect_uri = request.build_absolute_uri(reverse("integrations:oauth_callback"))
    try:
        url, state = authorization_start(connection=connection, redirect_uri=redirect_uri, scopes=scopes)
    except RemoteError as exc:
        messages.error(request, exc.message)
        return redirect(_change_url(connection))
    request.session[SESSION_KEY] = {
        "state": state,
        "connection": connection.pk,
        "redirect_uri": redirect_uri,
        "scopes": scopes,
        "started": timezone.now().isoformat(),
    }
    return redirect(url)


@staff_member_required
@require_GET
@sensitive_get_parameters("code", "state")
@sensitive_variables()
def oauth_callback(request):
    """The consent page's redirect: `code` is exchanged for tokens; neither reaches an error report."""
    pending = request.session.pop(SESSION_KEY, None)
    if not pending:
        messages.error(
            request, "No Connect was waiting for this answer (expired or already used). Click Connect again."
        )
        return redirect("admin:integrations_connection_changelist")
    connection = get_object_or_404(Connection, pk=pending["connection"])
    if not request.user.has_perm("integrations.change_connection"):
        raise PermissionDenied
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET["error"]
        messages.error(request, f"{connection.name}: the consent page answered “{reason}”. Nothing was stored.")
        return redirect(_change_url(connection))
    try:
        authorization_finish(
            connection=connection,
            redirect_uri=pending["redirect_uri"],
            callback_url=request.build_absolute_uri(),
            expected_state=pending["state"],
            state=request.GET.get("state"),
            scopes=pending.get("scopes"),
        )
    except OAuthStateError as exc:
        messages.error(request, exc.message)
    except RemoteError as exc:
        messages.error(request, f"{connection.name}: {exc.message}")
    else:
        connection.refresh_from_db()
        until = (
            timezone.localtime(connection.token_expires_at).strftime("%Y-%m-%d %H:%M")
            if connection.token_expires_at
            else "?"
        )
        refresh = "with" if connection.refresh_token else "without"
        text = f"{connection.name} is connected: access token valid until {until}, {refresh} a refresh token."
        if connection.system != System.FORTNOX:
            messages.success(request, text)
        else:
            tenant = connection_tenant_id_read(connection=connection)
            (messages.success if tenant.ok else messages.warning)(
                request, f"{text} Scopes: {connection.scopes}; {tenant.message}"
            )
    return redirect(_change_url(connection))
