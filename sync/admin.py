from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, admin_link, admin_url, changelist_link, pretty_json
from config.errors import ApplicationError
from config.forms import HTTPS_URL_OVERRIDES
from integrations.pauses import connections_paused
from mappings.services import vat_territories_load_standard

from .bulk_admin import BulkSpec, bulk_confirm_or_start
from .forms import IntegrationForm
from .models import (
    ExternalRef,
    Integration,
    IntegrationFlow,
    NumberSeriesCheck,
    RecordLog,
    SyncRecord,
    SyncRun,
    WebhookEvent,
)
from .selectors import integration_flows_with_state
from .services import (
    integration_flow_update,
    integration_flows_ensure,
    integration_schedules_sync,
    records_resync,
)

STATUS_COLOURS = {
    "ok": "#2e7d32",
    "succeeded": "#2e7d32",
    "connected": "#2e7d32",
    "running": "#1a5fb4",
    "queued": "#1a5fb4",
    "dry_run": "#6a1b9a",
    "skipped": "#777",
    "partial": "#b26a00",
    "paused": "#b26a00",
    "waiting": "#b26a00",
    "retrying": "#b26a00",
    "failed": "#c62828",
    "dead": "#c62828",
    "rejected": "#c62828",
    "accepted": "#2e7d32",
    "duplicate": "#777",
}


# Actions that ask first. The confirmation page carries the list's filter (or the ticked ids); what is
# confirmed is recorded as a bulk action and handled in chunks (sync/bulk.py, handlers in sync/bulk_handlers.py).
RUN_NOW = BulkSpec(
    title="Run these flows now?",
    explanation="Each flow reads what changed since its last run and writes it to the target system "
    "(dry-run integrations only record what they would send). A flow that is already running is skipped.",
    confirm_label="Yes, run now",
    handler="sync.bulk_handlers.flows_run_now",
    result_text="Queued {count} flow run(s). Follow the progress under Sync › Sync runs.",
)
RETRY_FAILED = BulkSpec(
    title="Retry the failed records?",
    explanation="Every record that failed in these runs and has not succeeded since is synced again now. "
    "Records already created remotely are found through their binding or a remote search, never created twice.",
    confirm_label="Yes, retry them",
    handler="sync.bulk_handlers.runs_failed_resync",
    result_text="Queued {count} failed record(s) for another attempt.",
)
_RESYNC_TEXT = (
    "Each record is read again from the source and synced now. Whatever was already created in the "
    "target (found through its binding or a remote search) is reused, so nothing is created twice."
)
RESYNC_RECORDS = BulkSpec(
    title="Resync these records?",
    explanation=_RESYNC_TEXT,
    confirm_label="Yes, resync",
    handler="sync.bulk_handlers.sync_records_resync",
    result_text="Queued {count} record(s) for resync.",
)
RESYNC_LOGS = BulkSpec(
    title="Resync these records?",
    explanation=_RESYNC_TEXT,
    confirm_label="Yes, resync",
    handler="sync.bulk_handlers.record_logs_resync",
    result_text="Queued {count} record(s) for resync.",
)


def status_badge(value: str, label: str):
    return format_html('<b style="color:{}">{}</b>', STATUS_COLOURS.get(value, "#333"), label)


class RunPermissionMixin:
    def has_run_permission(self, request):
        return request.user.has_perm("sync.run_flow")

    def has_resync_permission(self, request):
        return request.user.has_perm("sync.resync_record")


