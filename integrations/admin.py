from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS

from .forms import SECRET_FORM_FIELDS, ConnectionForm
from .models import SECRET_KEYS, Connection
from .services import connection_secrets_update

WARN_DAYS = 7


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "system", "auth_type", "status_badge", "credentials_state", "last_checked_at"]
    list_filter = ["system", "auth_type", "status"]
    search_fields = ["name", "base_url", "client_id", "tenant_id"]
    search_help_text = "Name, API URL, client id or tenant id."
    ordering = ["name"]
    readonly_fields = [
        "status",
        "last_error",
        "last_checked_at",
        "token_expires_at",
        "stored_secrets",
        *AUDIT_FIELDS,
    ]
    base_fieldsets = [
        (None, {"fields": ["name", "system", "auth_type", "base_url"]}),
        ("OAuth2", {"fields": ["token_url", "authorize_url", "client_id", "tenant_id", "scopes"]}),
        ("Limits and expiry", {"fields": ["rate_limit", "credentials_expire_on"]}),
        ("State", {"fields": ["status", "last_error", "last_checked_at", "token_expires_at", "stored_secrets"]}),
        ("Audit", {"fields": list(AUDIT_FIELDS)}),
    ]

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
        super().save_model(request, obj, form, change)
        changes = form.secret_changes()
        if changes:
            connection_secrets_update(connection=obj, changes=changes)
            names = ", ".join(SECRET_KEYS[k].lower() for k in changes)
            self.message_user(request, f"Updated secrets: {names}.", messages.INFO)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colours = {"connected": "#2e7d32", "new": "#777", "expired": "#b26a00", "error": "#c62828"}
        return format_html(
            '<span style="color:{}; font-weight:bold">{}</span>',
            colours.get(obj.status, "#333"),
            obj.get_status_display(),
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
