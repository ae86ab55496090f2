from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin

from config.admin_utils import AUDIT_FIELDS, ErpLabelsMixin, UsableFiltersMixin
from sync.admin.common import LIST_MEDIA_CSS, LIST_MEDIA_JS, short_name
from sync.models import Integration
from sync.selectors import integration_preselected

from .countries import EU_MEMBER_STATES, EU_VAT_AREA_GOODS
from .import_admin import SpreadsheetImportExportMixin
from .models import (
    CurrencyMapping,
    CustomerClass,
    PaymentMethodMapping,
    PaymentTermMapping,
    Regime,
    ShippingMapping,
    SkuRule,
    TaxZoneMapping,
    VatRateMapping,
    VatTerritory,
)
from .resources import (
    CurrencyMappingResource,
    CustomerClassResource,
    PaymentMethodMappingResource,
    PaymentTermMappingResource,
    ShippingMappingResource,
    SkuRuleResource,
    TaxZoneMappingResource,
    VatRateMappingResource,
    VatTerritoryResource,
)
from .services import vat_territories_load_standard
from .vat_models import TREAT_AS_EXPORT, rate_label


class MappingAdmin(UsableFiltersMixin, ErpLabelsMixin, SpreadsheetImportExportMixin, ImportExportModelAdmin):
    """Admin of a per-integration mapping table with CSV/xlsx import (preview first) and export."""

    list_filter = ["integration"]
    list_select_related = ["integration"]
    readonly_fields = AUDIT_FIELDS
    list_per_page = 100


@admin.register(CustomerClass)
class CustomerClassAdmin(MappingAdmin):
    resource_classes = [CustomerClassResource]
    list_display = ["code", "description", "integration", "updated_at"]
    search_fields = ["code", "description"]
    ordering = ["integration__name", "code"]


class RegimeFilter(admin.SimpleListFilter):
    title = "VAT regime"
    parameter_name = "regime"

    def lookups(self, request, model_admin):
        return Regime.choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        home = Q(country=F("integration__home_country"))
        eu = Q(country__in=EU_VAT_AREA_GOODS) & Q(integration__home_country__in=EU_MEMBER_STATES)
        if value == Regime.DOMESTIC:
            return queryset.filter(home)
        if value == Regime.EU_B2B:
            return queryset.filter(eu, customer_type="B2B").exclude(home)
        if value == Regime.EU_B2C:
            return queryset.filter(eu, customer_type="B2C").exclude(home)
        if value == Regime.EXPORT:
            return queryset.exclude(home).exclude(eu)
        return queryset


# The VAT regime in the tax-zone list (the filter and the row's page show the whole label).
REGIME_SHORT = {
    Regime.DOMESTIC: "Domestic",
    Regime.EU_B2C: "EU B2C, OSS",
    Regime.EU_B2B: "EU B2B, 0 %",
    Regime.EXPORT: "Export, 0 %",
}


@admin.register(TaxZoneMapping)
class TaxZoneMappingAdmin(MappingAdmin):
    resource_classes = [TaxZoneMappingResource]
    list_display = [
        "country_display",
        "type_display",
        "regime_display",
        "customer_class",
        "vat_zone",
        "category_display",
        "sales_account",
        "integration_display",
    ]
    list_filter = ["integration", "customer_type", RegimeFilter, "vat_zone", "customer_class__code"]
    list_select_related = ["integration", "customer_class"]
    search_fields = ["country", "vat_zone", "vat_category", "sales_account", "customer_class__code"]
    search_help_text = "Country code, VAT zone, VAT category, sales account or customer class."
    ordering = ["integration__name", "country", "customer_type"]
    fields = [
        "integration",
        "country",
        "customer_type",
        "customer_class",
        "vat_zone",
        "vat_category",
        "sales_account",
        "regime_label",
        *AUDIT_FIELDS,
    ]
    readonly_fields = ["regime_label", *AUDIT_FIELDS]

    @admin.display(description="Country", ordering="country")
    def country_display(self, obj):
        return obj.country_label

    class Media:  # the lists' laptop layout (1366 px): compact cells, the left navigation folded
        css = LIST_MEDIA_CSS
        js = LIST_MEDIA_JS

    # -- list cells: one line each at 1366 px, the full label in the tooltip and on the row's page ------
    @admin.display(description="Type", ordering="customer_type")
    def type_display(self, obj):
        return format_html('<span title="{}">{}</span>', obj.get_customer_type_display(), obj.customer_type)

    @admin.display(description="VAT regime")
    def regime_display(self, obj):
        regime = obj.regime
        return format_html('<span title="{}">{}</span>', regime.label, REGIME_SHORT[regime])

    @admin.display(description="VAT regime")
    def regime_label(self, obj):
        """The whole label on the row's page (the list shows it short)."""
        return obj.regime.label if obj and obj.pk else "Follows from the country, customer type and home country."

    @admin.display(description="VAT category", ordering="vat_category")
    def category_display(self, obj):
        return obj.vat_category

    @admin.display(description="Integration", ordering="integration__name")
    def integration_display(self, obj):
        return short_name(obj.integration.name)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "customer_class":
            field.queryset = field.queryset.select_related("integration")
            field.label_from_instance = lambda obj: f"{obj.code} ({obj.integration})"
        return field


@admin.register(PaymentMethodMapping)
class PaymentMethodMappingAdmin(MappingAdmin):
    resource_classes = [PaymentMethodMappingResource]
    list_display = ["shop_method", "erp_payment_method", "erp_cash_account", "description", "integration"]
    search_fields = ["shop_method", "erp_payment_method", "description"]
    ordering = ["integration__name", "shop_method"]


