"""CSV/xlsx import and export of the mapping tables (django-import-export).

Every resource works on one integration (chosen in the import/export form) and
upserts rows by their natural key (text keys compared ignoring upper/lower case).
A file is all-or-nothing: a wrong header, an invalid value or a key repeated
within the file is reported with its line in the file and nothing is written.
Reading the file (delimiters, encodings, xlsx) is mappings.tabular's; the shared
behaviour of the resources is mappings.import_base's.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from .import_base import (
    FileFormatError,
    IntegrationForeignKeyWidget,
    IntegrationScopedResource,
    WholeNumberWidget,
)
from .models import (
    CurrencyMapping,
    CustomerClass,
    FieldRule,
    FieldTarget,
    PaymentMethodMapping,
    PaymentTermMapping,
    ShippingMapping,
    SkuRule,
    TaxZoneMapping,
    VatRateMapping,
    VatTerritory,
)
from .vat_models import postcode_normalize

__all__ = ["RESOURCES", "FileFormatError", "IntegrationScopedResource"]


def _meta(model, columns, id_fields):
    return type(
        "Meta",
        (),
        {
            "model": model,
            "fields": columns,
            "export_order": columns,
            "import_id_fields": id_fields,
            "clean_model_instances": True,
            "skip_unchanged": True,
            "report_skipped": True,
            "use_transactions": True,
        },
    )


class CustomerClassResource(IntegrationScopedResource):
    label = "Customer classes"
    Meta = _meta(CustomerClass, ("code", "description"), ("code",))


class TaxZoneMappingResource(IntegrationScopedResource):
    label = "Tax zones"
    upper_columns = ("country", "customer_type")
    customer_class = fields.Field(attribute="customer_class", column_name="customer_class")

    Meta = _meta(
        TaxZoneMapping,
        ("country", "customer_type", "customer_class", "vat_zone", "vat_category", "sales_account"),
        ("country", "customer_type"),
    )

    def __init__(self, integration=None, **kwargs):
        super().__init__(integration=integration, **kwargs)
        self.fields["customer_class"].widget = IntegrationForeignKeyWidget(
            CustomerClass,
            "code",
            integration=integration,
            hint="add it under Mappings › Customer classes (or import the customer classes CSV) first.",
        )


class PaymentMethodMappingResource(IntegrationScopedResource):
    label = "Payment methods"
    optional_columns = ("erp_cash_account", "description")
    Meta = _meta(
        PaymentMethodMapping,
        ("shop_method", "erp_payment_method", "erp_cash_account", "description"),
        ("shop_method",),
    )


class PaymentTermMappingResource(IntegrationScopedResource):
    label = "Payment terms"
    optional_columns = ("description",)
    Meta = _meta(PaymentTermMapping, ("shop_terms", "erp_terms", "description"), ("shop_terms",))


class ShippingMappingResource(IntegrationScopedResource):
    label = "Shipping"
    optional_columns = ("description", "sales_account")
    Meta = _meta(ShippingMapping, ("shop_shipping", "erp_item", "description", "sales_account"), ("shop_shipping",))


class CurrencyMappingResource(IntegrationScopedResource):
    """A blank or left-out `decimals` on a new row: the ERP currency's ISO 4217 minor unit (JPY 0, KWD 3)."""

    label = "Currencies"
    upper_columns = ("shop_currency", "erp_currency")
    optional_columns = ("decimals",)
    # declared without the model's default, so a blank cell stays blank for CurrencyMapping.clean
    decimals = fields.Field(attribute="decimals", column_name="decimals", widget=WholeNumberWidget())
    Meta = _meta(CurrencyMapping, ("shop_currency", "erp_currency", "decimals"), ("shop_currency",))

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.decimals = None  # filled from the currency by CurrencyMapping.clean unless the file gives it
        return instance


def rate_text(value: str) -> str:
    """A VAT rate as typed, as a plain number: '25,5' → '25.5'; '25%' and '25 %' → '25' (what Excel's CSV writes
    for a cell typed 25 %; an .xlsx percentage cell reads as the same '25%', see mappings.tabular_xlsx)."""
    text = value.strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    return text.replace(",", ".")


