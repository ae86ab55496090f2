"""Admin of payout formats and payouts: import a settlement file, read the report, book it."""

import re

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from config.admin_utils import AUDIT_FIELDS, UsableFiltersMixin
from config.errors import ApplicationError
from config.forbidden import permission_hint
from integrations.http import RemoteError
from integrations.systems import system_label
from sync.admin.common import LIST_MEDIA_CSS, LIST_MEDIA_JS, short_label, short_name, status_badge
from sync.models import Flow, Integration, Payout, PayoutFormat, PayoutLine, SyncRun

from .demo import payout_csv_demo
from .files import PRESETS
from .import_view import PayoutImportMixin
from .report import figure_rows, money_text, payout_figures_for, payout_report, state_rows

LINES_PER_PAGE = 100
BOOK_PERMISSION = "sync.book_payout"  # not held by the Operations group: whoever books is given it

COLUMN_FIELDS = [name for name in PRESETS[PayoutFormat.Preset.GENERIC]]


def _erp_name(payout) -> str:
    """The display name of the payout's ERP ("Visma.net ERP", "Fortnox"), for "booked in …"."""
    return system_label(payout.integration.erp.system)


def _in_erp(label: str, erp_name: str) -> str:
    """A line status or state named after the ERP ("Booked in the ERP") with the ERP's name ("Booked in Fortnox")."""
    return re.sub(r"\bthe ERP\b", erp_name, label, flags=re.IGNORECASE)


def _waiting_lines(payout):
    """The payment and refund lines booking would send: waiting, failed or unmatched so far."""
    return payout.lines.filter(
        kind__in=[PayoutLine.Kind.PAYMENT, PayoutLine.Kind.REFUND],
        status__in=[PayoutLine.Status.PENDING, PayoutLine.Status.FAILED, PayoutLine.Status.UNMATCHED],
    )


@admin.register(PayoutFormat)
class PayoutFormatAdmin(UsableFiltersMixin, admin.ModelAdmin):
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
                    "col_merchant_account",
                    "col_order",
                    "col_psp_reference",
                    "col_gross",
                    "col_gross_debit",
                    "col_net",
                    "col_net_debit",
                    "col_fee",
                    "fees_negative",
                    "col_currency",
                    "col_net_currency",
                    "col_date",
                    "col_payout",
                ]
            },
        ),
        (
            "Type values",
            {
                "fields": [
                    "type_payment",
                    "type_refund",
                    "type_chargeback",
                    "type_fee",
                    "type_adjustment",
                    "type_payout",
                ],
                "description": "Every row's type must be one of these (comma-separated, any case) or a totals row "
                "('Total', 'Sum', ...): any other type refuses the file, naming the row.",
            },
        ),
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


class PayoutChangeList(ChangeList):
    """The page's figures (net, equals bank) in two grouped queries, whatever the page size."""

    def get_results(self, request):
        super().get_results(request)
        payouts = list(self.result_list)
        figures = payout_figures_for(payouts)
        for payout in payouts:
            payout.list_figures, payout.list_net = figures[payout.pk]
        self.result_list = payouts


