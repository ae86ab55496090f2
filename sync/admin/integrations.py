"""Admin of integrations and their flow switches (run now, switch on/off)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ErpLabelsMixin, UsableFiltersMixin, changelist_link
from config.forms import HTTPS_URL_OVERRIDES
from mappings.services import vat_territories_load_standard
from sync.forms import FEE_WRITEOFF_FIELDS, IntegrationForm, fee_writeoff_field
from sync.heartbeat import run_is_stale
from sync.models import Flow, Integration, IntegrationFlow, SyncRecord, SyncRun
from sync.selectors import NO_WORK_TEXT, integration_flows_with_state
from sync.services import integration_flow_update, integration_flows_ensure, integration_schedules_sync

from .bulk import BulkSpec, bulk_confirm_or_start
from .common import (
    LIST_MEDIA_CSS,
    LIST_MEDIA_JS,
    RunPermissionMixin,
    short_name,
    short_when,
    status_badge,
    titled_filter,
)

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


class IntegrationFlowInline(admin.TabularInline):
    model = IntegrationFlow
    fields = ["flow", "enabled", "interval_minutes"]
    readonly_fields = ["flow"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Integration)
class IntegrationAdmin(UsableFiltersMixin, ErpLabelsMixin, admin.ModelAdmin):
    form = IntegrationForm
    formfield_overrides = HTTPS_URL_OVERRIDES
    list_display = ["name", "shop", "erp_connection", "mode", "is_active", "enabled_flows", "home_country"]
    list_filter = [
        "is_active",
        "mode",
        ("shop__system", titled_filter("shop system")),
        ("erp__system", titled_filter("ERP system")),
    ]
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
                    "only_paid_orders",
                    "order_document",
                    "post_documents",
                    "home_country",
                    "tax_country_source",
                    "allow_negative_quantities",
                ]
            },
        ),
        (
            "ERP document defaults (sales orders and journal entries)",
            {"fields": ["erp_branch", "erp_order_type", "erp_warehouse", "journal_receivable_account"]},
        ),
        ("VAT (invoices and credit notes)", {"fields": ["vat_rate_check", "rounding_account"]}),
        (
            "Products and stock (ERP → shop)",
            {
                "fields": [
                    ("update_product_name", "update_product_description", "update_product_price", "update_product_ean"),
                    "product_filter",
                    "stock_erp_warehouses",
                    "stock_mode",
                    "stock_shop_warehouse",
                ]
            },
        ),
        ("Customers (ERP → shop)", {"fields": ["update_shop_customers"]}),
        ("Payouts", {"fields": ["fee_writeoff_reason_code", "fee_writeoff_account", "payment_cash_account"]}),
        (
            "Monitoring",
            {"fields": ["notify_emails", "notify_webhook_url", "number_series_warn_below", "customer_numbering_id"]},
        ),
        ("Audit", {"fields": list(AUDIT_FIELDS)}),
    ]

    def get_fieldsets(self, request, obj=None):
        """The Payouts fieldset asks only for the fee setting the integration's ERP uses (both on a new one)."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.erp_id:
            return fieldsets
        needed = fee_writeoff_field(obj.erp.system)
        unused = {name for name in FEE_WRITEOFF_FIELDS.values() if name != needed and not getattr(obj, name)}
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in unused]})
            for title, options in fieldsets
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_enabled=Count("flows", filter=Q(flows__enabled=True)))

    @admin.display(description="ERP", ordering="erp__name")
    def erp_connection(self, obj):
        return obj.erp

    @admin.display(description="Flows on", ordering="_enabled")
    def enabled_flows(self, obj):
        return changelist_link(IntegrationFlow, f"{obj._enabled} of {len(Flow.values)}", integration__id__exact=obj.pk)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        integration_flows_ensure(integration=obj)
        if not change:
            vat_territories_load_standard(integration=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        integration_schedules_sync(integration=form.instance)


@admin.register(IntegrationFlow)
class IntegrationFlowAdmin(UsableFiltersMixin, RunPermissionMixin, admin.ModelAdmin):
    list_display = ["flow_name", "integration_name", "enabled", "interval_minutes", "last_run", "failing"]
    list_display_links = ["flow_name"]
    list_editable = ["enabled", "interval_minutes"]
    list_filter = ["enabled", "flow", "integration"]
    list_select_related = ["integration"]
    search_fields = ["integration__name", "flow"]
    ordering = ["integration__name", "flow"]
    fields = ["integration", "flow", "enabled", "interval_minutes", *AUDIT_FIELDS]
    readonly_fields = ["integration", "flow", *AUDIT_FIELDS]
    actions = ["run_now", "switch_on", "switch_off"]

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    def get_queryset(self, request):
        return integration_flows_with_state()

    @admin.display(description="Flow", ordering="flow")
    def flow_name(self, obj):
        return obj.get_flow_display()

    @admin.display(description="Integration", ordering="integration__name")
    def integration_name(self, obj):
        return short_name(obj.integration.name)

    def has_add_permission(self, request):
        return False  # every integration gets all its flows automatically

    def save_model(self, request, obj, form, change):
        integration_flow_update(integration_flow=obj, enabled=obj.enabled, interval_minutes=obj.interval_minutes)

    @admin.display(description="Last run", ordering="last_run_at")
    def last_run(self, obj):
        """The last run that did something; a later run that found nothing new shows as "(checked …)"."""
        checked = (
            format_html(
                "<small>(checked {}, {})</small>",
                short_when(obj.last_checked_at),
                NO_WORK_TEXT.get(obj.last_checked_status, "nothing new"),
            )
            if obj.last_checked_id and obj.last_checked_id != obj.last_run_id
            else ""
        )
        if not obj.last_run_id:
            return format_html("never {}", checked) if checked else "never"
        if (
            obj.last_run_status == SyncRun.Status.RUNNING
            and obj.last_run_heartbeat_at
            and run_is_stale(SyncRun(status="running", heartbeat_at=obj.last_run_heartbeat_at))
        ):
            badge = status_badge("failed", "Interrupted")
        else:
            label = dict(SyncRun.Status.choices).get(obj.last_run_status, obj.last_run_status)
            badge = status_badge(obj.last_run_status, label)
        return format_html(
            '<a href="{}">#{}</a> {} {} {}',
            f"../syncrun/{obj.last_run_id}/change/",
            obj.last_run_id,
            badge,
            short_when(obj.last_run_started),
            checked,
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