class ResyncButtonMixin:
    """A "Resync this record" button on the detail page of a record log or record state."""

    change_form_template = "admin/sync/resync_change_form.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/resync/",
                self.admin_site.admin_view(self.resync_view),
                name=f"{opts.app_label}_{opts.model_name}_resync",
            ),
            *super().get_urls(),
        ]

    def resync_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or request.method != "POST" or not self.has_resync_permission(request):
            raise PermissionDenied
        try:
            records_resync(
                integration=obj.integration, flow=obj.flow, source_ids=[obj.source_id], requested_by=request.user
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(admin_url(obj))
        state = SyncRecord.objects.filter(integration=obj.integration, flow=obj.flow, source_id=obj.source_id).first()
        label = obj.source_label or obj.source_id
        if state and state.status == SyncRecord.Status.OK:
            self.message_user(request, f"Resynced {label}: it succeeded.", messages.SUCCESS)
        elif state and state.status in (SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD):
            self.message_user(request, f"Resynced {label}: it failed again: {state.last_error}", messages.ERROR)
        elif pause := connections_paused(connections=[obj.integration.shop, obj.integration.erp]):
            self.message_user(
                request, f"Queued {label}: {pause.message} It is synced by the first run after that.", messages.WARNING
            )
        else:
            self.message_user(request, f"Queued {label} for resync; the result appears here shortly.", messages.INFO)
        return redirect(admin_url(state or obj))

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_resync"] = self.has_resync_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)


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
    formfield_overrides = HTTPS_URL_OVERRIDES
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
                    "allow_negative_quantities",
                ]
            },
        ),
        ("VAT (invoices and credit notes)", {"fields": ["vat_rate_check", "rounding_account"]}),
        (
            "Products and stock (ERP → shop)",
            {
                "fields": [
                    ("update_product_name", "update_product_description", "update_product_price", "update_product_ean"),
                    "stock_erp_warehouses",
                    "stock_mode",
                    "stock_shop_warehouse",
                ]
            },
        ),
        ("Payouts", {"fields": ["fee_writeoff_reason_code", "payment_cash_account"]}),
        (
            "Monitoring",
            {"fields": ["notify_emails", "notify_webhook_url", "number_series_warn_below", "customer_numbering_id"]},
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
        if not change:
            vat_territories_load_standard(integration=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        integration_schedules_sync(integration=form.instance)


@admin.register(IntegrationFlow)
class IntegrationFlowAdmin(RunPermissionMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "integration",
        "flow",
        "enabled",
        "interval_minutes",
        "last_run",
        "failing",
    ]
    list_display_links = ["__str__"]
    list_editable = ["enabled", "interval_minutes"]
    list_filter = ["enabled", "flow", "integration"]
    list_select_related = ["integration"]
    search_fields = ["integration__name", "flow"]
    ordering = ["integration__name", "flow"]
    fields = ["integration", "flow", "enabled", "interval_minutes", *AUDIT_FIELDS]
    readonly_fields = ["integration", "flow", *AUDIT_FIELDS]
    actions = ["run_now", "switch_on", "switch_off"]

    def get_queryset(self, request):
        return integration_flows_with_state()

    def has_add_permission(self, request):
        return False  # every integration gets all its flows automatically

    def save_model(self, request, obj, form, change):
        integration_flow_update(integration_flow=obj, enabled=obj.enabled, interval_minutes=obj.interval_minutes)

    @admin.display(description="Last run", ordering="last_run_at")
    def last_run(self, obj):
        if not obj.last_run_id:
            return "never"
        label = dict(SyncRun.Status.choices).get(obj.last_run_status, obj.last_run_status)
        return format_html(
            '<a href="{}">#{}</a> {}',
            f"../syncrun/{obj.last_run_id}/change/",
            obj.last_run_id,
            status_badge(obj.last_run_status, label),
        )

    @admin.display(description="Failed records waiting", ordering="failing_records")
    def failing(self, obj):
        if not obj.failing_records:
            return "0"
        return changelist_link(
            SyncRecord,
            str(obj.failing_records),
            integration__id__exact=obj.integration_id,
            flow__exact=obj.flow,
            status__in="retrying,dead",
        )

    @admin.action(description="Run now", permissions=["run"])
    def run_now(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="run_now", spec=RUN_NOW)

    @admin.action(description="Switch on", permissions=["change"])
    def switch_on(self, request, queryset):
        for integration_flow in queryset.select_related("integration"):
            integration_flow_update(integration_flow=integration_flow, enabled=True)
        self.message_user(request, f"Switched on {queryset.count()} flow(s); their schedules are active.")

    @admin.action(description="Switch off", permissions=["change"])
    def switch_off(self, request, queryset):
        for integration_flow in queryset.select_related("integration"):
            integration_flow_update(integration_flow=integration_flow, enabled=False)
        self.message_user(request, f"Switched off {queryset.count()} flow(s); their schedules are removed.")


@admin.register(SyncRun)
class SyncRunAdmin(RunPermissionMixin, ReadOnlyAdmin):
    actions = ["retry_failed"]
    list_display = [
        "id",
        "integration",
        "flow",
        "trigger",
        "status_display",
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
        "current_source_id",
        "duration_display",
        "cursor_from",
        "cursor_to",
        "message",
        "task_id",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "any_running": SyncRun.objects.filter(status="running").exists()}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Progress")
    def progress(self, obj):
        if obj.status == SyncRun.Status.RUNNING and obj.total <= obj.done:
            return f"{obj.done} / ?"  # records still being read page by page: the total is not known yet
        return f"{obj.done} / {obj.total}" if obj.total else "—"

    @admin.action(description="Retry all failed records of the selected runs", permissions=["resync"])
    def retry_failed(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="retry_failed", spec=RETRY_FAILED)

    @admin.display(description="Duration")
    def duration_display(self, obj):
        duration = obj.duration
        return str(duration).split(".")[0] if duration is not None else "—"

    @admin.display(description="Records")
    def records_link(self, obj):
        return changelist_link(RecordLog, "Show the records of this run", run__id__exact=obj.pk)


@admin.register(RecordLog)
class RecordLogAdmin(ResyncButtonMixin, RunPermissionMixin, ReadOnlyAdmin):
    actions = ["resync_selected"]
    list_display = [
        "created_at",
        "integration",
        "flow",
        "record",
        "target_id",
        "status_display",
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

    @admin.action(description="Resync the selected records", permissions=["resync"])
    def resync_selected(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="resync_selected", spec=RESYNC_LOGS)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

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


@admin.register(SyncRecord)
class SyncRecordAdmin(ResyncButtonMixin, RunPermissionMixin, ReadOnlyAdmin):
    """The records' current state: the place to review failures and dead letters."""

    actions = ["resync_selected"]
    list_display = [
        "updated_at",
        "integration",
        "flow",
        "record",
        "status_display",
        "attempts",
        "next_attempt_at",
        "short_error",
        "target_id",
        "log_link",
    ]
    list_filter = ["status", "flow", "integration"]
    list_select_related = ["integration", "last_log"]
    search_fields = ["source_id", "source_label", "target_id", "last_error"]
    date_hierarchy = "updated_at"
    ordering = ["-updated_at"]
    fields = [
        "integration",
        "flow",
        "source_id",
        "source_label",
        "target_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "log_link",
        "history_link",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.display(description="Record", ordering="source_label")
    def record(self, obj):
        return obj.source_label or obj.source_id

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Error")
    def short_error(self, obj):
        return (obj.last_error[:100] + "…") if len(obj.last_error) > 100 else obj.last_error or "—"

    @admin.display(description="Last attempt")
    def log_link(self, obj):
        return admin_link(obj.last_log, f"log #{obj.last_log_id}") if obj.last_log_id else "—"

    @admin.display(description="All attempts")
    def history_link(self, obj):
        return changelist_link(
            RecordLog,
            "every attempt of this record",
            integration__id__exact=obj.integration_id,
            flow__exact=obj.flow,
            q=obj.source_id,
        )

    @admin.action(description="Resync the selected records", permissions=["resync"])
    def resync_selected(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="resync_selected", spec=RESYNC_RECORDS)


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
class NumberSeriesCheckAdmin(RunPermissionMixin, ReadOnlyAdmin):
    list_display = [
        "connection",
        "integration",
        "numbering_id",
        "last_number",
        "end_number",
        "remaining",
        "status_badge",
        "overlaps_with",
        "message",
        "checked_at",
    ]
    list_filter = ["status", "connection", "integration"]
    list_select_related = ["connection", "integration"]
    search_fields = ["numbering_id", "description", "message"]
    ordering = ["-checked_at"]
    date_hierarchy = "checked_at"
    actions = ["check_again"]
    change_list_template = "admin/sync/numberseriescheck/change_list.html"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colours = {"ok": "#2e7d32", "warning": "#b26a00", "error": "#c62828"}
        return format_html('<b style="color:{}">{}</b>', colours[obj.status], obj.get_status_display())

    def get_urls(self):
        return [
            path("check/", self.admin_site.admin_view(self.check_view), name="sync_numberseriescheck_check"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        from .selectors import number_series_latest

        problems = number_series_latest().exclude(status=NumberSeriesCheck.Status.OK).order_by("numbering_id")
        extra_context = {
            **(extra_context or {}),
            "latest_problems": problems,
            "can_check": self.has_run_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def _check(self, request, integrations) -> None:
        from .services import number_series_check_run

        checks = []
        for integration in [None] if integrations is None else integrations:
            try:
                checks += number_series_check_run(integration=integration)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if not checks:
            self.message_user(request, "No active integration with a Visma.net ERP to check.", messages.WARNING)
            return
        seen = {}
        for check in checks:  # an integration checked twice (it shares a company) counts once: its newest row
            seen[(check.connection_id, check.integration_id)] = check
        problems = [c for c in seen.values() if c.status != NumberSeriesCheck.Status.OK]
        for check in problems:
            level = messages.ERROR if check.status == NumberSeriesCheck.Status.ERROR else messages.WARNING
            self.message_user(request, f"{check.integration}: {check.numbering_id}: {check.message}", level)
        if not problems:
            self.message_user(request, f"Checked {len(seen)} number series: all OK.", messages.SUCCESS)

    def check_view(self, request):
        if request.method != "POST" or not self.has_run_permission(request):
            raise PermissionDenied
        self._check(request, None)
        return redirect("admin:sync_numberseriescheck_changelist")

    @admin.action(description="Check these integrations' number series now", permissions=["run"])
    def check_again(self, request, queryset):
        integrations = list(
            Integration.objects.filter(pk__in=queryset.exclude(integration=None).values("integration")).select_related(
                "erp"
            )
        )
        self._check(request, integrations)


from . import payout_admin  # noqa: E402,F401  (registers PayoutFormat and Payout)