@admin.register(Payout)
class PayoutAdmin(UsableFiltersMixin, PayoutImportMixin, admin.ModelAdmin):
    list_display = [
        "payout_display",
        "integration_display",
        "bank_display",
        "net_display",
        "balance_display",
        "status_display",
    ]
    list_filter = ["status", "integration", "format"]
    list_select_related = ["integration", "format"]
    search_fields = ["reference", "merchant_account", "file_name", "lines__order_number", "lines__psp_reference"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "integration",
        "format",
        "reference",
        "merchant_account",
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
    change_form_template = "admin/sync/payout/change_form.html"

    actions = ["book_now"]

    class Media:  # the lists' laptop layout (1366 px): compact cells, the left navigation folded
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    def has_add_permission(self, request):
        return False  # payouts come from files: use "Import a payout file"

    def has_book_permission(self, request):
        return request.user.has_perm(BOOK_PERMISSION)

    def book_hint(self, request) -> str:
        """Why the user cannot book ('' when they can): the permission, who grants it."""
        return permission_hint(request.user, BOOK_PERMISSION, doing="Booking payouts' lines in the ERP")

    @admin.action(description="Book the lines not booked yet in the ERP now", permissions=["book"])
    def book_now(self, request, queryset):
        from sync.services import flow_run_enqueue

        queued = refused = 0
        for payout in queryset.select_related("integration"):
            ids = [line.source_id for line in _waiting_lines(payout)]
            if not ids:
                continue
            try:
                flow_run_enqueue(
                    integration=payout.integration,
                    flow=Flow.PAYOUTS,
                    trigger=SyncRun.Trigger.BOOKING,
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

    def book_view(self, request, object_id):
        """The payout page's Book button (POST): book_now for this payout, back to its page. Needs
        sync.view_payout and sync.book_payout (403 page naming the one missing)."""
        if not (self.has_view_permission(request) and self.has_book_permission(request)):
            raise PermissionDenied
        payout = self.get_object(request, object_id)
        if payout is None:
            raise Http404
        if request.method != "POST":  # an address typed or bookmarked: the payout's page, nothing booked
            return redirect("admin:sync_payout_change", payout.pk)
        self.book_now(request, Payout.objects.filter(pk=payout.pk))
        return redirect("admin:sync_payout_change", payout.pk)

    def changelist_view(self, request, extra_context=None):
        hint = self.book_hint(request)
        if hint and request.method == "POST" and request.POST.get("action") == "book_now":
            self.message_user(request, f"Nothing was booked. {hint}", messages.ERROR)  # e.g. a page opened before
            return redirect(request.get_full_path())
        return super().changelist_view(request, {**(extra_context or {}), "book_hint": hint})

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="sync_payout_import"),
            path("demo-file/", self.admin_site.admin_view(self.demo_file_view), name="sync_payout_demo_file"),
            path("<path:object_id>/book/", self.admin_site.admin_view(self.book_view), name="sync_payout_book"),
            *super().get_urls(),
        ]

    def get_changelist(self, request, **kwargs):
        return PayoutChangeList

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payout = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **(self._lines_context(request, payout) if payout else {})}
        if payout:
            extra_context.update(book_hint=self.book_hint(request), can_book=self.has_book_permission(request))
            # What the button books: the payment and refund lines waiting or not booked (no matching document,
            # failed): their count and the cash they move, the "Waiting" and "Not booked" rows of the report.
            states = payout_report(payout=payout).states
            extra_context["book_waiting"] = _waiting_lines(payout).count()
            extra_context["book_amount"] = money_text(states[1].total + states[2].total, payout.currency)
            extra_context["erp_name"] = _erp_name(payout)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _lines_context(request, payout) -> dict:
        """One page of the payout's lines (LINES_PER_PAGE), filtered by ?line_status=: constant queries."""
        status = request.GET.get("line_status", "")
        erp_name = _erp_name(payout)
        lines = payout.lines.order_by("line_no")
        if status in PayoutLine.Status.values:
            lines = lines.filter(status=status)
        else:
            status = ""
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("lines_page"))
        for line in page:  # the page keeps its lines once read: the texts stay on them for the template
            line.gross_text = money_text(line.gross, line.currency)
            line.fee_text = money_text(line.fee, line.currency)
            line.carried_fee_text = money_text(line.carried_fee, line.currency) if line.carried_fee else ""
            line.status_text = _in_erp(line.get_status_display(), erp_name)
        counts = dict(payout.lines.order_by().values_list("status").annotate(n=Count("pk")))
        return {
            "lines_page": page,
            "line_status": status,
            "line_statuses": [
                (value, _in_erp(label.lower(), erp_name), counts.get(value, 0))
                for value, label in PayoutLine.Status.choices
            ],
            "lines_total": sum(counts.values()),
        }

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

    @admin.display(description="Payout", ordering="reference")
    def payout_display(self, obj):
        """Payout id and merchant account: what the bank transfer's text names."""
        return short_label(f"{obj.reference} ({obj.merchant_account})" if obj.merchant_account else obj.reference)

    @admin.display(description="Integration", ordering="integration__name")
    def integration_display(self, obj):
        """The integration's name cut for a list cell, the whole name in the tooltip."""
        return short_name(obj.integration.name)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Bank amount", ordering="bank_amount")
    def bank_display(self, obj):
        return money_text(obj.bank_amount, obj.currency)

    @admin.display(description="Net")
    def net_display(self, obj):
        net = obj.list_net if hasattr(obj, "list_net") else payout_report(payout=obj).net
        return money_text(net, obj.currency)

    @admin.display(description="Equals bank")
    def balance_display(self, obj):
        if hasattr(obj, "list_net"):
            net, by_hand = obj.list_net, obj.list_figures.by_hand
        else:
            report = payout_report(payout=obj)
            net, by_hand = report.net, report.by_hand
        if obj.bank_amount is not None and net == obj.bank_amount:
            if by_hand:  # the file balances, the ERP's cash does not until the rest is booked by hand
                return format_html(
                    '<b style="color:#b26a00">net yes; {} to book by hand</b>', money_text(by_hand, obj.currency)
                )
            return mark_safe('<b style="color:#2e7d32">yes</b>')
        difference = "no bank amount" if obj.bank_amount is None else money_text(net - obj.bank_amount, obj.currency)
        return format_html('<b style="color:#c62828">no ({})</b>', difference)

    @admin.display(description="Report")
    def report_display(self, obj):
        report = payout_report(payout=obj)

        def money(value):
            return money_text(value, obj.currency, report.places)

        rows = figure_rows(report.figures, bank_amount=report.bank_amount, currency=obj.currency, places=report.places)
        rows.insert(-1, ("Booked so far", money(report.booked_cash)))
        body = format_html_join("", "<tr><th>{}</th><td style='text-align:right'>{}</td></tr>", rows)
        if not report.balances:
            verdict = format_html(
                '<p style="color:#c62828"><b>Net and bank amount differ by {}.</b></p>', money(report.difference)
            )
        elif report.by_hand:
            verdict = mark_safe("<p><b>The file's net equals the bank amount to the cent.</b></p>")
        else:
            verdict = mark_safe('<p style="color:#2e7d32"><b>The payout balances to the cent.</b></p>')
        if report.erp_equals_bank:
            erp = mark_safe(
                '<p style="color:#2e7d32"><b>Booked in full, the ERP\'s cash movement equals the bank amount.</b></p>'
            )
        elif report.by_hand:
            erp = format_html(
                '<p style="color:#c62828"><b>{} is left to book by hand (lines “to book by hand”); with it the '
                "ERP's cash movement equals the bank amount.</b></p>",
                money(report.by_hand),
            )
        else:
            erp = ""
        erp_name = _erp_name(obj)
        counts = ", ".join(
            f"{n} {_in_erp(PayoutLine.Status(s).label.lower(), erp_name)}" for s, n in sorted(report.counts.items())
        )
        return format_html(
            '<table class="koppla-report">{}</table>{}{}<p>Lines: {}</p>{}',
            body,
            verdict,
            erp,
            counts,
            _states(report, obj.currency, erp_name),
        )


def _states(report, currency: str, erp_name: str) -> str:
    """Where the net stands: booked, waiting, not booked and to book by hand, with a total line equal to the net."""
    rows = state_rows(list(report.states), currency=currency, places=report.places)
    rows = [(_in_erp(label, erp_name), *texts) for label, *texts in rows]
    cell = "<td style='text-align:right'>{}</td>" * 6
    body = format_html_join("", "<tr><th>{}</th>" + cell + "</tr>", rows[:-1])
    total = format_html(
        "<tr class='koppla-states-total'><th>{}</th>" + cell.replace("{}", "<b>{}</b>") + "</tr>", *rows[-1]
    )
    names = ("Payments", "Refunds", "Chargebacks", "Fees", "Adjustments", "Total")
    head = format_html_join("", "<th style='text-align:right'>{}</th>", ((name,) for name in names))
    return format_html(
        "<h3>Where the net stands</h3><table class='koppla-states'><tr><th></th>{}</tr>{}{}</table>",
        head,
        body,
        total,
    )
