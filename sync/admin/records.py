"""Admin of what happened to each record: record logs (every attempt) and records (current state, dead letters)."""

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, admin_link, admin_url, changelist_link, pretty_json
from config.errors import ApplicationError
from integrations.pauses import connections_paused
from sync.models import RecordLog, SyncRecord
from sync.record_names import record_label
from sync.services import records_resync

from .bulk import BulkSpec, bulk_confirm_or_start
from .common import (
    LIST_MEDIA_CSS,
    LIST_MEDIA_JS,
    KeySearchMixin,
    RunPermissionMixin,
    StatusWithFailedFilter,
    compact_flow,
    compact_when,
    short_label,
    short_message,
    short_when,
    status_badge,
)

KEY_SEARCH_HELP = (
    "The start of the source id, the record's label or what follows its kind (order number, e-mail, SKU: "
    "20015, erik@example.se, INV-10) or the target id, letters as written. Error texts are not searched: "
    "filter by status."
)

_RESYNC_TEXT = (
    "Each record is read again from the source and synced now. Whatever was already created in the "
    "target (found through its binding or a remote search) is reused, so nothing is created twice."
)


def _resync_spec(handler: str) -> BulkSpec:
    return BulkSpec(
        title="Resync these records?",
        explanation=_RESYNC_TEXT,
        confirm_label="Yes, resync",
        handler=handler,
        result_text="Queued {count} record(s) for resync.",
    )


RESYNC_RECORDS = _resync_spec("sync.bulk_handlers.sync_records_resync")
RESYNC_LOGS = _resync_spec("sync.bulk_handlers.record_logs_resync")


