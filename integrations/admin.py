from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from config.admin_utils import AUDIT_FIELDS, UsableFiltersMixin
from config.forms import HTTPS_URL_OVERRIDES

from .forms import SECRET_FORM_FIELDS, ConnectionForm
from .models import SECRET_KEYS, Connection
from .pauses import clock_now, pause_message, until_text
from .services import connection_secrets_update, connection_test
from .systems import AuthType

WARN_DAYS = 7
# The auth type in the list (the connection's page shows the whole label).
AUTH_SHORT = {
    AuthType.API_TOKEN: "API token",
    AuthType.OAUTH2_CODE: "OAuth2 consent",
    AuthType.OAUTH2_CLIENT_CREDENTIALS: "OAuth2 service",
}
# Error reports (e-mails to ADMINS) star these POST values and every local variable below the view.
SECRET_POST_PARAMETERS = tuple(SECRET_KEYS)


@admin.register(Connection)
class ConnectionAdmin(UsableFiltersMixin, admin.ModelAdmin):
    form = ConnectionForm
    formfield_overrides = HTTPS_URL_OVERRIDES
    list_display = [
        "name_display",
        "system",
        "auth_display",
        "status_badge",
        "pause_state",
        "credentials_state",
        "checked_display",
    ]
    list_filter = ["system", "auth_type", "status"]
    actions = ["test_selected"]
    search_fields = ["name", "base_url", "client_id", "tenant_id"]
    search_help_text = "Name, API URL, client id or tenant id."
    ordering = ["name"]
    # What Koppla keeps about the connection's state: shown, never edited.
    state_fields = ["status", "last_error", "last_checked_at", "token_expires_at", "stored_secrets", "pause_detail"]
    readonly_fields = [*state_fields, *AUDIT_FIELDS]
    base_fieldsets = [
        (None, {"fields": ["name", "system", "auth_type", "base_url"]}),
        ("OAuth2", {"fields": ["token_url", "authorize_url", "client_id", "tenant_id", "scopes"]}),
        ("Limits and expiry", {"fields": ["rate_limit", "credentials_expire_on"]}),
        ("State", {"fields": state_fields}),
        ("Audit", {"fields": list(AUDIT_FIELDS)}),
    ]

    class Media:  # the lists' laptop layout (1366 px): compact cells, the left navigation folded
        css = {"all": ["sync/koppla-lists.css"]}
        js = ["sync/koppla-lists.js"]

    # -- Connect / Test connection -----------------------------------------
    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(require_POST(self.test_view)),
                name="integrations_connection_test",
            )
        ]
        return extra + urls

    def has_test_permission(self, request) -> bool:
        return request.user.has_perm("integrations.test_connection")

    def _report(self, request, connection, result) -> None:
        level = messages.SUCCESS if result.ok else messages.ERROR
        verdict = "works" if result.ok else "failed"
        self.message_user(request, f"{connection.name} {verdict}: {result.message}", level)

    @method_decorator(sensitive_variables())
    def test_view(self, request, pk: int):
        if not self.has_test_permission(request):
            raise PermissionDenied
        connection = get_object_or_404(Connection, pk=pk)
        self._report(request, connection, connection_test(connection=connection))
        return redirect("admin:integrations_connection_change", pk)

    @admin.action(description="Test selected connections", permissions=["test"])
    @method_decorator(sensitive_variables())
    def test_selected(self, request, queryset):
        for connection in queryset:
            self._report(request, connection, connection_test(connection=connection))

    @method_decorator(sensitive_post_parameters(*SECRET_POST_PARAMETERS))
    @method_decorator(sensitive_variables())
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Add and change pages: the secrets typed in never reach an error report."""
        return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connection = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_connect": bool(
                connection
                and connection.auth_type == AuthType.OAUTH2_CODE
                and self.has_change_permission(request, connection)
            ),
            "can_test": self.has_test_permission(request),
        }
        if connection and request.method == "GET":
            for warning in (self.expiry_warning(connection), self.pause_warning(connection)):
                if warning:
                    self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def expiry_warning(connection) -> str:
        if not connection.credentials_expire_on:
            return ""
        days = (connection.credentials_expire_on - timezone.localdate()).days
        if days < 0:
            return f"The credentials of {connection.name} expired on {connection.credentials_expire_on}: renew them."
        if days <= WARN_DAYS:
            return (
                f"The credentials of {connection.name} expire in {days} day(s), on "
                f"{connection.credentials_expire_on}: create a new token and enter it here."
            )
        return ""

    @staticmethod
    def pause_warning(connection) -> str:
        now = clock_now()
        if not connection.paused_until or connection.paused_until <= now:
            return ""
        return f"{pause_message(system=connection.system, until=connection.paused_until, now=now)} ({connection.pause_reason})"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(title, dict(options)) for title, options in self.base_fieldsets]
        if self.has_change_permission(request, obj) or (obj is None and self.has_add_permission(request)):
            fieldsets.insert(
                1,
                (
                    "Secrets (write-only)",
                    {
                        "fields": SECRET_FORM_FIELDS,
                        "description": "Stored encrypted. Values are never shown again once saved.",
                    },
                ),
            )
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change:  # the pause is the remote's to set: a form saved meanwhile must not lift it
            keep = {"id", "paused_until", "pause_reason"}
            obj.save(update_fields=[f.name for f in obj._meta.concrete_fields if f.name not in keep])
        else:
            obj.save()
        changes = form.secret_changes()
        if changes:
            connection_secrets_update(connection=obj, changes=changes)
            names = ", ".join(SECRET_KEYS[k].lower() for k in changes)
            self.message_user(request, f"Updated secrets: {names}.", messages.INFO)

    # -- list cells: one line each at 1366 px, the full text in the tooltip and on the connection's page --
    @admin.display(description="Name", ordering="name")
    def name_display(self, obj):
        return format_html('<span class="koppla-integration" title="{}">{}</span>', obj.name, obj.name)

    @admin.display(description="Auth", ordering="auth_type")
    def auth_display(self, obj):
        return format_html('<span title="{}">{}</span>', obj.get_auth_type_display(), AUTH_SHORT.get(obj.auth_type, ""))

    @admin.display(description="Last checked", ordering="last_checked_at")
    def checked_display(self, obj):
        return timezone.localtime(obj.last_checked_at).strftime("%Y-%m-%d %H:%M") if obj.last_checked_at else "—"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colours = {"connected": "#2e7d32", "new": "#777", "expired": "#b26a00", "error": "#c62828"}
        return format_html(
            '<span style="color:{}; font-weight:bold">{}</span>',
            colours.get(obj.status, "#333"),
            obj.get_status_display(),
        )

    @admin.display(description="Paused", ordering="paused_until")
    def pause_state(self, obj):
        now = clock_now()
        if not obj.paused_until or obj.paused_until <= now:
            return "—"
        return format_html(
            '<span style="color:#b26a00; font-weight:bold" title="{}">paused until {}</span>',
            obj.pause_reason,
            until_text(obj.paused_until, now=now),
        )

    @admin.display(description="Pause")
    def pause_detail(self, obj):
        now = clock_now()
        if not obj.paused_until:
            return "Never paused."
        if obj.paused_until <= now:
            return f"Not paused. The last pause ended at {until_text(obj.paused_until, now=now)} ({obj.pause_reason})."
        return format_html(
            '<strong style="color:#b26a00">{}</strong><br>{}. Records that need it wait and are picked up after that.',
            pause_message(system=obj.system, until=obj.paused_until, now=now),
            obj.pause_reason,
        )

    @admin.display(description="Credentials")
    def credentials_state(self, obj):
        if not obj.credentials_expire_on:
            return "—"
        days = (obj.credentials_expire_on - timezone.localdate()).days
        if days < 0:
            return format_html('<span style="color:#c62828">expired {}</span>', obj.credentials_expire_on)
        if days <= WARN_DAYS:
            return format_html('<span style="color:#b26a00">expires in {} day(s)</span>', days)
        return f"valid until {obj.credentials_expire_on}"

    @admin.display(description="Stored secrets")
    def stored_secrets(self, obj):
        parts = [f"{label}: {'set' if obj.secret(key) else 'not set'}" for key, label in SECRET_KEYS.items()]
        parts.append(f"access token: {'set' if obj.access_token else 'not set'}")
        parts.append(f"refresh token: {'set' if obj.refresh_token else 'not set'}")
        return "; ".join(parts)
