"""Pieces shared by the Sync admin pages: status colours, the run/resync permissions and the compact list cells
that keep each list's decisive columns inside a 1366 px laptop screen."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from sync.record_names import KIND_NAMES

STATUS_COLOURS = {
    "ok": "#2e7d32",
    "succeeded": "#2e7d32",
    "connected": "#2e7d32",
    "running": "#1a5fb4",
    "queued": "#1a5fb4",
    "dry_run": "#6a1b9a",
    "skipped": "#777",
    "partial": "#b26a00",
    "booked": "#2e7d32",
    "paused": "#b26a00",
    "waiting": "#b26a00",
    "retrying": "#b26a00",
    "failed": "#c62828",
    "dead": "#c62828",
    "rejected": "#c62828",
    "accepted": "#2e7d32",
    "duplicate": "#777",
}


def status_badge(value: str, label: str):
    return format_html('<b style="color:{}">{}</b>', STATUS_COLOURS.get(value, "#333"), label)


class RunPermissionMixin:
    def has_run_permission(self, request):
        return request.user.has_perm("sync.run_flow")

    def has_resync_permission(self, request):
        return request.user.has_perm("sync.resync_record")


# --------------------------------------------------------------------------- lists at laptop width
MESSAGE_CHARS = 80  # a list shows this much of an error or note; the detail page shows all of it

LIST_MEDIA_CSS = {"all": ["sync/koppla-lists.css"]}  # compact rows and cells (ModelAdmin.Media.css)
LIST_MEDIA_JS = ["sync/koppla-lists.js"]  # the left navigation starts folded on a laptop (ModelAdmin.Media.js)


def short_message(text: str, *, failed: bool):
    """An error or note cut to MESSAGE_CHARS for a list cell: red for a failure, grey for a note; the whole
    text (up to 1000 characters) in the tooltip, all of it on the detail page. "—" when empty."""
    if not text:
        return "—"
    short = text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1].rstrip() + "…"
    css = "koppla-msg koppla-msg-error" if failed else "koppla-msg koppla-msg-note"
    return format_html('<span class="{}" title="{}">{}</span>', css, text[:1000], short)


class StatusWithFailedFilter(admin.ChoicesFieldListFilter):
    """The status filter with a first choice *Failed*: every failed status at once (`status__in=retrying,dead`),
    the name the README's walk-through uses; then each status on its own (`status__exact=...`)."""

    failed = "retrying,dead"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg_in = f"{field_path}__in"
        value = params.get(self.lookup_kwarg_in)
        self.lookup_val_in = ",".join(value) if isinstance(value, list) else value
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self):
        return [*super().expected_parameters(), self.lookup_kwarg_in]

    def choices(self, changelist):
        remove = [self.lookup_kwarg, self.lookup_kwarg_isnull, self.lookup_kwarg_in]
        exact = self.lookup_val or []
        yield {
            "selected": not exact and not self.lookup_val_in,
            "query_string": changelist.get_query_string(remove=remove),
            "display": "All",
        }
        yield {
            "selected": self.lookup_val_in == self.failed,
            "query_string": changelist.get_query_string({self.lookup_kwarg_in: self.failed}, remove),
            "display": "Failed",
        }
        for value, label in self.field.flatchoices:
            yield {
                "selected": str(value) in exact,
                "query_string": changelist.get_query_string({self.lookup_kwarg: value}, remove),
                "display": label,
            }


INTEGRATION_CHARS = 24  # an integration's name in a list cell; the whole name in the tooltip


def compact_when(value) -> str:
    """A date and time in a list cell: "2026-12-01 04:05" in the site's time zone ("—" when empty)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def short_name(name: str):
    """An integration's name cut to INTEGRATION_CHARS, the whole name in the tooltip."""
    short = name if len(name) <= INTEGRATION_CHARS else name[: INTEGRATION_CHARS - 1].rstrip() + "…"
    return format_html('<span class="koppla-integration" title="{}">{}</span>', name, short)


RECORD_CHARS = 28  # a record's label in a list cell ("20015 (anna.karlsson@example.com)"); all of it in the tooltip


def short_label(label: str, chars: int = RECORD_CHARS):
    """A record's label (order number and e-mail, SKU) or another one-line text cut to `chars` characters
    (RECORD_CHARS unless given), the whole text in the tooltip."""
    if len(label) <= chars:
        return label
    return format_html('<span title="{}">{}</span>', label, label[: chars - 1].rstrip() + "…")


PROGRESS_CHARS = 28  # a run's progress in the list ("120 / 320, about 3 min left"); all of it in the tooltip


