"""Admin of payout formats and payouts: import a settlement file, read the report, book it."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from config.admin_utils import AUDIT_FIELDS
from config.errors import ApplicationError
from integrations.http import RemoteError

from .models import Integration, Payout, PayoutFormat, PayoutLine
from .payouts import PRESETS, PayoutFileError, payout_csv_demo, payout_import, payout_report

COLUMN_FIELDS = [name for name in PRESETS[PayoutFormat.Preset.GENERIC]]


@admin.register(PayoutFormat)
class PayoutFormatAdmin(admin.ModelAdmin):
    list_display = ["name", "preset", "delimiter", "col_order", "col_gross", "col_fee", "updated_at"]
    list_filter = ["preset"]
    search_fields = ["name", "col_order", "col_gross"]
    ordering = ["name"]
    readonly_fields = AUDIT_FIELDS
    fieldsets = [
        (None, {"fields": ["name", "preset"], "description": "Blank fields are filled from the preset when you save."}),
        ("File", {"fields": ["delimiter", "decimal_separator", "date_format"]}),
        (
            "Columns",
            {
                "fields": [
                    "col_type",
                    "col_order",
                    "col_psp_reference",
                    "col_gross",
                    "col_gross_debit",
                    "col_fee",
                    "fees_negative",
                    "col_currency",
                    "col_date",
                    "col_payout",
                ]
            },
        ),
        ("Type values", {"fields": ["type_payment", "type_refund", "type_fee", "type_payout"]}),
        ("Audit", {"fields": list(AUDIT_FIELDS)}),
    ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in ("col_order", "col_gross"):
            if name in form.base_fields:
                form.base_fields[name].required = False
        return form

    def save_model(self, request, obj, form, change):
        preset = PRESETS[obj.preset]
        for field in COLUMN_FIELDS:
            if not getattr(obj, field) and preset.get(field):
                setattr(obj, field, preset[field])
        super().save_model(request, obj, form, change)


class PayoutImportForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all())
    format = forms.ModelChoiceField(queryset=PayoutFormat.objects.all(), help_text="How to read the file's columns.")
    file = forms.FileField(help_text="The provider's settlement report as CSV.")
    reference = forms.CharField(required=False, help_text="Payout id; blank: taken from the file.")
    bank_amount = forms.DecimalField(
        required=False, decimal_places=2, help_text="Amount received in the bank; blank: the file's transfer line."
    )


class PayoutLineInline(admin.TabularInline):
    model = PayoutLine
    fields = ["line_no", "kind", "order_number", "psp_reference", "gross", "fee", "status", "target_id", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "integration",
        "format",
        "currency",
        "bank_amount",
        "net_display",
        "balance_display",
        "status",
    ]
    list_filter = ["status", "integration", "format"]
    list_select_related = ["integration", "format"]
    search_fields = ["reference", "file_name", "lines__order_number", "lines__psp_reference"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [PayoutLineInline]
    fields = [
        "integration",
        "format",
        "reference",
        "currency",
        "bank_amount",
        "paid_out_on",
        "file_name",
        "status",
        "report_display",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields
    change_list_template = "admin/sync/payout/change_list.html"

    actions = ["book_now"]

    def has_add_permission(self, request):
        return False  # payouts come from files: use "Import a payout file"

    def has_run_permission(self, request):
        return request.user.has_perm("sync.run_flow")

    @admin.action(description="Book the waiting lines in the ERP now", permissions=["run"])
    def book_now(self, request, queryset):
        from config.errors import ApplicationError

        from .models import Flow, SyncRun
        from .services import flow_run_enqueue

        queued = refused = 0
        for payout in queryset.select_related("integration"):
            ids = [
                line.source_id
                for line in payout.lines.filter(
                    kind__in=[PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND],
                    status__in=[PayoutLine.Status.PENDING, PayoutLine.Status.FAILED, PayoutLine.Status.UNMATCHED],
                )
            ]
            if not ids:
                continue
            try:
                flow_run_enqueue(
                    integration=payout.integration,
                    flow=Flow.PAYOUTS,
                    trigger=SyncRun.Trigger.MANUAL,
                    source_ids=ids,
                    requested_by=request.user,
                )
            except ApplicationError as exc:
                refused += 1
                self.message_user(request, exc.message, messages.ERROR)
            else:
                queued += len(ids)
        if queued:
            self.message_user(
                request,
                f"Queued {queued} line(s) for booking; follow them under Sync › Sync runs (payouts).",
                messages.SUCCESS,
            )
        elif not refused:
            self.message_user(request, "Nothing to book: every payment and refund line is booked.", messages.INFO)

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="sync_payout_import"),
            path("demo-file/", self.admin_site.admin_view(self.demo_file_view), name="sync_payout_demo_file"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not request.user.has_perm("sync.add_payout"):
            messages.error(request, "You may not import payouts.")
            return redirect("admin:sync_payout_changelist")
        form = PayoutImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                content = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                problems = ["the file is not UTF-8 text: export it as CSV (UTF-8)"]
            else:
                try:
                    payout = payout_import(
                        integration=form.cleaned_data["integration"],
                        fmt=form.cleaned_data["format"],
                        content=content,
                        file_name=upload.name,
                        reference=form.cleaned_data["reference"],
                        bank_amount=form.cleaned_data["bank_amount"],
                    )
                except PayoutFileError as exc:
                    problems = exc.problems
                else:
                    report = payout_report(payout=payout)
                    level = messages.SUCCESS if report.balances else messages.WARNING
                    messages.add_message(
                        request,
                        level,
                        f"Imported payout {payout.reference}: {payout.lines.count()} lines, net {report.net} "
                        f"{payout.currency}, bank {report.bank_amount} — "
                        + ("balances to the cent." if report.balances else f"differs by {report.difference}."),
                    )
                    return redirect("admin:sync_payout_change", payout.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a payout file",
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
            "demo_integrations": Integration.objects.filter(is_active=True) if settings.SANDBOX_ENABLED else [],
            "presets": list(PRESETS),
        }
        return TemplateResponse(request, "admin/sync/payout/import.html", context)

    def demo_file_view(self, request):
        """Sandbox installs only: a settlement file built from the integration's invoices in the sandbox ERP."""
        if not settings.SANDBOX_ENABLED or not request.user.has_perm("sync.add_payout"):
            raise PermissionDenied
        integration = Integration.objects.filter(pk=request.GET.get("integration") or 0).first()
        preset = request.GET.get("preset") or "adyen"
        if integration is None:
            messages.error(request, "Choose an integration for the demo payout file.")
            return redirect("admin:sync_payout_import")
        try:
            content = payout_csv_demo(integration=integration, format_preset=preset)
        except (ApplicationError, RemoteError) as exc:
            messages.error(request, f"No demo payout file: {exc}")
            return redirect("admin:sync_payout_import")
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="demo-payout-{preset}.csv"'
        return response

    @admin.display(description="Net")
    def net_display(self, obj):
        return payout_report(payout=obj).net

    @admin.display(description="Equals bank")
    def balance_display(self, obj):
        report = payout_report(payout=obj)
        if report.balances:
            return mark_safe('<b style="color:#2e7d32">yes</b>')
        return format_html('<b style="color:#c62828">no ({})</b>', report.difference)

    @admin.display(description="Report")
    def report_display(self, obj):
        report = payout_report(payout=obj)
        rows = [
            ("Captured payments", report.payments),
            ("Refunds", -report.refunds),
            ("Fees", -report.fees),
            ("Net paid out", report.net),
            ("Received in the bank", report.bank_amount),
            ("Difference", report.difference),
        ]
        body = format_html(
            "".join("<tr><th>{}</th><td style='text-align:right'>{}</td></tr>" for _ in rows),
            *[
                v
                for row in rows
                for v in (row[0], f"{row[1]:,.2f} {obj.currency}" if isinstance(row[1], Decimal) else "—")
            ],
        )
        verdict = (
            mark_safe('<p style="color:#2e7d32"><b>The payout balances to the cent.</b></p>')
            if report.balances
            else format_html('<p style="color:#c62828"><b>Net and bank amount differ by {}.</b></p>', report.difference)
        )
        counts = ", ".join(f"{n} {PayoutLine.Status(s).label.lower()}" for s, n in sorted(report.counts.items()))
        return format_html('<table class="koppla-report">{}</table>{}<p>Lines: {}</p>', body, verdict, counts)
