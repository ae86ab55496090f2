"""Admin of sales journal entries: the entries (with the orders in each), the orders' shares, the VAT accounts."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from config.admin_utils import AUDIT_FIELDS, ReadOnlyAdmin, UsableFiltersMixin
from sync.models import JournalEntry, JournalShare, JournalVatAccount
from sync.money import money_text

from .common import LIST_MEDIA_CSS, LIST_MEDIA_JS, short_name, status_badge


class JournalShareInline(admin.TabularInline):
    model = JournalShare
    fields = ["order_number", "net_display", "vat_display", "gross_display", "lines"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["order_number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Net")
    def net_display(self, obj):
        return money_text(obj.net, obj.currency, obj.places)

    @admin.display(description="VAT")
    def vat_display(self, obj):
        return money_text(obj.vat, obj.currency, obj.places)

    @admin.display(description="Gross")
    def gross_display(self, obj):
        return money_text(obj.gross, obj.currency, obj.places)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "status_display",
        "erp_number",
        "day",
        "vat_category",
        "gross_display",
        "orders",
        "where",
    ]
    list_filter = ["status", "integration", "currency", "vat_category"]
    list_select_related = ["integration"]
    search_fields = ["reference", "erp_number", "=shares__order_number"]
    search_help_text = "The entry's reference (KOPPLA-2026-11-30-SEK-…), its ERP number, or an order number in it."
    date_hierarchy = "day"
    ordering = ["-day", "currency", "vat_category", "sequence"]
    fields = [
        "integration",
        "reference",
        "status",
        "erp_number",
        "day",
        "currency",
        "vat_category",
        "sequence",
        "net_display",
        "vat_display",
        "gross_display",
        "order_count",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields
    inlines = [JournalShareInline]

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return status_badge("ok" if obj.status == JournalEntry.Status.CREATED else "waiting", obj.get_status_display())

    @admin.display(description="Net", ordering="net")
    def net_display(self, obj):
        return money_text(obj.net, obj.currency)

    @admin.display(description="VAT", ordering="vat")
    def vat_display(self, obj):
        return money_text(obj.vat, obj.currency)

    @admin.display(description="Gross", ordering="gross")
    def gross_display(self, obj):
        return money_text(obj.gross, obj.currency)

    @admin.display(description="Orders", ordering="order_count")
    def orders(self, obj):
        url = reverse("admin:sync_journalshare_changelist") + "?" + urlencode({"q": obj.reference})
        return format_html('<a href="{}">{}</a>', url, obj.order_count)

    @admin.display(description="Integration", ordering="integration__name")
    def where(self, obj):
        return short_name(obj.integration.name)


class InEntryFilter(admin.SimpleListFilter):
    title = "sales journal entry"
    parameter_name = "in_entry"

    def lookups(self, request, model_admin):
        return [("no", "Queued (not in an entry yet)"), ("yes", "In an entry")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(entry__isnull=True)
        if self.value() == "yes":
            return queryset.filter(entry__isnull=False)
        return queryset


@admin.register(JournalShare)
class JournalShareAdmin(ReadOnlyAdmin):
    list_display = ["order_number", "day", "vat_category", "net_display", "vat_display", "gross_display", "entry_link"]
    list_filter = [InEntryFilter, "integration", "currency", "vat_category"]
    list_select_related = ["integration", "entry"]
    search_fields = ["=order_number", "=entry__reference", "=entry__erp_number"]
    search_help_text = "An order number, or the reference or ERP number of the entry it is in."
    date_hierarchy = "day"
    fields = [
        "integration",
        "order_number",
        "day",
        "currency",
        "vat_category",
        "lines",
        "net_display",
        "vat_display",
        "gross_display",
        "places",
        "currency_rate",
        "entry",
        *AUDIT_FIELDS,
    ]
    readonly_fields = fields

    class Media:
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    @admin.display(description="Net", ordering="net")
    def net_display(self, obj):
        return money_text(obj.net, obj.currency, obj.places)

    @admin.display(description="VAT", ordering="vat")
    def vat_display(self, obj):
        return money_text(obj.vat, obj.currency, obj.places)

    @admin.display(description="Gross", ordering="gross")
    def gross_display(self, obj):
        return money_text(obj.gross, obj.currency, obj.places)

    @admin.display(description="Entry", ordering="entry__reference")
    def entry_link(self, obj):
        if obj.entry is None:
            return "Queued"
        url = reverse("admin:sync_journalentry_change", args=[obj.entry_id])
        return format_html('<a href="{}">{}</a>', url, obj.entry.erp_number or obj.entry.reference)


@admin.register(JournalVatAccount)
class JournalVatAccountAdmin(UsableFiltersMixin, admin.ModelAdmin):
    list_display = ["vat_category", "account", "integration"]
    list_filter = ["integration"]
    search_fields = ["vat_category", "account"]
    ordering = ["integration__name", "vat_category"]
    readonly_fields = AUDIT_FIELDS
