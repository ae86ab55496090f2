"""Pieces shared by the Sync admin pages: status colours and the run/resync permissions."""

from django.utils.html import format_html

STATUS_COLOURS = {
    "ok": "#2e7d32",
    "succeeded": "#2e7d32",
    "connected": "#2e7d32",
    "running": "#1a5fb4",
    "queued": "#1a5fb4",
    "dry_run": "#6a1b9a",
    "skipped": "#777",
    "partial": "#b26a00",
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
