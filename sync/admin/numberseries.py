"""Admin of number-series readings: capacity left and overlaps, checked again on demand."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html

from config.admin_utils import ReadOnlyAdmin
from config.errors import ApplicationError
from sync.models import Integration, NumberSeriesCheck

from .common import LIST_MEDIA_CSS, LIST_MEDIA_JS, RunPermissionMixin, short_message, short_name


@admin.register(NumberSeriesCheck)
class NumberSeriesCheckAdmin(RunPermissionMixin, ReadOnlyAdmin):
    # The decisive columns first and short (a 1366 px laptop shows them all): which series, its status,
    # what is left, what it overlaps, the message cut to two lines; where it was read and when last.
    # Last and end number are on the check's page.
    list_display = [
        "numbering_id",
        "status_badge",
        "remaining",
        "overlaps_display",
        "short_message",
        "where",
        "checked_at",
    ]
    list_filter = ["status", "connection", "integration"]
    list_select_related = ["connection", "integration"]
    search_fields = ["numbering_id", "description", "message"]
    ordering = ["-checked_at"]
    date_hierarchy = "checked_at"
    actions = ["check_again"]
    change_list_template = "admin/sync/numberseriescheck/change_list.html"

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    @admin.display(description="Overlaps with")
    def overlaps_display(self, obj):
        """The integrations the series collides with, cut like a message (all of them in the tooltip)."""
        return short_message(obj.overlaps_with, failed=True)

    @admin.display(description="Message")
    def short_message(self, obj):
        """The check's message, cut to two lines: red for an error, grey otherwise (all of it on its page)."""
        return short_message(obj.message, failed=obj.status == NumberSeriesCheck.Status.ERROR)

    @admin.display(description="Connection", ordering="connection__name")
    def where(self, obj):
        """The ERP connection read and, small below, the integration whose series it is."""
        integration = short_name(obj.integration.name) if obj.integration_id else "—"
        return format_html("{}<br><small>{}</small>", short_name(obj.connection.name), integration)

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
        from sync.selectors import number_series_latest

        problems = number_series_latest().exclude(status=NumberSeriesCheck.Status.OK).order_by("numbering_id")
        extra_context = {
            **(extra_context or {}),
            "latest_problems": problems,
            "can_check": self.has_run_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def _check(self, request, integrations) -> None:
        from sync.services import number_series_check_run

        checks = []
        for integration in [None] if integrations is None else integrations:
            try:
                checks += number_series_check_run(integration=integration)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if not checks:
            self.message_user(
                request, f"No active integration with a {_number_series_erps()} ERP to check.", messages.WARNING
            )
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
        """No confirmation page and no ids carried: "Select all N" reads the integrations of the matching rows
        in one subquery, and the work is one number-series read per integration, not per row."""
        integrations = list(
            Integration.objects.filter(pk__in=queryset.exclude(integration=None).values("integration")).select_related(
                "erp"
            )
        )
        self._check(request, integrations)


def _number_series_erps() -> str:
    """The ERPs whose number series are checked, as messages name them, e.g. "Visma.net"."""
    from integrations.adapters import adapter_name, systems_with
    from integrations.systems import Role
    from sync.ports import NUMBER_SERIES

    return " or ".join(adapter_name(system, role=Role.ERP) for system in systems_with(NUMBER_SERIES, role=Role.ERP))
