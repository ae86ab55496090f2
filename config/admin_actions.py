"""Admin actions that ask first: the confirmation page carries the selection, not one field per row.

Django's list page posts the ticked rows of the page plus `select_across=1`
when the user chose "Select all N". A confirmation page that repeated N ids
would post N fields and hit DATA_UPLOAD_MAX_NUMBER_FIELDS (a bare 400 at
1,000). Here the page posts back to the list URL with its query string
(filter, search, date) and `select_across`, so Django rebuilds the same
selection from the filter; ticked rows (at most a page) are carried as ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.template.response import TemplateResponse
from django.urls import reverse

LISTED = 20  # rows named on a confirmation page; the rest are counted
NOT_FILTERS = {"p", "o", "all", "_changelist_filters", "_popup", "_to_field", "e"}


@dataclass
class Selection:
    """The rows an action was asked to act on.

    `select_across`: "Select all N" was used, the rows are the list's filter
    (`filters`, the list page's query string); else `ids` are the ticked rows.
    `text`: the selection in words, e.g. "All 1500 records matching Status: Failed, gave up".
    """

    queryset: object
    count: int
    select_across: bool
    ids: list[str]
    filters: str
    text: str


def _noun(opts, count: int) -> str:
    return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)


def selection_of(modeladmin, request, queryset) -> Selection:
    """What the action's queryset is, as the list page had it (Django applied the filter already)."""
    select_across = request.POST.get("select_across") in ("1", "True", "true", "on")
    filters = request.GET.urlencode()
    count = queryset.count()
    noun = _noun(modeladmin.model._meta, count)
    if select_across:
        described = filter_description(modeladmin, request)
        text = f"All {count} {noun} matching {described}" if described else f"All {count} {noun} in the list"
        ids = []
    else:
        ids = [str(pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)]
        text = f"{count} selected {noun}"
    return Selection(queryset=queryset, count=count, select_across=select_across, ids=ids, filters=filters, text=text)


def filter_description(modeladmin, request) -> str:
    """The list page's filter and search in words: "Status: Failed, gave up; search "1001"" ("" without one)."""
    params = request.GET
    parts, used = [], set(NOT_FILTERS)
    try:
        changelist = modeladmin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        changelist = None
    for spec in getattr(changelist, "filter_specs", []):
        expected = [name for name in spec.expected_parameters() if name in params]
        if not expected:
            continue
        chosen = [str(choice["display"]) for choice in spec.choices(changelist) if choice.get("selected")]
        if chosen:
            parts.append(f"{spec.title[:1].upper()}{spec.title[1:]}: {', '.join(chosen)}")
            used.update(expected)
    if params.get("q"):
        parts.append(f'search "{params["q"]}"')
        used.add("q")
    parts += [f"{key} = {value}" for key, value in params.items() if key not in used]
    return "; ".join(parts)


def changelist_url(modeladmin, filters: str = "") -> str:
    opts = modeladmin.model._meta
    url = reverse(f"{modeladmin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{filters}" if filters else url


def confirm_page(
    modeladmin, request, selection: Selection, *, action: str, title: str, explanation: str, confirm_label: str
):
    """The page an action shows before it acts; its button posts the action again with `confirm=yes`."""
    shown = list(selection.queryset[:LISTED])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "confirm_label": confirm_label,
        "selection": selection,
        "shown": shown,
        "more": max(selection.count - len(shown), 0),
        "first_pk": shown[0].pk if shown else "",
        "post_url": changelist_url(modeladmin, selection.filters),
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/sync/confirm_action.html", context)
