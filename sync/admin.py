from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, admin_link, changelist_link, pretty_json

from .forms import IntegrationForm
from .models import ExternalRef, Integration, IntegrationFlow, NumberSeriesCheck, RecordLog, SyncRun
from .services import integration_flows_ensure


class IntegrationFlowInline(admin.TabularInline):
    model = IntegrationFlow
    fields = ["flow", "enabled", "interval_minutes"]
    readonly_fields = ["flow"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "shop", "erp", "mode", "is_active", "enabled_flows", "home_country"]
    list_filter = ["is_active", "mode", "shop__system", "erp__system"]
    list_select_related = ["shop", "erp"]
    search_fields = ["name", "shop__name", "erp__name"]
    ordering = ["name"]
    readonly_fields = AUDIT_FIELDS
    inlines = [IntegrationFlowInline]
    fieldsets = [
        (None, {"fields": ["name", "shop", "erp", "is_active", "mode"]}),
        (
            "Orders",
            {
                "fields": [
                    "order_cutoff_date",
                    "allowed_order_statuses",
                    "default_customer_number",
                    "home_country",
                    "tax_country_source",
                ]
            },
        ),
        ("Audit", {"fields": list(AUDIT_FIELDS)}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_enabled=Count("flows", filter=Q(flows__enabled=True)))

    @admin.display(description="Flows on", ordering="_enabled")
    def enabled_flows(self, obj):
        return changelist_link(IntegrationFlow, f"{obj._enabled} of 7", integration__id__exact=obj.pk)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        integration_flows_ensure(integration=obj)


@admin.register(IntegrationFlow)
class IntegrationFlowAdmin(admin.ModelAdmin):
    list_display = ["__str__", "integration", "flow", "enabled", "interval_minutes"]
    list_display_links = ["__str__"]
    list_editable = ["enabled", "interval_minutes"]
    list_filter = ["enabled", "flow", "integration"]
    list_select_related = ["integration"]
    search_fields = ["integration__name", "flow"]
    ordering = ["integration__name", "flow"]
    fields = ["integration", "flow", "enabled", "interval_minutes", *AUDIT_FIELDS]
    readonly_fields = ["integration", "flow", *AUDIT_FIELDS]

    def has_add_permission(self, request):
        return False  # every integration gets all its flows automatically


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "flow",
        "trigger",
        "status",
        "progress",
        "ok_count",
        "skipped_count",
        "failed_count",
        "started_at",
        "duration_display",
    ]
    list_filter = ["status", "flow", "trigger", "dry_run", "integration"]
    list_select_related = ["integration"]
    search_fields = ["id", "message", "cursor_to"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "integration",
        "flow",
        "trigger",
        "status",
        "dry_run",
        "requested_by",
        "progress",
        "ok_count",
        "skipped_count",
        "failed_count",
        "records_link",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "duration_display",
        "cursor_from",
        "cursor_to",
        "message",
        "task_id",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.display(description="Progress")
    def progress(self, obj):
        return f"{obj.done} / {obj.total}" if obj.total else "—"

    @admin.display(description="Duration")
    def duration_display(self, obj):
        duration = obj.duration
        return str(duration).split(".")[0] if duration is not None else "—"

    @admin.display(description="Records")
    def records_link(self, obj):
        return changelist_link(RecordLog, "Show the records of this run", run__id__exact=obj.pk)


@admin.register(RecordLog)
class RecordLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "integration",
        "flow",
        "record",
        "target_id",
        "status",
        "attempt",
        "short_error",
        "run_link",
    ]
    list_filter = ["status", "flow", "integration"]
    list_select_related = ["integration", "run"]
    search_fields = ["source_id", "source_label", "target_id", "error"]
    search_help_text = "Source id, label (order number, e-mail, SKU), target id or error text."
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "run_link",
        "integration",
        "flow",
        "source_id",
        "source_label",
        "target_id",
        "status",
        "attempt",
        "next_attempt_at",
        "error",
        "request_display",
        "response_display",
        "calls_display",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.display(description="Record", ordering="source_label")
    def record(self, obj):
        return obj.source_label or obj.source_id

    @admin.display(description="Error")
    def short_error(self, obj):
        return (obj.error[:100] + "…") if len(obj.error) > 100 else obj.error or "—"

    @admin.display(description="Run")
    def run_link(self, obj):
        return admin_link(obj.run, f"Run #{obj.run_id}")

    @admin.display(description="Payload")
    def request_display(self, obj):
        return pretty_json(obj.request)

    @admin.display(description="Answer")
    def response_display(self, obj):
        return pretty_json(obj.response)

    @admin.display(description="Remote calls")
    def calls_display(self, obj):
        return pretty_json(obj.calls)


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["kind", "source_id", "target_id", "integration", "synced_at"]
    list_filter = ["kind", "integration"]
    list_select_related = ["integration"]
    search_fields = ["source_id", "target_id"]
    date_hierarchy = "synced_at"
    ordering = ["-synced_at"]
    fields = ["integration", "kind", "source_id", "target_id", "checksum", "data_display", "synced_at", *AUDIT_FIELDS]
    readonly_fields = fields

    @admin.display(description="Data")
    def data_display(self, obj):
        return pretty_json(obj.data)


@admin.register(NumberSeriesCheck)
class NumberSeriesCheckAdmin(ReadOnlyAdmin):
    list_display = [
        "connection",
        "integration",
        "numbering_id",
        "last_number",
        "end_number",
        "remaining",
        "status_badge",
        "overlaps_with",
        "checked_at",
    ]
    list_filter = ["status", "connection", "integration"]
    list_select_related = ["connection", "integration"]
    search_fields = ["numbering_id", "description", "message"]
    ordering = ["-checked_at"]
    date_hierarchy = "checked_at"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colours = {"ok": "#2e7d32", "warning": "#b26a00", "error": "#c62828"}
        return format_html('<b style="color:{}">{}</b>', colours[obj.status], obj.get_status_display())