@admin.register(PaymentTermMapping)
class PaymentTermMappingAdmin(MappingAdmin):
    resource_classes = [PaymentTermMappingResource]
    list_display = ["shop_terms", "erp_terms", "description", "integration"]
    search_fields = ["shop_terms", "erp_terms", "description"]
    ordering = ["integration__name", "shop_terms"]


@admin.register(ShippingMapping)
class ShippingMappingAdmin(MappingAdmin):
    resource_classes = [ShippingMappingResource]
    list_display = ["shop_shipping", "erp_item", "description", "sales_account", "integration"]
    search_fields = ["shop_shipping", "erp_item", "description"]
    ordering = ["integration__name", "shop_shipping"]


@admin.register(CurrencyMapping)
class CurrencyMappingAdmin(MappingAdmin):
    resource_classes = [CurrencyMappingResource]
    list_display = ["shop_currency", "erp_currency", "decimals", "integration"]
    list_filter = ["integration", "erp_currency"]
    search_fields = ["shop_currency", "erp_currency"]
    ordering = ["integration__name", "shop_currency"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "decimals":
            field.initial = None  # blank: the currency's ISO 4217 minor unit (CurrencyMapping.clean)
        return field


@admin.register(SkuRule)
class SkuRuleAdmin(MappingAdmin):
    resource_classes = [SkuRuleResource]
    list_display = ["integration", "product_source", "variant_source", "size_source", "separator", "updated_at"]
    search_fields = ["integration__name", "product_source", "variant_source", "size_source"]
    ordering = ["integration__name"]
    actions = ["rebind"]

    @admin.action(description="Change the rule and re-bind shop products", permissions=["change"])
    def rebind(self, request, queryset):
        from .rebind_admin import rebind_page

        return rebind_page(self, request, queryset)


@admin.register(VatRateMapping)
class VatRateMappingAdmin(MappingAdmin):
    """One row: in a taxed sale to the country, a line charged this rate is booked under this VAT category."""

    resource_classes = [VatRateMappingResource]
    list_display = ["country_display", "rate_display", "vat_category", "sales_account", "description", "integration"]
    list_filter = ["integration", "country", "vat_category"]
    search_fields = ["country", "vat_category", "sales_account", "description"]
    search_help_text = "Country code, VAT category, sales account or description."
    ordering = ["integration__name", "country", "rate"]
    fields = ["integration", "country", "rate", "vat_category", "sales_account", "description", *AUDIT_FIELDS]

    @admin.display(description="Country", ordering="country")
    def country_display(self, obj):
        return obj.country_label

    @admin.display(description="Rate", ordering="rate")
    def rate_display(self, obj):
        return rate_label(obj.rate)


class TreatAsFilter(admin.SimpleListFilter):
    title = "taxed as"
    parameter_name = "treat_as"

    def lookups(self, request, model_admin):
        values = model_admin.get_queryset(request).order_by("treat_as").values_list("treat_as", flat=True).distinct()
        return [(v, "Export (outside the EU VAT area)" if v == TREAT_AS_EXPORT else v) for v in values]

    def queryset(self, request, queryset):
        return queryset.filter(treat_as=self.value()) if self.value() else queryset


class LoadStandardTerritoriesForm(forms.Form):
    integrations = forms.ModelMultipleChoiceField(
        queryset=Integration.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Rows of the standard list these integrations lack are added; rows they have are left as they are.",
    )


@admin.register(VatTerritory)
class VatTerritoryAdmin(MappingAdmin):
    """One row: addresses in the country (with a postcode starting with the prefix) are taxed as another
    place, or exported. Button "Load the standard VAT territories" adds the rows of the standard list."""

    resource_classes = [VatTerritoryResource]
    change_list_template = "admin/mappings/vatterritory/change_list.html"
    list_display = ["country", "postcode_prefix", "name", "treat_as_display", "legal_source", "integration"]
    list_filter = ["integration", "country", TreatAsFilter]
    search_fields = ["country", "postcode_prefix", "name", "treat_as", "legal_source"]
    search_help_text = "Country code, postcode prefix, name, taxed as, or legal source."
    ordering = ["integration__name", "country", "postcode_prefix"]
    fields = ["integration", "country", "postcode_prefix", "treat_as", "name", "legal_source", *AUDIT_FIELDS]

    @admin.display(description="Taxed as", ordering="treat_as")
    def treat_as_display(self, obj):
        return "Export (0 %)" if obj.is_export else obj.treat_as

    def get_urls(self):
        view = self.admin_site.admin_view(self.load_standard_view)
        return [path("load-standard/", view, name="mappings_vatterritory_load_standard"), *super().get_urls()]

    def load_standard_view(self, request):
        """Choose integrations, then add the standard rows they lack (mappings/fixtures/vat_territories.csv)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = integration_preselected(query=request.GET)
        form = LoadStandardTerritoriesForm(
            request.POST if request.method == "POST" else None, initial={"integrations": [initial] if initial else []}
        )
        if form.is_valid():
            for integration in form.cleaned_data["integrations"]:
                added = vat_territories_load_standard(integration=integration)
                noun = "territory" if added == 1 else "territories"
                text = f"{added} standard VAT {noun} added" if added else "No standard VAT territory was missing"
                self.message_user(request, f"{integration}: {text}.", messages.SUCCESS)
            return redirect("admin:mappings_vatterritory_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Load the standard VAT territories",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mappings/vatterritory/load_standard.html", context)


# The field rules' admin (mappings/datamapper_admin.py), registered on import.
from . import datamapper_admin  # noqa: E402, F401
