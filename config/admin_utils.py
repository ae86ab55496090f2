"""Small helpers shared by the admin modules of every app."""

import json
import re
from copy import copy

from django.contrib import admin, messages
from django.contrib.admin.filters import ChoicesFieldListFilter, RelatedFieldListFilter, SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import FieldError, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from .admin_actions import NOT_FILTERS

AUDIT_FIELDS = ("created_at", "updated_at")


def admin_url(obj, action: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


def admin_link(obj, text: str | None = None):
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else str(obj))


def changelist_link(model, text: str, **filters):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


def pretty_json(value):
    if value in (None, "", [], {}):
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return format_html('<pre class="koppla-json">{}</pre>', text)


# Query parameters of a list page that are not filters; the rest are (list_filter, date drill-down, lookups).
LIST_PARAMETERS = NOT_FILTERS | {"q", "_facets"}
# What a filter value the list cannot use raises while the list is built (e.g. a year too large for a date).
FILTER_FAULTS = (IncorrectLookupParameters, ValidationError, ValueError, TypeError, OverflowError, FieldError)


class UsableFiltersMixin:
    """A list whose address carries a filter value it cannot use shows the list without that filter and a
    warning naming it (e.g. "status__exact = 'nonsense'"), never Django's "?e=1" "Database error" page or a
    server error. Unusable: a value the filter cannot read (a word where an id, a number or a date belongs,
    a year beyond 9999) or one that is none of the filter's choices (a status that does not exist, the id of
    an integration since deleted). The other filters, the search, sorting and page stay as they were.
    """

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except FILTER_FAULTS as exc:  # Django turns only some of these into IncorrectLookupParameters
            raise IncorrectLookupParameters(exc) from exc

    def changelist_view(self, request, extra_context=None):
        if ERROR_FLAG in request.GET:  # an address saved from Django's error page
            return _list_without(request, [ERROR_FLAG])
        response = super().changelist_view(request, extra_context)
        if isinstance(response, HttpResponseRedirect) and response.url == f"{request.path}?{ERROR_FLAG}=1":
            return _list_without(request, self.unusable_filters(request))
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        unknown = _values_not_among_choices(changelist) if changelist is not None else []
        return _list_without(request, unknown) if unknown else response

    def unusable_filters(self, request) -> list[str]:
        """The filter parameters the list cannot be built with, each tried on its own (all when each works
        alone, as when two filters contradict each other)."""
        names = [name for name in request.GET if name not in LIST_PARAMETERS]
        bad = []
        for name in names:
            alone = copy(request)
            alone.GET = request.GET.copy()
            for other in names:
                if other != name:
                    alone.GET.pop(other)
            try:
                self.get_changelist_instance(alone)
            except IncorrectLookupParameters:
                bad.append(name)
        return bad or names


def _values_not_among_choices(changelist) -> list[str]:
    """Parameters of the list's choice filters (related rows, field choices, the list's own filters such as
    "regime") whose value is none of the choices."""
    unknown = []
    for spec in changelist.filter_specs:
        if isinstance(spec, SimpleListFilter):
            if spec.value() is not None and str(spec.value()) not in {str(v) for v, _label in spec.lookup_choices}:
                unknown.append(spec.parameter_name)
            continue
        if isinstance(spec, RelatedFieldListFilter):
            allowed = {str(pk) for pk, _label in spec.lookup_choices}
        elif isinstance(spec, ChoicesFieldListFilter):
            allowed = {str(value) for value, _label in spec.field.flatchoices}
        else:
            continue
        values = spec.lookup_val or []
        if any(str(value) not in allowed for value in values):
            unknown.append(spec.lookup_kwarg)
    return unknown


def _list_without(request, names: list[str]) -> HttpResponseRedirect:
    """The same list without the parameters `names`; a warning names the filters left out."""
    query = request.GET.copy()
    dropped = [f"{name} = {query.get(name, '')[:40]!r}" for name in names if name != ERROR_FLAG and name in query]
    for name in names:
        query.pop(name, None)
    if dropped:
        messages.warning(
            request,
            f"This list cannot be filtered by {'; '.join(dropped)} (no such value; it may have been deleted or "
            "mistyped), so it is shown without that filter.",
        )
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)


class ReadOnlyAdmin(UsableFiltersMixin, admin.ModelAdmin):
    """Records written by the system: viewable and filterable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def erp_capitalised(text: str) -> str:
    """A label with "ERP" written as the abbreviation it is ("Erp payment method" → "ERP payment method")."""
    return re.sub(r"\berp\b", "ERP", text, flags=re.IGNORECASE)


class ErpLabelsMixin:
    """ModelAdmin forms label fields named after the ERP with "ERP", not Django's "Erp" from the field name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.label:
            field.label = erp_capitalised(str(field.label))
        return field