def compact_flow(obj):
    """A record's or run's flow as one short cell: the flow's first word and, small below, the integration."""
    return format_html("{}<br><small>{}</small>", obj.flow.capitalize(), short_name(obj.integration.name))


ESTIMATE_AFTER_SECONDS = 20  # a run's time left is estimated once it has run this long and done a record


def run_progress_text(run, *, now=None) -> str:
    """A run's progress in words: "120 / 320", while running with the time left estimated from the pace so far
    ("120 / 320, about 3 min left", "… about 17 h left": sync/run_progress.duration_text); while the listing is
    read page by page (the total is known only at its end)
    "listing: 3 pages read, 250 records so far (120 done)" (sync/run_progress.py), or "120 done, still listing"
    before a page was counted; "—" before anything is counted."""
    from sync.run_progress import listing_text, time_left_text

    running = run.status == "running"
    if running and run.total <= run.done:
        listing = listing_text(run, now=now)
        if listing:
            return listing
        return f"{run.done} done, still listing" if run.done else "listing…"
    if not run.total:
        return "—"
    text = f"{run.done} / {run.total}"
    if running and run.started_at and run.done:
        elapsed = ((now or timezone.now()) - run.started_at).total_seconds()
        left = time_left_text(done=run.done, total=run.total, elapsed=elapsed)
        if elapsed >= ESTIMATE_AFTER_SECONDS and left:
            text += f", {left}"
    return text


def titled_filter(title: str):
    """A choices filter shown under its own title, e.g. "shop system" and "ERP system" for two `system` fields."""

    class TitledChoicesFilter(admin.ChoicesFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledChoicesFilter


def short_when(value) -> str:
    """A moment in the site's time zone: "10:42" today, "11-30 10:42" another day, "" when empty."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H:%M}" if local.date() == timezone.localdate() else f"{local:%m-%d %H:%M}"


def stale_run_text(run) -> str:
    """A run still marked running whose worker went silent: what the lists show instead of "Running"."""
    last_sign = run.heartbeat_at or run.started_at
    return f"Interrupted (no sign of its worker since {short_when(last_sign)})"


# --------------------------------------------------------------------------- lists of a million rows
ESTIMATE_FROM_ROWS = 100_000  # below this many rows (PostgreSQL's estimate) an unfiltered list is counted exactly


class EstimatedCountPaginator(Paginator):
    """A paginator whose count of an unfiltered list on PostgreSQL is the planner's estimate of the table's rows
    (pg_class.reltuples, kept by autovacuum's ANALYZE; within a few per cent) instead of a COUNT(*) that reads a
    million rows. Exact everywhere else: on SQLite (the demo), for a filtered or searched list, for a table of
    fewer than ESTIMATE_FROM_ROWS rows, and for a table never analysed (reltuples -1)."""

    @cached_property
    def count(self) -> int:
        estimate = estimated_rows(self.object_list)
        return estimate if estimate is not None else super().count


def estimated_rows(queryset) -> int | None:
    """PostgreSQL's estimate of the rows of `queryset`'s table when the queryset filters nothing and the table
    has at least ESTIMATE_FROM_ROWS rows; None when the rows must be counted."""
    db = connections[queryset.db]
    if db.vendor != "postgresql" or queryset.query.where or queryset.query.distinct or queryset.query.combinator:
        return None
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= ESTIMATE_FROM_ROWS else None


class KeySearchMixin:
    """The list's search looks up keys, never a wide `icontains`: the term (spaces around it dropped) is a
    prefix of one of `key_search_fields` (case as written), which each have a prefix index (varchar_pattern_ops
    on PostgreSQL, see the models' Meta.indexes), so a search of a million rows reads only the rows it finds.
    The page's search help says which fields are searched. A label field (`label_search_fields`) also
    matches the term after its kind's name: "erik@example.se" finds "Customer erik@example.se", "INV-10"
    finds "Item INV-10" (sync/record_names.py), each still one prefix of the index."""

    key_search_fields: tuple[str, ...] = ()
    label_search_fields: tuple[str, ...] = ()
    show_full_result_count = False  # no second COUNT(*) of the whole table beside a filtered list's count
    paginator = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not self.key_search_fields:
            return queryset, False
        found = Q()
        for name in self.key_search_fields:
            found |= Q(**{f"{name}__startswith": term})
        for name in self.label_search_fields:
            for kind in dict.fromkeys(KIND_NAMES.values()):
                found |= Q(**{f"{name}__startswith": f"{kind} {term}"})
        return queryset.filter(found), False
