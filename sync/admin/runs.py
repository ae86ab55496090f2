"""Admin of sync runs: progress, a run whose worker went silent, retry of the failed records."""

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils import timezone
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, changelist_link
from sync.heartbeat import run_is_stale, stale_runs
from sync.models import RecordLog, SyncRun
from sync.run_filters import EmptyScheduledRunsFilter
from sync.run_progress import duration_text

from .bulk import BulkSpec, bulk_confirm_or_start
from .common import (
    LIST_MEDIA_CSS,
    LIST_MEDIA_JS,
    PROGRESS_CHARS,
    KeySearchMixin,
    RunPermissionMixin,
    compact_flow,
    compact_when,
    run_progress_text,
    short_label,
    stale_run_text,
    status_badge,
)

# Asks first: what is confirmed is recorded as a bulk action and handled in chunks (sync/bulk.py).
RETRY_FAILED = BulkSpec(
    title="Retry the failed records?",
    explanation="Every record that failed in these runs and has not succeeded since is synced again now. "
    "Records already created remotely are found through their binding or a remote search, never created twice.",
    confirm_label="Yes, retry them",
    handler="sync.bulk_handlers.runs_failed_resync",
    result_text="Queued {count} failed record(s) for another attempt.",
)


@admin.register(SyncRun)
class SyncRunAdmin(KeySearchMixin, RunPermissionMixin, ReadOnlyAdmin):
    """Runs, hundreds of thousands of them (most of them empty scheduled runs, hidden by default): the status
    filter and the hidden runs' count have their indexes (SyncRun.Meta.indexes); the search is by key."""

    actions = ["retry_failed"]
    list_display = [
        "id",
        "flow_display",
        "trigger_display",
        "status_display",
        "progress_cell",
        "ok",
        "skipped",
        "failed",
        "started",
        "duration_display",
    ]
    list_filter = [
        "status",
        "flow",
        "trigger",
        "dry_run",
        "integration",
        ("created_at", DateFieldListFilter),
        EmptyScheduledRunsFilter,
    ]

    @admin.display(description="Trigger", ordering="trigger")
    def trigger_display(self, obj):
        """The trigger's short name ("Follow-up"); the full label is on the run's page."""
        return obj.get_trigger_display().split(" (")[0]

    list_select_related = ["integration"]
    key_search_fields = ("cursor_to",)
    search_fields = ["id", "cursor_to"]
    search_help_text = "The run's number (e.g. 1234) or the start of where it stopped reading (its cursor)."
    ordering = ["-created_at"]
    fields = [
        "integration",
        "flow",
        "trigger",
        "status_display",
        "dry_run",
        "requested_by",
        "progress",
        "ok_count",
        "skipped_count",
        "failed_count",
        "records_link",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "current_source_id",
        "duration_display",
        "cursor_from",
        "cursor_to",
        "message",
        "task_id",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    def get_search_results(self, request, queryset, search_term):
        """The run's number (exact, by its primary key) or the start of its cursor (KeySearchMixin)."""
        term = search_term.strip()
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if term.lstrip("#").isdigit() and len(term) < 19:
            found = found | queryset.filter(pk=int(term.lstrip("#")))
        return found, duplicates

    def changelist_view(self, request, extra_context=None):
        # Refresh while a run is alive; a run whose worker died refreshes nothing.
        live = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exclude(pk__in=stale_runs().values("pk"))
        extra_context = {**(extra_context or {}), "any_running": live.exists()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = SyncRun.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra_context = {
            **(extra_context or {}),
            "run_live": bool(run and run.status == "running" and not run_is_stale(run)),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        if run_is_stale(obj):
            return status_badge("failed", stale_run_text(obj))
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Progress")
    def progress(self, obj):
        """The run's progress in words (run_progress_text), cut to PROGRESS_CHARS in the list (the whole text in
        the tooltip) so a long listing text never pushes Started and Duration off a laptop screen."""
        if run_is_stale(obj):
            return f"stopped at {obj.done} / {obj.total}" if obj.total else f"stopped after {obj.done}"
        return run_progress_text(obj)

    @admin.display(description="Progress")
    def progress_cell(self, obj):
        return short_label(self.progress(obj), PROGRESS_CHARS)

    @admin.display(description="Flow", ordering="flow")
    def flow_display(self, obj):
        return compact_flow(obj)

    @admin.display(description="OK", ordering="ok_count")
    def ok(self, obj):
        return obj.ok_count

    @admin.display(description="Skipped", ordering="skipped_count")
    def skipped(self, obj):
        return obj.skipped_count

    @admin.display(description="Failed", ordering="failed_count")
    def failed(self, obj):
        return format_html('<b class="koppla-msg-error">{}</b>', obj.failed_count) if obj.failed_count else "0"

    @admin.display(description="Started", ordering="started_at")
    def started(self, obj):
        return compact_when(obj.started_at)

    @admin.action(description="Retry all failed records of the selected runs", permissions=["resync"])
    def retry_failed(self, request, queryset):
        return bulk_confirm_or_start(self, request, queryset, action="retry_failed", spec=RETRY_FAILED)

    @admin.display(description="Duration")
    def duration_display(self, obj):
        """ "8 min" for a finished run, "1 h 30 min so far" for a running one (sync/run_progress.duration_text)."""
        duration = obj.duration
        if duration is None and obj.status == SyncRun.Status.RUNNING and obj.started_at:
            return f"{duration_text((timezone.now() - obj.started_at).total_seconds())} so far"
        return duration_text(duration.total_seconds()) if duration is not None else "—"

    @admin.display(description="Records")
    def records_link(self, obj):
        return changelist_link(RecordLog, "Show the records of this run", run__id__exact=obj.pk)
