"""Admin of webhook deliveries: accepted, duplicate or rejected, and what each queued."""

from django.contrib import admin

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, pretty_json
from sync.models import WebhookEvent

from .common import status_badge


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "integration", "status_display", "reason", "event_count", "enqueued", "remote_addr"]
    list_filter = ["status", "integration"]
    list_select_related = ["integration"]
    search_fields = ["reason", "signature", "remote_addr"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "integration",
        "status",
        "reason",
        "notes",
        "signed_at",
        "remote_addr",
        "events_display",
        "enqueued",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Events")
    def event_count(self, obj):
        return len(obj.events or [])

    @admin.display(description="Events")
    def events_display(self, obj):
        return pretty_json(obj.events)
