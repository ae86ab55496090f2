"""Admin of bindings: which remote object each source record was written to."""

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.db.models import Exists, OuterRef, Q

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, pretty_json
from sync.models import BindingIntent, ExternalRef
from sync.record_names import binding_name, record_name_parse

from .common import KeySearchMixin

NAME_CANDIDATES = 200  # bindings holding the searched number that are compared by name (a number is on few)


@admin.register(ExternalRef)
class ExternalRefAdmin(KeySearchMixin, ReadOnlyAdmin):
    list_display = ["name", "kind", "integration", "synced_at"]
    list_filter = ["kind", "integration", ("synced_at", DateFieldListFilter)]
    list_select_related = ["integration"]
    key_search_fields = ("source_id", "target_id")
    search_fields = list(key_search_fields)
    search_help_text = (
        "The start of the source or target id, letters as written, or the binding's name as the list shows it "
        '("Invoice 100116 (order 20275)").'
    )
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

    def get_search_results(self, request, queryset, search_term):
        """A binding's name as the list, record logs and e-mails write it ("Invoice 100116 (order 20275)",
        sync/record_names.py) finds that binding: its number is looked up as the target or source id (exact, the
        keys' indexes), "invoice:<number>" for a document binding, and the few bindings found are kept when their
        name is the one searched ("Invoice 100116" alone: every binding so named, whatever its details). Any other
        search, or a name no binding has: the key search (KeySearchMixin), the start of the source or target id."""
        parsed = record_name_parse(search_term)
        if parsed is not None:
            number = parsed[1]
            keys = [number, *(f"{kind}:{number}" for kind in ("invoice", "credit_note"))]
            candidates = queryset.filter(Q(target_id=number) | Q(source_id__in=keys))[:NAME_CANDIDATES]
            found = [ref.pk for ref in candidates if _name_matches(record_name_parse(binding_name(ref)), parsed)]
            if found:
                return queryset.filter(pk__in=found), False
        return super().get_search_results(request, queryset, search_term)


def _name_matches(name, wanted) -> bool:
    """Same kind and number (letter case ignored), and every detail searched among the name's."""
    if name is None or wanted is None:
        return False
    (label, number, details), (w_label, w_number, w_details) = name, wanted
    own = {d.casefold() for d in details}
    return (label, number.casefold()) == (w_label, w_number.casefold()) and all(d.casefold() in own for d in w_details)


@admin.register(BindingIntent)
class BindingIntentAdmin(KeySearchMixin, ReadOnlyAdmin):
    """Pending creates (sync/bindings.py): a remote create Koppla recorded before sending it. One whose source is
    bound did its work and is cleared by the flow's next run; one without a binding means the ERP's answer was
    lost (a crash or a timeout), so the record's next attempt searches the ERP by Koppla's reference first."""

    list_display = ["source_id", "kind", "integration", "bound", "created_at"]
    list_filter = ["kind", "integration", ("created_at", DateFieldListFilter)]
    list_select_related = ["integration"]
    key_search_fields = ("source_id",)
    search_fields = list(key_search_fields)
    search_help_text = "The start of the source id (an order number, a return id), letters as written."
    ordering = ["-created_at"]
    fields = ["integration", "kind", "source_id", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        binding = ExternalRef.objects.filter(
            integration=OuterRef("integration"), kind=OuterRef("kind"), source_id=OuterRef("source_id")
        )
        return super().get_queryset(request).annotate(is_bound=Exists(binding))

    @admin.display(description="Bound", boolean=True, ordering="is_bound")
    def bound(self, obj):
        """True: the create went through and is bound; False: its answer was lost, the next attempt searches."""
        return obj.is_bound
