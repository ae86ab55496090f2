"""Read the mapping tables of an integration into one immutable snapshot for a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sync.models import Integration

from .models import (
    REST_OF_WORLD,
    CurrencyMapping,
    PaymentMethodMapping,
    PaymentTermMapping,
    ShippingMapping,
    SkuRule,
    TaxZoneMapping,
    VatRateMapping,
    VatTerritory,
)


@dataclass(frozen=True)
class TaxZone:
    country: str
    customer_type: str
    customer_class: str
    vat_zone: str
    vat_category: str
    sales_account: str


@dataclass(frozen=True)
class Territory:
    """Addresses in `country` with a postcode starting `postcode_prefix` ('' = all) are taxed as `treat_as`
    (an ISO code, XI, or EXPORT)."""

    country: str
    postcode_prefix: str
    treat_as: str
    name: str


@dataclass(frozen=True)
class MappingSet:
    """Everything the pure mapping functions need; loaded once per run (no I/O afterwards)."""

    home_country: str
    tax_country_source: str
    default_customer_number: str
    tax_zones: dict[tuple[str, str], TaxZone] = field(default_factory=dict)
    payment_methods: dict[str, tuple[str, str]] = field(default_factory=dict)  # shop → (erp method, cash account)
    payment_terms: dict[str, str] = field(default_factory=dict)
    shipping: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # shop → (item, description, account)
    currencies: dict[str, tuple[str, int]] = field(default_factory=dict)  # shop → (erp currency, decimals)
    sku_rule: tuple[str, str, str, str] | None = None  # (product, variant, size, separator)
    allow_negative_quantities: bool = False  # the integration's switch; off: such lines fail the record
    # (country, rate percent normalized, e.g. Decimal('6')) → (VAT category, sales account or '')
    vat_rates: dict[tuple[str, Decimal], tuple[str, str]] = field(default_factory=dict)
    # per country the longest postcode prefix first, so the first match is the most specific
    territories: tuple[Territory, ...] = ()
    vat_rate_check: str = "refuse"  # refuse | warn (Integration.vat_rate_check)
    rounding_account: str = "3740"
    # VAT category → ((start date 'YYYY-MM-DD', rate percent), ...) ascending; filled by the flow from the ERP
    category_rates: dict[str, tuple[tuple[str, Decimal], ...]] = field(default_factory=dict)
    # What a sales order needs and the order does not say (Integration.erp_branch, erp_order_type, erp_warehouse)
    erp_branch: str = ""
    erp_order_type: str = ""
    erp_warehouse: str = ""


def currency_decimals(*, integration: Integration, currency: str) -> int:
    """Decimals of a shop currency for the integration: its currency mapping's, else ISO 4217's."""
    from .countries import currency_minor_unit

    row = CurrencyMapping.objects.filter(integration=integration, shop_currency=currency).first()
    return row.decimals if row is not None and row.decimals is not None else currency_minor_unit(currency)


def mapping_set_load(*, integration: Integration) -> MappingSet:
    zones = {
        (z.country, z.customer_type): TaxZone(
            z.country, z.customer_type, z.customer_class.code, z.vat_zone, z.vat_category, z.sales_account
        )
        for z in TaxZoneMapping.objects.filter(integration=integration).select_related("customer_class")
    }
    rule = SkuRule.objects.filter(integration=integration).first()
    territories = sorted(
        VatTerritory.objects.filter(integration=integration),
        key=lambda t: (t.country, -len(t.postcode_prefix), t.postcode_prefix),
    )
    return MappingSet(
        home_country=integration.home_country,
        tax_country_source=integration.tax_country_source,
        default_customer_number=integration.default_customer_number,
        tax_zones=zones,
        payment_methods={
            m.shop_method: (m.erp_payment_method, m.erp_cash_account)
            for m in PaymentMethodMapping.objects.filter(integration=integration)
        },
        payment_terms={m.shop_terms: m.erp_terms for m in PaymentTermMapping.objects.filter(integration=integration)},
        shipping={
            m.shop_shipping: (m.erp_item, m.description, m.sales_account)
            for m in ShippingMapping.objects.filter(integration=integration)
        },
        currencies={
            m.shop_currency: (m.erp_currency, m.decimals)
            for m in CurrencyMapping.objects.filter(integration=integration)
        },
        sku_rule=(rule.product_source, rule.variant_source, rule.size_source, rule.separator) if rule else None,
        allow_negative_quantities=integration.allow_negative_quantities,
        erp_branch=integration.erp_branch,
        erp_order_type=integration.erp_order_type,
        erp_warehouse=integration.erp_warehouse,
        vat_rates={
            (r.country, r.rate.normalize()): (r.vat_category, r.sales_account)
            for r in VatRateMapping.objects.filter(integration=integration)
        },
        territories=tuple(Territory(t.country, t.postcode_prefix, t.treat_as, t.name) for t in territories),
        vat_rate_check=integration.vat_rate_check,
        rounding_account=integration.rounding_account,
    )


__all__ = ["REST_OF_WORLD", "MappingSet", "TaxZone", "Territory", "mapping_set_load"]


def field_rules_of(*, integration: Integration, flow: str) -> dict[str, list]:
    """The integration's enabled field rules of `flow` as engine rules (mappings.datamapper.Rule), by body
    kind, in their order: {"invoice": [Rule, ...], "customer": [...]}. One query."""
    from .datamapper_models import FieldRule, target_parts

    found: dict[str, list] = {}
    rules = (
        FieldRule.objects.filter(integration=integration, target__startswith=f"{flow}:", enabled=True)
        .select_related("integration__shop", "integration__erp")
        .order_by("target", "position", "pk")
    )
    for rule in rules:
        found.setdefault(target_parts(rule.target)[1], []).append(rule.as_rule())
    return found
