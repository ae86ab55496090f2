"""Admin side of bulk actions: confirm, then record and run (sync/bulk.py); the Bulk actions list; delete at volume."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_format_dict
from django.db.models import CASCADE
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from config.admin_actions import confirm_page, selection_of
from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin
from sync.bulk import CHUNK_SIZE, bulk_action_problems, bulk_action_start, bulk_action_summary
from sync.models import BulkAction

from .common import status_badge


@dataclass(frozen=True)
class BulkSpec:
    """An action with a confirmation page: its texts and the chunk handler (dotted path) that does the work."""

    title: str
    explanation: str
    confirm_label: str
    handler: str
    result_text: str


def bulk_confirm_or_start(modeladmin, request, queryset, *, action: str, spec: BulkSpec):
    """The body of an admin action that asks first: the confirmation page, then the BulkAction.

    Returns the confirmation page, or None (Django goes back to the list) once
    the action ran (at most one chunk) or was queued as a task (more).
    """
    selection = selection_of(modeladmin, request, queryset)
    if "confirm" not in request.POST:
        return confirm_page(
            modeladmin,
            request,
            selection,
            action=action,
            title=spec.title,
            explanation=spec.explanation,
            confirm_label=spec.confirm_label,
        )
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    if not ids:
        modeladmin.message_user(
            request,
            "Nothing was done: none of the selected rows is left (the list changed meanwhile).",
            messages.WARNING,
        )
        return None
    actions = modeladmin.get_actions(request)
    title = str(actions[action][2]) % model_format_dict(modeladmin.opts) if action in actions else spec.title
    opts = modeladmin.model._meta
    bulk_action = bulk_action_start(
        title=title,
        action=action,
        model_label=opts.label_lower,
        handler=spec.handler,
        result_text=spec.result_text,
        selection=selection.text,
        filters=selection.filters if selection.select_across else "",
        object_ids=ids,
        requested_by=request.user,
    )
    bulk_action_report(modeladmin, request, bulk_action)
    return None


def bulk_action_report(modeladmin, request, bulk_action: BulkAction) -> None:
    """Tell the user what happened (finished) or where to follow it (queued)."""
    link = format_html(
        '<a href="{}">Sync › Bulk actions</a>', reverse("admin:sync_bulkaction_change", args=[bulk_action.pk])
    )
    if not bulk_action.is_finished:
        modeladmin.message_user(
            request,
            format_html(
                "{}: {}. Started in the background in chunks of {}; follow its progress under {}.",
                bulk_action.title,
                bulk_action.selection,
                CHUNK_SIZE,
                link,
            ),
            messages.INFO,
        )
        return
    levels = {
        BulkAction.Status.SUCCEEDED: messages.SUCCESS,
        BulkAction.Status.PARTIAL: messages.WARNING,
        BulkAction.Status.FAILED: messages.ERROR,
    }
    modeladmin.message_user(request, bulk_action_summary(bulk_action), levels[bulk_action.status])
    for problem in bulk_action_problems(bulk_action):
        modeladmin.message_user(request, problem, messages.ERROR)


# --------------------------------------------------------------------------- Django's delete, at volume
def _cascading_models(model, seen=None) -> set:
    """Models whose rows are deleted with `model`'s (on_delete=CASCADE, followed through)."""
    seen = set() if seen is None else seen
    for relation in model._meta.related_objects:
        related = relation.related_model
        if relation.on_delete is CASCADE and related not in seen and not related._meta.auto_created:
            seen.add(related)
            _cascading_models(related, seen)
    return seen


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected", except for "Select all N" beyond a page: then the page carries the filter.

    Up to a page Django's own page lists every row and what goes with it. Beyond
    that, the deletion needs delete permission on every admin-registered model
    that cascades from this one, and runs as a bulk action: rows other rows
    protect stay and are named.
    """
    selection = selection_of(modeladmin, request, queryset)
    if not selection.select_across or selection.count <= modeladmin.list_per_page:
        return django_delete_selected(modeladmin, request, queryset)
    registry = modeladmin.admin_site._registry
    cascading = _cascading_models(modeladmin.model)
    refused = sorted(
        str(m._meta.verbose_name_plural)
        for m in cascading | {modeladmin.model}
        if m in registry and not registry[m].has_delete_permission(request)
    )
    if refused:
        modeladmin.message_user(
            request,
            f"Nothing was deleted: deleting these rows also deletes {', '.join(refused)}, which you may not delete.",
            messages.ERROR,
        )
        return None
    noun = modeladmin.model._meta.verbose_name_plural
    with_them = sorted(str(m._meta.verbose_name_plural) for m in cascading)
    spec = BulkSpec(
        title=f"Delete {selection.count} {noun}?",
        explanation=f"They are deleted in chunks of {CHUNK_SIZE}"
        + (f", with the {', '.join(with_them)} that belong to them" if with_them else "")
        + ". Rows that other rows still refer to are kept and named. This cannot be undone.",
        confirm_label="Yes, delete them",
        handler="sync.bulk_handlers.objects_delete",
        result_text=f"Deleted {{count}} {noun}.",
    )
    return bulk_confirm_or_start(modeladmin, request, queryset, action="delete_selected", spec=spec)


admin.site.add_action(delete_selected, "delete_selected")


# --------------------------------------------------------------------------- the list of bulk actions
@admin.register(BulkAction)
class BulkActionAdmin(ReadOnlyAdmin):
    """Every action confirmed on a selection: who, what, how far. People see their own; `view_bulkaction` all."""

    list_display = ["id", "title", "selection", "status_display", "progress", "problems", "requested_by", "created_at"]
    list_filter = ["status", "model_label"]
    list_select_related = ["requested_by"]
    search_fields = ["title", "selection", "message"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "title",
        "selection",
        "list_link",
        "status_display",
        "progress",
        "count",
        "problems",
        "message",
        "requested_by",
        "started_at",
        "finished_at",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        unfinished = self.get_queryset(request).filter(status__in=[BulkAction.Status.QUEUED, BulkAction.Status.RUNNING])
        extra_context = {**(extra_context or {}), "any_unfinished": unfinished.exists()}
        return super().changelist_view(request, extra_context)

    def has_view_permission(self, request, obj=None):
        if request.user.has_perm("sync.view_bulkaction"):
            return True
        return (
            request.user.is_active and request.user.is_staff and (obj is None or obj.requested_by_id == request.user.pk)
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).defer("object_ids")
        if request.user.has_perm("sync.view_bulkaction"):
            return queryset
        return queryset.filter(requested_by=request.user)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Progress")
    def progress(self, obj):
        return f"{obj.done} / {obj.total}"

    @admin.display(description="List")
    def list_link(self, obj):
        label = obj.model_label.split(".")
        try:
            url = reverse(f"admin:{label[0]}_{label[1]}_changelist")
        except NoReverseMatch:
            return obj.model_label
        return format_html('<a href="{}?{}">The list it was started from</a>', url, obj.filters)
