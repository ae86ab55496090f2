"""Per-integration translation tables between shop values and ERP set-up.

Each table has a natural key (unique with the integration) used by the CSV
import to update rows in place.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from config.models import TimeStampedModel
from sync.models import Integration

from .countries import CURRENCIES, EU_MEMBER_STATES, EU_VAT_AREA_GOODS, TAX_COUNTRIES, currency_minor_unit

REST_OF_WORLD = "*"

erp_id_validator = RegexValidator(
    r"^[A-Za-z0-9_.\-]{1,30}$", "Use letters, digits, '-', '_' or '.', without spaces (max 30)."
)
sales_account_validator = RegexValidator(
    r"^[0-9]{4,10}$", "A sales account is 4 to 10 digits, e.g. 3001 (BAS) or 30010."
)


def validate_tax_country(value: str) -> None:
    """A tax-zone country: ISO 3166-1 alpha-2, XI (Northern Ireland) or * (rest of world)."""
    if value != REST_OF_WORLD and value not in TAX_COUNTRIES:
        raise ValidationError(
            f"'{value}' is not an ISO 3166-1 alpha-2 country code or XI (Northern Ireland); "
            f"use '{REST_OF_WORLD}' for rest of world."
        )


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(f"'{value}' is not an ISO 4217 currency code.")


class CustomerType(models.TextChoices):
    B2B = "B2B", "Business (B2B)"
    B2C = "B2C", "Consumer (B2C)"


class Regime(models.TextChoices):
    DOMESTIC = "domestic", "Domestic"
    EU_B2C = "eu_b2c", "EU B2C (OSS, destination VAT)"
    EU_B2B = "eu_b2b", "EU B2B (reverse charge, 0 %)"
    EXPORT = "export", "Outside EU (export, 0 %)"


def regime_for(*, country: str, customer_type: str, home_country: str) -> Regime:
    """The VAT regime a sale falls under (EU One-Stop-Shop rules)."""
    if country == home_country:
        return Regime.DOMESTIC
    if country in EU_VAT_AREA_GOODS and home_country in EU_MEMBER_STATES:
        return Regime.EU_B2B if customer_type == CustomerType.B2B else Regime.EU_B2C
    return Regime.EXPORT


class Mapping(TimeStampedModel):
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE)

    class Meta:
        abstract = True


class CustomerClass(Mapping):
    """An ERP customer class (e.g. DOMESTIC, EUB2C) that tax-zone rows point to."""

    code = models.CharField(max_length=30, validators=[erp_id_validator])
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["integration__name", "code"]
        verbose_name_plural = "customer classes"
        constraints = [models.UniqueConstraint(fields=["integration", "code"], name="customerclass_unique")]

    def __str__(self) -> str:
        return self.code


class TaxZoneMapping(Mapping):
    """Country + customer type → ERP customer class, VAT zone, VAT category and sales account."""

    country = models.CharField(
        max_length=2,
        validators=[validate_tax_country],
        help_text="ISO 3166-1 alpha-2, XI for Northern Ireland, or * for rest of world.",
    )
    customer_type = models.CharField(max_length=3, choices=CustomerType.choices)
    customer_class = models.ForeignKey(CustomerClass, on_delete=models.PROTECT, related_name="tax_zones")
    vat_zone = models.CharField(max_length=30, validators=[erp_id_validator], verbose_name="VAT zone")
    vat_category = models.CharField(
        max_length=30,
        validators=[erp_id_validator],
        verbose_name="VAT category / code",
        help_text="Visma.net VAT category id, or Fortnox VAT code.",
    )
    sales_account = models.CharField(max_length=10, validators=[sales_account_validator])

    class Meta:
        ordering = ["integration__name", "country", "customer_type"]
        verbose_name = "tax zone"
        constraints = [
            models.UniqueConstraint(fields=["integration", "country", "customer_type"], name="taxzone_unique"),
            models.CheckConstraint(
                condition=models.Q(customer_type__in=CustomerType.values), name="taxzone_customer_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^([A-Z]{2}|\*)$"), name="taxzone_country_format"
            ),
            models.CheckConstraint(
                condition=models.Q(sales_account__regex=r"^[0-9]{4,10}$"), name="taxzone_sales_account_format"
            ),
            models.CheckConstraint(condition=~models.Q(vat_zone=""), name="taxzone_vat_zone_required"),
            models.CheckConstraint(condition=~models.Q(vat_category=""), name="taxzone_vat_category_required"),
        ]

    def __str__(self) -> str:
        return f"{self.country_label} {self.customer_type}"

    @property
    def is_fallback(self) -> bool:
        return self.country == REST_OF_WORLD

    @property
    def country_label(self) -> str:
        return "Rest of world" if self.is_fallback else f"{self.country} {TAX_COUNTRIES.get(self.country, '')}".strip()

    @property
    def regime(self) -> Regime:
        return regime_for(
            country=self.country, customer_type=self.customer_type, home_country=self.integration.home_country
        )

    def clean(self):
        if self.customer_class_id and self.integration_id and self.customer_class.integration_id != self.integration_id:
            raise ValidationError({"customer_class": "This customer class belongs to another integration."})


class PaymentMethodMapping(Mapping):
    shop_method = models.CharField(
        max_length=100, help_text="Shop payment method, e.g. the Centra payment plugin uri 'klarna-checkout'."
    )
    erp_payment_method = models.CharField(max_length=30, validators=[erp_id_validator])
    erp_cash_account = models.CharField(
        max_length=30, blank=True, validators=[erp_id_validator], help_text="Cash account payments are booked to."
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "payment method"
        verbose_name_plural = "payment methods"  # Mappings › Payment methods, as the README and errors name it
        ordering = ["integration__name", "shop_method"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "shop_method"], name="paymentmethod_unique"),
            models.CheckConstraint(condition=~models.Q(shop_method=""), name="paymentmethod_shop_required"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_method} → {self.erp_payment_method}"


class PaymentTermMapping(Mapping):
    shop_terms = models.CharField(
        max_length=100,
        help_text="Shop payment terms (wholesale account terms), or B2C / B2B as the default for that customer type.",
    )
    erp_terms = models.CharField(max_length=30, validators=[erp_id_validator], verbose_name="ERP credit terms")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["integration__name", "shop_terms"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "shop_terms"], name="paymentterm_unique"),
            models.CheckConstraint(condition=~models.Q(shop_terms=""), name="paymentterm_shop_required"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_terms} → {self.erp_terms}"


class ShippingMapping(Mapping):
    shop_shipping = models.CharField(
        max_length=100, help_text="Shop shipping option (Centra shipping option uri), or * for any other."
    )
    erp_item = models.CharField(
        max_length=30, validators=[erp_id_validator], help_text="ERP non-stock item used for the shipping line."
    )
    description = models.CharField(max_length=200, blank=True, help_text="Text of the shipping line.")
    sales_account = models.CharField(
        max_length=10,
        blank=True,
        validators=[sales_account_validator],
        help_text="Blank: the tax zone's sales account.",
    )

    class Meta:
        ordering = ["integration__name", "shop_shipping"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "shop_shipping"], name="shipping_unique"),
            models.CheckConstraint(condition=~models.Q(shop_shipping=""), name="shipping_shop_required"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_shipping} → {self.erp_item}"


class CurrencyMapping(Mapping):
    shop_currency = models.CharField(max_length=3, validators=[validate_currency])
    erp_currency = models.CharField(max_length=3, validators=[validate_currency])
    decimals = models.PositiveSmallIntegerField(
        default=2,
        blank=True,
        validators=[MaxValueValidator(4)],
        help_text="Decimals the ERP rounds amounts to, 0 to 4. Blank (here or in an import file): the ERP "
        "currency's ISO 4217 minor unit (JPY 0, EUR 2, KWD 3).",
    )

    class Meta:
        ordering = ["integration__name", "shop_currency"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "shop_currency"], name="currency_unique"),
            models.CheckConstraint(condition=models.Q(decimals__lte=4), name="currency_decimals_max"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_currency} → {self.erp_currency}"

    def clean(self):
        if self.decimals is None and self.erp_currency:
            self.decimals = currency_minor_unit(self.erp_currency)


SKU_SOURCE_RE = re.compile(r"^(inventoryNumber|description|attribute:[A-Za-z0-9_]{1,30}|segment:[1-9])$")


def validate_sku_source(value: str) -> None:
    if value and not SKU_SOURCE_RE.match(value):
        raise ValidationError(
            f"'{value}' is not a field source: use inventoryNumber, description, attribute:<ATTRIBUTE ID> "
            "(e.g. attribute:INFORMATION5) or segment:<n> (n-th part of the item number split by the separator)."
        )


class SkuRule(Mapping):
    """Which ERP item fields make up the shop's product number, variant number and size."""

    product_source = models.CharField(max_length=50, default="inventoryNumber", validators=[validate_sku_source])
    variant_source = models.CharField(
        max_length=50, blank=True, validators=[validate_sku_source], help_text="Blank: one variant per product."
    )
    size_source = models.CharField(
        max_length=50, blank=True, validators=[validate_sku_source], help_text="Blank: one size per variant."
    )
    separator = models.CharField(
        max_length=3,
        blank=True,
        help_text="Splits the item number for segment:<n> sources and joins the parts into the SKU key items are matched on.",
    )

    class Meta:
        verbose_name = "SKU rule"
        constraints = [models.UniqueConstraint(fields=["integration"], name="skurule_one_per_integration")]

    def __str__(self) -> str:
        parts = [p for p in (self.product_source, self.variant_source, self.size_source) if p]
        return " + ".join(parts)

    @property
    def sources(self) -> list[str]:
        return [p for p in (self.product_source, self.variant_source, self.size_source) if p]

    def clean(self):
        if any(s.startswith("segment:") for s in self.sources) and not self.separator:
            raise ValidationError({"separator": "segment:<n> sources need a separator to split the item number."})
        if self.variant_source == "" and self.size_source:
            raise ValidationError({"variant_source": "A size needs a variant: set the variant source too."})
        seen = [s for s in self.sources]
        if len(set(seen)) != len(seen):
            raise ValidationError("Product, variant and size must come from different fields.")
        self._refuse_change_of_bound_rule()

    def _refuse_change_of_bound_rule(self):
        """A rule whose products are in the shop changes only through the re-binding action."""
        if getattr(self, "rebind_confirmed", False) or not self.pk:
            return
        previous = SkuRule.objects.filter(pk=self.pk).first()
        fields = ("product_source", "variant_source", "size_source", "separator")
        if previous is None or all(getattr(previous, f) == getattr(self, f) for f in fields):
            return
        from sync.models import ExternalRef

        bound = ExternalRef.objects.filter(integration_id=previous.integration_id, kind=ExternalRef.Kind.SIZE).count()
        if bound:
            raise ValidationError(
                f"{bound} ERP items are already bound to shop sizes under the current rule ({previous}). Changing "
                "the rule here would make the products flow create them again under new numbers. Use the action "
                "'Change the rule and re-bind shop products' on the SKU rules list instead: it matches the existing "
                "shop sizes by the new SKU and reports what it could not match before anything is changed."
            )


# The VAT rate and VAT territory tables, and the datamapper's field rules, live in their own modules
# (this one stays short).
from .datamapper_models import FieldRule, FieldTarget  # noqa: E402, F401
from .vat_models import VatRateMapping, VatTerritory  # noqa: E402, F401