class RateWidget(widgets.DecimalWidget):
    """A VAT rate in percent; '25,5' is read as 25.5 and '25 %' as 25. Exported as people write it: 6, 25.5
    (not 6.00)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(rate_text(value) if isinstance(value, str) else value, row, **kwargs)
        except (ArithmeticError, ValueError):
            shown = value.strip() if isinstance(value, str) else value
            raise ValueError(f"'{shown}' is not a number: give the rate in percent, e.g. 6, 12 or 25.5.") from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else format(Decimal(value).normalize(), "f")


class VatRateMappingResource(IntegrationScopedResource):
    """Key (country, rate): '6', '6.0', '6,00' and '6 %' are the same rate."""

    label = "VAT rates"
    rate = fields.Field(attribute="rate", column_name="rate", widget=RateWidget())
    upper_columns = ("country",)
    optional_columns = ("sales_account", "description")
    Meta = _meta(
        VatRateMapping, ("country", "rate", "vat_category", "sales_account", "description"), ("country", "rate")
    )

    def before_import_row(self, row, **kwargs):
        rate = row.get("rate")
        if isinstance(rate, str) and rate.strip():
            try:  # the same rate written differently is the same key (duplicate check, update in place)
                row["rate"] = format(Decimal(rate_text(rate)).normalize(), "f")
            except InvalidOperation:
                pass  # reported as a value of the rate column when the row's fields are read
        super().before_import_row(row, **kwargs)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None  # a rate that is not a number: a new row, whose rate column then reports it


class VatTerritoryResource(IntegrationScopedResource):
    """Key (country, postcode_prefix); the prefix is compared without spaces or dashes."""

    label = "VAT territories"
    upper_columns = ("country", "postcode_prefix", "treat_as")
    optional_columns = ("legal_source",)
    Meta = _meta(
        VatTerritory,
        ("country", "postcode_prefix", "treat_as", "name", "legal_source"),
        ("country", "postcode_prefix"),
    )

    def before_import_row(self, row, **kwargs):
        if isinstance(row.get("postcode_prefix"), str):
            row["postcode_prefix"] = postcode_normalize(row["postcode_prefix"])
        super().before_import_row(row, **kwargs)


class SkuRuleResource(IntegrationScopedResource):
    """One row: the integration's SKU rule (updated in place when it exists)."""

    label = "SKU rule"
    optional_columns = ("variant_source", "size_source", "separator")
    Meta = _meta(SkuRule, ("product_source", "variant_source", "size_source", "separator"), ())

    def get_instance(self, instance_loader, row):
        return self.get_queryset().first()

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        if kwargs.get("row_number", 1) > 1:
            raise ValidationError("An integration has one SKU rule: the file must have exactly one row.")


class EnabledWidget(widgets.BooleanWidget):
    """A rule's `enabled` cell: yes/no, true/false, 1/0 (any case); blank: enabled."""

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip().casefold() if value is not None else ""
        if text in ("", "1", "true", "yes", "y", "on"):
            return True
        if text in ("0", "false", "no", "n", "off"):
            return False
        raise ValueError(f"'{value}' is not yes or no: write 1 or 0 (or true / false).")

    def render(self, value, obj=None, **kwargs):
        return "1" if value else "0"


class FieldRuleResource(IntegrationScopedResource):
    """Key (target, position). The target is written as stored (orders:invoice) or as the admin shows it
    (Orders / invoice); every rule is checked as on its admin page (FieldRule.clean: syntax and the spec)."""

    label = "Field rules"
    optional_columns = ("source_path", "argument", "condition", "enabled")
    free_text_columns = ("source_path", "target_path", "argument", "condition")
    position = fields.Field(attribute="position", column_name="position", widget=WholeNumberWidget())
    enabled = fields.Field(attribute="enabled", column_name="enabled", widget=EnabledWidget())
    Meta = _meta(
        FieldRule,
        ("target", "position", "transform", "source_path", "target_path", "argument", "condition", "enabled"),
        ("target", "position"),
    )

    def before_import_row(self, row, **kwargs):
        target = row.get("target")
        if isinstance(target, str):
            labels = {label.casefold(): value for value, label in FieldTarget.choices}
            values = {value.casefold(): value for value in FieldTarget.values}
            key = " ".join(target.split()).casefold()
            row["target"] = values.get(key) or labels.get(key) or target.strip()
        if isinstance(row.get("transform"), str):
            row["transform"] = row["transform"].strip().lower()
        super().before_import_row(row, **kwargs)


RESOURCES = {
    "customer_classes": CustomerClassResource,
    "tax_zones": TaxZoneMappingResource,
    "payment_methods": PaymentMethodMappingResource,
    "payment_terms": PaymentTermMappingResource,
    "shipping": ShippingMappingResource,
    "currencies": CurrencyMappingResource,
    "sku_rule": SkuRuleResource,
    "vat_rates": VatRateMappingResource,
    "vat_territories": VatTerritoryResource,
    "field_rules": FieldRuleResource,
}
