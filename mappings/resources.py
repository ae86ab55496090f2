"""CSV import/export of the mapping tables (django-import-export).

Every resource works on one integration (chosen in the import/export form) and
upserts rows by their natural key. A file is all-or-nothing: a wrong header,
an invalid value or a key repeated within the file is reported with its row
number and nothing is written.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from .models import (
    CurrencyMapping,
    CustomerClass,
    PaymentMethodMapping,
    PaymentTermMapping,
    ShippingMapping,
    SkuRule,
    TaxZoneMapping,
    VatRateMapping,
    VatTerritory,
)
from .vat_models import postcode_normalize


class FileFormatError(ValueError):
    """The file as a whole cannot be imported (wrong columns, no integration)."""


class IntegrationScopedResource(resources.ModelResource):
    # Columns whose values are codes: compared and stored upper-case.
    upper_columns: tuple[str, ...] = ()
    # Columns a file may leave out (they keep their default or current value).
    optional_columns: tuple[str, ...] = ()
    # Shown in CSV templates and docs.
    label = ""

    def __init__(self, integration=None, **kwargs):
        super().__init__(**kwargs)
        self.integration = integration
        self._seen_keys: dict[tuple, int] = {}

    @property
    def columns(self) -> list[str]:
        return list(self._meta.fields)

    def get_queryset(self):
        return self._meta.model.objects.filter(integration=self.integration)

    # -- whole-file checks -------------------------------------------------
    def header_problems(self, headers) -> list[str]:
        headers = [str(h or "").strip() for h in (headers or [])]
        problems = []
        if self.integration is None:
            problems.append("Choose the integration the file is for.")
        unknown = [h for h in headers if h not in self.columns]
        missing = [c for c in self.columns if c not in headers and c not in self.optional_columns]
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if unknown:
            problems.append(f"Unknown column(s): {', '.join(unknown)}.")
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}.")
        if repeated:
            problems.append(f"Column(s) given twice: {', '.join(repeated)}.")
        if problems:
            problems.append(f"Expected columns: {', '.join(self.columns)}.")
        return problems

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        if dataset.headers:
            dataset.headers = [str(h or "").strip() for h in dataset.headers]
        problems = self.header_problems(dataset.headers)
        if problems:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            self.handle_import_error(result, FileFormatError(" ".join(problems)), raise_errors)
            return result
        self._seen_keys = {}
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    # -- per-row checks ----------------------------------------------------
    def before_import_row(self, row, **kwargs):
        for column in list(row):
            value = row[column]
            if isinstance(value, str):
                value = value.strip()
                if column in self.upper_columns:
                    value = value.upper()
                row[column] = value
        key = tuple(str(row.get(c, "")) for c in self._meta.import_id_fields)
        if key:
            number = kwargs.get("row_number")
            first = self._seen_keys.setdefault(key, number)
            if first != number:
                described = ", ".join(f"{c}={v}" for c, v in zip(self._meta.import_id_fields, key, strict=True))
                raise ValidationError(f"Duplicate key ({described}): already given in row {first}.")

    def import_instance(self, instance, row, **kwargs):
        instance.integration = self.integration
        super().import_instance(instance, row, **kwargs)

    class Meta:
        abstract = True


class IntegrationForeignKeyWidget(widgets.ForeignKeyWidget):
    """Looks a related mapping up by its code within the resource's integration."""

    def __init__(self, model, field, *, integration, hint):
        super().__init__(model, field=field)
        self.integration = integration
        self.hint = hint

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.filter(integration=self.integration)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"'{value}' does not exist for this integration: {self.hint}") from None


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
    decimals = fields.Field(attribute="decimals", column_name="decimals", widget=widgets.IntegerWidget())
    Meta = _meta(CurrencyMapping, ("shop_currency", "erp_currency", "decimals"), ("shop_currency",))

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.decimals = None  # filled from the currency by CurrencyMapping.clean unless the file gives it
        return instance


class RateWidget(widgets.DecimalWidget):
    """A VAT rate in percent; '25,5' is read as 25.5. Exported as people write it: 6, 25.5 (not 6.00)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        try:
            return super().clean(value, row, **kwargs)
        except (ArithmeticError, ValueError):
            raise ValueError(f"'{value}' is not a number: give the rate in percent, e.g. 6, 12 or 25.5.") from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else format(Decimal(value).normalize(), "f")


class VatRateMappingResource(IntegrationScopedResource):
    """Key (country, rate): '6', '6.0' and '6,00' are the same rate."""

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
                row["rate"] = format(Decimal(rate.strip().replace(",", ".")).normalize(), "f")
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
}