class ResyncButtonMixin:
    """A "Resync this record" button on the detail page of a record log or record state,
    and the record and status columns both lists show."""

    change_form_template = "admin/sync/resync_change_form.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/resync/",
                self.admin_site.admin_view(self.resync_view),
                name=f"{opts.app_label}_{opts.model_name}_resync",
            ),
            *super().get_urls(),
        ]

    def resync_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or request.method != "POST" or not self.has_resync_permission(request):
            raise PermissionDenied
        try:
            records_resync(
                integration=obj.integration, flow=obj.flow, source_ids=[obj.source_id], requested_by=request.user
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(admin_url(obj))
        state = SyncRecord.objects.filter(integration=obj.integration, flow=obj.flow, source_id=obj.source_id).first()
        label = record_label(obj)
        if state and state.status == SyncRecord.Status.OK:
            self.message_user(request, f"Resynced {label}: it succeeded.", messages.SUCCESS)
        elif state and state.status in (SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD):
            self.message_user(request, f"Resynced {label}: it failed again: {state.last_error}", messages.ERROR)
        elif pause := connections_paused(connections=[obj.integration.shop, obj.integration.erp]):
            self.message_user(
                request, f"Queued {label}: {pause.message} It is synced by the first run after that.", messages.WARNING
            )
        else:
            self.message_user(request, f"Queued {label} for resync; the result appears here shortly.", messages.INFO)
        return redirect(admin_url(state or obj))

    @admin.display(description="Record", ordering="source_label")
    def record(self, obj):
        """The record's name (sync/record_names.py), cut for the list; the whole name in the tooltip."""
        return short_label(record_label(obj))

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Message")
    def message(self, obj):
        """The whole error of a failed attempt, or the note of one that succeeded or was skipped."""
        text = getattr(obj, "error", None)
        text = text if text is not None else obj.last_error
        return linebreaksbr(text) if text else "—"

    @admin.display(description="Flow", ordering="flow")
    def flow_display(self, obj):
        return compact_flow(obj)

    @admin.display(description="Target", ordering="target_id")
    def target(self, obj):
        return obj.target_id or "—"

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_resync"] = self.has_resync_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(RecordLog)
class RecordLogAdmin(KeySearchMixin, ResyncButtonMixin, RunPermissionMixin, ReadOnlyAdmin):
    """Every attempt at a record, a million rows and more: filters, ordering and search each have an index
    (RecordLog.Meta.indexes), the count of the unfiltered list is PostgreSQL's estimate (EstimatedCountPaginator)
    and the dates are a filter, not Django's date hierarchy (which reads every row for its months)."""

    actions = ["resync_selected"]
    list_display = ["record", "status_display", "short_error", "run_link", "target", "flow_display", "created"]
    list_filter = ["status", "flow", "integration", ("created_at", DateFieldListFilter)]
    list_select_related = ["integration", "run"]
    key_search_fields = ("source_id", "source_label", "target_id")
    label_search_fields = ("source_label",)
    search_fields = list(key_search_fields)
    search_help_text = KEY_SEARCH_HELP
    ordering = ["-created_at"]
    fields = [
        "run_link",
        "integration",
        "flow",
        "source_id",
        "source_label",
        "target_id",
        "status",
        "attempt",
        "next_attempt_at",
        "message",
        "request_display",
        "response_display",
        "calls_display",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.action(description="Resync the selected records", permissions=["resync"])
    def resync_selected(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="resync_selected", spec=RESYNC_LOGS)

    @admin.display(description="Message")
    def short_error(self, obj):
        """The error of a failed attempt (red) or the note of one that succeeded or was skipped (grey)."""
        return short_message(obj.error, failed=obj.status == RecordLog.Status.FAILED)

    @admin.display(description="Run")
    def run_link(self, obj):
        attempt = f", attempt {obj.attempt}" if obj.attempt > 1 else ""
        return format_html("{}{}", admin_link(obj.run, f"#{obj.run_id}"), attempt)

    @admin.display(description="When", ordering="created_at")
    def created(self, obj):
        return compact_when(obj.created_at)

    @admin.display(description="Payload")
    def request_display(self, obj):
        return pretty_json(obj.request)

    @admin.display(description="Answer")
    def response_display(self, obj):
        return pretty_json(obj.response)

    @admin.display(description="Remote calls")
    def calls_display(self, obj):
        return pretty_json(obj.calls)


@admin.register(SyncRecord)
class SyncRecordAdmin(KeySearchMixin, ResyncButtonMixin, RunPermissionMixin, ReadOnlyAdmin):
    """The records' current state: the place to review failures and dead letters. Built for a million rows as
    the record logs are (SyncRecord.Meta.indexes, the estimated count, the key search, a date filter)."""

    actions = ["resync_selected"]
    list_display = [
        "record",
        "status_display",
        "short_error",
        "next_attempt",
        "target",
        "log_link",
        "flow_display",
    ]
    list_filter = [("status", StatusWithFailedFilter), "flow", "integration", ("updated_at", DateFieldListFilter)]
    list_select_related = ["integration", "last_log"]
    key_search_fields = ("source_id", "source_label", "target_id")
    label_search_fields = ("source_label",)
    search_fields = list(key_search_fields)
    search_help_text = KEY_SEARCH_HELP
    ordering = ["-updated_at"]
    fields = [
        "integration",
        "flow",
        "source_id",
        "source_label",
        "target_id",
        "status",
        "attempts",
        "next_attempt_at",
        "message",
        "log_link",
        "history_link",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    @admin.display(description="Message")
    def short_error(self, obj):
        """The last error of a failed record (red) or the note of a skipped or queued one (grey)."""
        failed = obj.status in (SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD)
        return short_message(obj.last_error, failed=failed)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        """The status and the number of tries; a retry whose time has passed is "Failed, retry due" (the next
        run of the flow takes it up), never a promise of a time already past."""
        tries = f" ({obj.attempts} tries)" if obj.attempts > 1 else ""
        label = "Failed, retry due" if _retry_due(obj) else obj.get_status_display()
        return format_html("{}{}", status_badge(obj.status, label), tries)

    @admin.display(description="Next attempt", ordering="next_attempt_at")
    def next_attempt(self, obj):
        """When the record is tried again; "due since 10:42" once that time has passed."""
        if _retry_due(obj):
            return f"due since {short_when(obj.next_attempt_at)}"
        return compact_when(obj.next_attempt_at)

    @admin.display(description="Last attempt")
    def log_link(self, obj):
        return admin_link(obj.last_log, f"log #{obj.last_log_id}") if obj.last_log_id else "—"

    @admin.display(description="All attempts")
    def history_link(self, obj):
        return changelist_link(
            RecordLog,
            "every attempt of this record",
            integration__id__exact=obj.integration_id,
            flow__exact=obj.flow,
            q=obj.source_id,
        )

    @admin.action(description="Resync the selected records", permissions=["resync"])
    def resync_selected(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="resync_selected", spec=RESYNC_RECORDS)


def _retry_due(record) -> bool:
    """A record failing and waiting for a retry whose time has come."""
    due = record.next_attempt_at
    return record.status == SyncRecord.Status.RETRYING and due is not None and due <= timezone.now()
