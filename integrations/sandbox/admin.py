"""The emulated remote systems in the admin (demo and test settings only: the app is not installed in production).

Look at what the flows created (invoices, credit notes, payments in the
Visma.net and Fortnox sandboxes; products, stock and order attributes in the Centra sandbox)
and switch faults on and off to watch retries and dead letters happen.
"""

from django.contrib import admin

from config.admin_utils import UsableFiltersMixin, pretty_json

from .models import SandboxCounter, SandboxFault, SandboxObject

# Credentials of the emulated systems stay out of the admin.
HIDDEN_SYSTEMS = ("visma_connect",)
HIDDEN_KINDS = ("token", "oauth_client", "oauth_code", "access_token", "refresh_token", "service_consent")


@admin.register(SandboxObject)
class SandboxObjectAdmin(UsableFiltersMixin, admin.ModelAdmin):
    list_display = ["system", "kind", "key", "summary", "updated_at"]
    list_filter = ["system", "kind"]
    search_fields = ["key"]
    search_help_text = "The object's key: invoice, customer, order or item number, product id…"
    ordering = ["system", "kind", "-id"]
    fields = ["system", "kind", "key", "data_display", "created_at", "updated_at"]
    readonly_fields = fields
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(system__in=HIDDEN_SYSTEMS).exclude(kind__in=HIDDEN_KINDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Summary")
    def summary(self, obj):
        data = obj.data or {}
        for keys in (
            ("customerRefNumber", "amount", "status"),
            ("name", "status"),
            ("number", "status"),
            ("description", "status"),
            ("productNumber", "name"),
            # Fortnox: invoices, payments, customers, articles, accounts
            ("DocumentNumber", "CustomerName", "Total"),
            ("InvoiceNumber", "AmountCurrency"),
            ("CustomerNumber", "Name"),
            ("ArticleNumber", "Description"),
            ("Number", "Description"),
        ):
            values = [self._value(data, k) for k in keys if data.get(k) not in (None, "")]
            if values:
                return " · ".join(values)[:120]
        return "—"

    @staticmethod
    def _value(data: dict, key: str) -> str:
        """A field for the summary; an amount with its currency ("1249.00 SEK"), as the document has it."""
        currency = data.get("currencyId") or data.get("currency") or data.get("Currency") or ""
        return f"{data[key]} {currency}".strip() if key in ("amount", "Total", "AmountCurrency") else str(data[key])

    @admin.display(description="Data")
    def data_display(self, obj):
        return pretty_json(obj.data)


@admin.register(SandboxFault)
class SandboxFaultAdmin(UsableFiltersMixin, admin.ModelAdmin):
    list_display = ["system", "endpoint", "kind", "probability", "remaining", "status_code", "enabled", "fired"]
    list_editable = ["enabled"]
    list_filter = ["system", "kind", "enabled"]
    search_fields = ["endpoint"]
    readonly_fields = ["fired", "created_at"]
    ordering = ["system", "id"]


@admin.register(SandboxCounter)
class SandboxCounterAdmin(UsableFiltersMixin, admin.ModelAdmin):
    list_display = ["system", "name", "value"]
    list_filter = ["system"]
    search_fields = ["name"]
    ordering = ["system", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
