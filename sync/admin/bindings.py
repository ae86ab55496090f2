"""Admin of bindings: which remote object each source record was written to."""

from django.contrib import admin

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, pretty_json
from sync.models import ExternalRef
from sync.record_names import binding_name


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "integration", "synced_at"]
    list_filter = ["kind", "integration"]
    list_select_related = ["integration"]
    search_fields = ["source_id", "target_id"]
    date_hierarchy = "synced_at"
    ordering = ["-synced_at"]
    fields = ["integration", "kind", "source_id", "target_id", "checksum", "data_display", "synced_at", *AUDIT_FIELDS]
    readonly_fields = fields

    @admin.display(description="Binding", ordering="target_id")
    def name(self, obj):
        """The remote object and what it was made for, "Invoice 100116 (order 20275)"; the keys stay searchable."""
        return binding_name(obj)

    @admin.display(description="Data")
    def data_display(self, obj):
        return pretty_json(obj.data)
