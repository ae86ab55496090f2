from functools import wraps

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.urls import path


class KopplaAdminSite(admin.AdminSite):
    site_header = "Koppla"
    site_title = "Koppla"
    index_title = "Operations"

    def get_urls(self):
        from sync.views import dashboard_view

        return [path("dashboard/", self.admin_view(dashboard_view), name="dashboard"), *super().get_urls()]

    def each_context(self, request):
        """Every admin page's context, plus `time_zone`: the zone its times are shown in (settings.TIME_ZONE),
        named in the header ("Times in Europe/Stockholm")."""
        return {**super().each_context(request), "time_zone": settings.TIME_ZONE}

    def admin_view(self, view, cacheable=False):
        """Every list page (a ModelAdmin's changelist_view) refuses an action posted with a row id that cannot be a
        row of its model (see `unusable_selected_ids`): the list again with a message, nothing done."""
        model_admin = getattr(view, "__self__", None)
        if getattr(view, "__name__", "") == "changelist_view" and isinstance(model_admin, admin.ModelAdmin):
            view = _selection_checked(view, model_admin)
        return super().admin_view(view, cacheable)


def unusable_selected_ids(model, values: list[str]) -> list[str]:
    """The ticked row ids (`_selected_action`) that cannot be a primary key of `model`: not of its type ('abc',
    ''), or outside the range the database's primary key column holds ('99999999999999999999999')."""
    field = model._meta.pk
    ranges = connection.ops.integer_field_ranges
    low, high = ranges.get(field.get_internal_type(), (None, None))
    bad = []
    for value in values:
        try:
            key = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            bad.append(value)
            continue
        if key in (None, "") or (low is not None and key < low) or (high is not None and key > high):
            bad.append(value)
    return bad


def _selection_checked(view, model_admin):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST" and "action" in request.POST and request.POST.get("select_across") != "1":
            bad = unusable_selected_ids(model_admin.model, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
            if bad:
                shown = ", ".join(f"'{value[:30]}'" for value in bad[:5])
                messages.warning(
                    request,
                    f"Nothing was done: the selection holds {len(bad)} row id(s) that are not rows of this list "
                    f"({shown}), as a page posted again after the list changed can. Tick the rows again and choose "
                    "the action.",
                )
                return HttpResponseRedirect(request.get_full_path())
        return view(request, *args, **kwargs)

    return checked
