from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from .charts import records_per_day_svg
from .selectors import dashboard_build, number_series_latest

DASHBOARD_PERMISSION = "sync.view_syncrun"  # the dashboard shows every flow's runs and record counts


def dashboard_view(request):
    """Operations dashboard: flow health, failed records, records per day, warnings. Staff with
    DASHBOARD_PERMISSION only; others get the 403 page naming it (config/forbidden.py)."""
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    dashboard = dashboard_build()
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "dashboard": dashboard,
        "chart": records_per_day_svg(dashboard.days),
        "number_series": number_series_latest().order_by("connection__name", "numbering_id"),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
