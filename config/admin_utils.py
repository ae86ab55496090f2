"""Small helpers shared by the admin modules of every app."""

import json
import re
from copy import copy

from django.contrib import admin, messages
from django.contrib.admin.filters import (
    ChoicesFieldListFilter,
    FieldListFilter,
    RelatedFieldListFilter,
    SimpleListFilter,
)
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
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
            unreadable = self.unusable_filters(request)
            rest = _request_without(request, unreadable)
            try:
                changelist = self.get_changelist_instance(rest)
            except IncorrectLookupParameters:  # the rest contradict each other: all of them were named already
                return _list_without(request, unreadable)
            return _list_without(request, unreadable + _values_not_among_choices(changelist, rest))
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        unknown = _values_not_among_choices(changelist, request) if changelist is not None else []
        return _list_without(request, unknown) if unknown else response

    def unusable_filters(self, request) -> list[str]:
        """The filter parameters the list cannot be built with, each tried on its own (all when each works
        alone, as when two filters contradict each other)."""
        names = [name for name in request.GET if name not in LIST_PARAMETERS]
        bad = []
        for name in names:
            try:
                self.get_changelist_instance(_request_without(request, [other for other in names if other != name]))
            except IncorrectLookupParameters:
                bad.append(name)
        return bad or names


def _request_without(request, names: list[str]):
    """A copy of the request whose address lacks the parameters `names`."""
    other = copy(request)
    other.GET = request.GET.copy()
    for name in names:
        other.GET.pop(name, None)
    return other


def _values_not_among_choices(changelist, request) -> list[str]:
    """Parameters of the list's choice filters (related rows, field choices, the list's own filters such as
    "regime", the status filter's "Failed" (`status__in`) whose values are none of the choices; also a filter
    Django hides, and so would silently ignore, because it has a single choice (one integration)."""
    specs = list(changelist.filter_specs)
    used = {name for spec in specs for name in spec.expected_parameters()}
    if any(name not in used and name not in LIST_PARAMETERS for name in request.GET):  # a hidden filter's, or a lookup
        specs = _every_filter(changelist, request)
    unknown = []
    for spec in specs:
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
        values = [str(value) for value in spec.lookup_val or []]
        if any(value not in allowed for value in values):
            unknown.append(spec.lookup_kwarg)
        within = getattr(spec, "lookup_val_in", None)  # StatusWithFailedFilter's several statuses at once
        if within and any(value not in allowed for value in str(within).split(",")):
            unknown.append(spec.lookup_kwarg_in)
    return list(dict.fromkeys(unknown))


def _every_filter(changelist, request) -> list:
    """Every filter of the list, also those without output (Django leaves them out of filter_specs and does
    not filter by them)."""
    params = changelist.get_filters_params()
    specs = []
    model, model_admin = changelist.model, changelist.model_admin
    for list_filter in changelist.list_filter:
        if callable(list_filter):  # a SimpleListFilter class
            specs.append(list_filter(request, params, model, model_admin))
            continue
        path, factory = list_filter if isinstance(list_filter, (list, tuple)) else (list_filter, FieldListFilter.create)
        field = get_fields_from_path(model, path)[-1]
        specs.append(factory(field, request, params, model, model_admin, field_path=path))
    return specs


def _list_without(request, names: list[str]) -> HttpResponseRedirect:
    """The same list without the parameters `names`; one warning names every filter left out with its value."""
    query = request.GET.copy()
    dropped = [f"{name} = {query.get(name, '')[:40]!r}" for name in names if name != ERROR_FLAG and name in query]
    for name in names:
        query.pop(name, None)
    if dropped:
        that = "that filter" if len(dropped) == 1 else "those filters"
        messages.warning(
            request,
            f"This list cannot be filtered by {'; '.join(dropped)} (no such value; it may have been deleted or "
            f"mistyped), so it is shown without {that}.",
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
