"""The VAT rate and VAT territory tables (issue 12): which VAT category a charged rate is booked
under, and which postcodes of a country are taxed as another place or exported.

Imported by mappings.models, so Django registers them with the other mapping tables.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from sync.vat import rate_text as rate_label

from .countries import TAX_COUNTRIES, country_name
from .models import Mapping, erp_id_validator, sales_account_validator

TREAT_AS_EXPORT = "EXPORT"
POSTCODE_SEPARATORS = re.compile(r"[\s\-]+")

postcode_prefix_validator = RegexValidator(
    r"^[A-Z0-9]{0,10}$",
    "A postcode prefix is up to 10 letters and digits (spaces and dashes are left out), e.g. 35 or BT.",
)


def validate_vat_country(value: str) -> None:
    """ISO 3166-1 alpha-2, or XI (Northern Ireland)."""
    if value not in TAX_COUNTRIES:
        hint = " (Greece is GR; shops' EL is read as GR)" if value == "EL" else ""
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code or XI (Northern Ireland){hint}.")


def validate_treat_as(value: str) -> None:
    """ISO 3166-1 alpha-2, XI (Northern Ireland), or EXPORT (outside the EU VAT area)."""
    if value != TREAT_AS_EXPORT and value not in TAX_COUNTRIES:
        raise ValidationError(
            f"'{value}' is not allowed: use an ISO 3166-1 alpha-2 country code (taxed as that country), "
            f"XI (taxed as Northern Ireland) or {TREAT_AS_EXPORT} (outside the EU VAT area, exported at 0 %)."
        )


def postcode_normalize(value: str) -> str:
    """A postcode (or prefix) as the territory table compares it: upper case, no spaces or dashes."""
    return POSTCODE_SEPARATORS.sub("", value or "").upper()


class VatRateMapping(Mapping):
    """In a taxed sale (domestic, or an EU distance sale to a consumer) to `country`, a line the shop
    charged `rate` % on is booked under `vat_category`.

    Rows for the standard rates are optional (the tax zone's VAT category covers them); reduced rates
    (books, food, children's clothes) need a row per destination country.
    """

    country = models.CharField(
        max_length=2,
        validators=[validate_vat_country],
        help_text="Country the goods are taxed in: ISO 3166-1 alpha-2, or XI for Northern Ireland.",
    )
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="VAT rate in percent as the shop charges it, e.g. 6, 12 or 25.5 (0 to 100, at most 2 decimals).",
    )
    vat_category = models.CharField(
        max_length=30,
        validators=[erp_id_validator],
        verbose_name="VAT category",
        help_text="ERP VAT category id lines charged this rate are booked under, e.g. SE6. Its rate on the "
        "document date must equal the rate above.",
    )
    sales_account = models.CharField(
        max_length=10,
        blank=True,
        validators=[sales_account_validator],
        help_text="Blank: the tax zone's sales account.",
    )
    description = models.CharField(max_length=200, blank=True, help_text="What is sold at this rate, e.g. Books.")

    class Meta:
        ordering = ["integration__name", "country", "rate"]
        verbose_name = "VAT rate"
        constraints = [
            models.UniqueConstraint(fields=["integration", "country", "rate"], name="vatrate_unique"),
            models.CheckConstraint(condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="vatrate_country_format"),
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lte=100), name="vatrate_rate_range"),
            models.CheckConstraint(condition=~models.Q(vat_category=""), name="vatrate_vat_category_required"),
            models.CheckConstraint(
                condition=models.Q(sales_account__regex=r"^([0-9]{4,10})?$"), name="vatrate_sales_account_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {rate_label(self.rate)} → {self.vat_category}"

    @property
    def country_label(self) -> str:
        return f"{self.country} {country_name(self.country)}"

    def clean_fields(self, exclude=None):
        if isinstance(self.country, str):
            self.country = self.country.strip().upper()
        super().clean_fields(exclude=exclude)


class VatTerritory(Mapping):
    """Addresses in `country` whose postcode starts with `postcode_prefix` (blank: the whole country)
    are taxed as `treat_as`: another country (Monaco as France), XI (Northern Ireland), or EXPORT
    (a territory outside the EU VAT area such as the Canary Islands: exported at 0 %).

    The longest matching prefix wins. Source: Council Directive 2006/112/EC, Art. 6 and 7; Windsor
    Framework, Art. 8.
    """

    country = models.CharField(
        max_length=2,
        validators=[validate_vat_country],
        help_text="Country code the shop gives the address, ISO 3166-1 alpha-2 (e.g. ES, GB, MC).",
    )
    postcode_prefix = models.CharField(
        max_length=10,
        blank=True,
        validators=[postcode_prefix_validator],
        help_text="Postcodes starting with this (compared upper-case without spaces or dashes), e.g. 35 or BT. "
        "Blank: the whole country.",
    )
    treat_as = models.CharField(
        max_length=10,
        validators=[validate_treat_as],
        verbose_name="taxed as",
        help_text="A country code (taxed as that country), XI (taxed as Northern Ireland) or EXPORT (outside "
        "the EU VAT area: exported at 0 %).",
    )
    name = models.CharField(max_length=100, help_text="Name of the territory, e.g. Canary Islands.")
    legal_source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Why the territory is treated so, e.g. Council Directive 2006/112/EC, Art. 6(1)(b).",
    )

    class Meta:
        ordering = ["integration__name", "country", "postcode_prefix"]
        verbose_name = "VAT territory"
        verbose_name_plural = "VAT territories"
        constraints = [
            models.UniqueConstraint(fields=["integration", "country", "postcode_prefix"], name="vatterritory_unique"),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="vatterritory_country_format"
            ),
            models.CheckConstraint(
                condition=models.Q(postcode_prefix__regex=r"^[A-Z0-9]*$"), name="vatterritory_postcode_prefix_format"
            ),
            models.CheckConstraint(
                condition=models.Q(treat_as__regex=r"^([A-Z]{2}|EXPORT)$"), name="vatterritory_treat_as_format"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="vatterritory_name_required"),
        ]

    def __str__(self) -> str:
        where = f"{self.country} {self.postcode_prefix}…" if self.postcode_prefix else self.country
        target = "export" if self.treat_as == TREAT_AS_EXPORT else self.treat_as
        return f"{where} {self.name} → {target}"

    @property
    def is_export(self) -> bool:
        return self.treat_as == TREAT_AS_EXPORT

    def clean_fields(self, exclude=None):
        """Codes upper-case, the prefix without spaces or dashes, before the validators see them."""
        for field in ("country", "treat_as"):
            value = getattr(self, field)
            if isinstance(value, str):
                setattr(self, field, value.strip().upper())
        if isinstance(self.postcode_prefix, str):
            self.postcode_prefix = postcode_normalize(self.postcode_prefix)
        super().clean_fields(exclude=exclude)

    def clean(self):
        if self.country and self.treat_as == self.country and not self.postcode_prefix:
            raise ValidationError(
                {"treat_as": f"The whole of {self.country} taxed as {self.country} changes nothing: delete the row."}
            )
