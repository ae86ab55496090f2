"""VAT rate and VAT territory rows: validation, normalisation, database constraints, labels; XI as a tax country."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mappings.countries import (
    EU_MEMBER_STATES,
    EU_VAT_AREA_GOODS,
    VAT_PREFIX,
    country_name,
    country_normalize,
    currency_minor_unit,
)
from mappings.models import CurrencyMapping, TaxZoneMapping, VatRateMapping, VatTerritory
from tests.factories import IntegrationFactory, TaxZoneMappingFactory

pytestmark = pytest.mark.django_db


def rate_row(**fields) -> VatRateMapping:
    values = {"country": "SE", "rate": Decimal("6"), "vat_category": "SE6", **fields}
    return VatRateMapping(integration=IntegrationFactory(), **values)


def territory_row(**fields) -> VatTerritory:
    values = {"country": "ES", "postcode_prefix": "35", "treat_as": "EXPORT", "name": "Canary Islands", **fields}
    return VatTerritory(integration=IntegrationFactory(), **values)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"country": "XI", "rate": Decimal("20"), "vat_category": "OSS-XI"},
        {"rate": Decimal("25.5"), "country": "FI", "sales_account": "3106"},
        {"rate": Decimal("0")},
        {"rate": Decimal("100")},
    ],
)
def test_valid_vat_rate_rows(fields):
    rate_row(**fields).full_clean()


@pytest.mark.parametrize(
    "field, value",
    [
        ("country", "XX"),
        ("country", "*"),
        ("country", "EL"),  # the VAT prefix, not the ISO code
        ("rate", Decimal("-1")),
        ("rate", Decimal("100.01")),
        ("rate", Decimal("6.125")),
        ("vat_category", ""),
        ("vat_category", "SE 6"),
        ("sales_account", "31a6"),
        ("sales_account", "123"),
    ],
)
def test_invalid_vat_rate_values_name_the_field(field, value):
    with pytest.raises(ValidationError) as exc:
        rate_row(**{field: value}).full_clean()
    assert field in exc.value.message_dict


def test_vat_rate_country_is_upper_cased():
    row = rate_row(country="se")
    row.full_clean()
    assert row.country == "SE"


def test_one_vat_rate_row_per_integration_country_and_rate():
    row = rate_row()
    row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        VatRateMapping.objects.create(integration=row.integration, country="SE", rate=Decimal("6.00"), vat_category="X")
    rate_row(rate=Decimal("12")).save()  # another rate, another integration: fine
    VatRateMapping.objects.create(integration=row.integration, country="FI", rate=Decimal("6"), vat_category="X")


@pytest.mark.parametrize(
    "values", [{"rate": Decimal("101")}, {"country": "se"}, {"vat_category": ""}, {"sales_account": "12"}]
)
def test_database_refuses_malformed_vat_rates(values):
    row = rate_row()
    row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        VatRateMapping.objects.filter(pk=row.pk).update(**values)


def test_vat_rate_reads_as_country_rate_and_category():
    assert str(rate_row(rate=Decimal("6.00"), vat_category="SE6")) == "SE 6 % → SE6"
    assert str(rate_row(country="FI", rate=Decimal("25.50"), vat_category="FI255")) == "FI 25.5 % → FI255"
    assert str(rate_row(country="DE", rate=Decimal("20"), vat_category="X")) == "DE 20 % → X"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"country": "GB", "postcode_prefix": "BT", "treat_as": "XI", "name": "Northern Ireland"},
        {"country": "MC", "postcode_prefix": "", "treat_as": "FR", "name": "Monaco"},
        {"country": "XI", "postcode_prefix": "", "treat_as": "EXPORT", "name": "x"},
    ],
)
def test_valid_territory_rows(fields):
    territory_row(**fields).full_clean()


@pytest.mark.parametrize(
    "field, value",
    [
        ("country", "XX"),
        ("treat_as", "EXPORTED"),
        ("treat_as", "XX"),
        ("treat_as", ""),
        ("postcode_prefix", "35!"),
        ("postcode_prefix", "3.5"),
        ("postcode_prefix", "ÅL"),
        ("name", ""),
    ],
)
def test_invalid_territory_values_name_the_field(field, value):
    with pytest.raises(ValidationError) as exc:
        territory_row(**{field: value}).full_clean()
    assert field in exc.value.message_dict


def test_territory_codes_and_postcode_prefix_are_normalised():
    row = territory_row(country="gb", postcode_prefix=" bt-1 ", treat_as="xi", name="Belfast")
    row.full_clean()
    assert (row.country, row.postcode_prefix, row.treat_as) == ("GB", "BT1", "XI")


def test_whole_country_taxed_as_itself_is_refused():
    with pytest.raises(ValidationError) as exc:
        territory_row(country="SE", postcode_prefix="", treat_as="SE", name="Sweden").full_clean()
    assert "changes nothing" in exc.value.message_dict["treat_as"][0]
    territory_row(country="FR", postcode_prefix="98", treat_as="FR", name="Monaco by French postcode").full_clean()


def test_one_territory_row_per_integration_country_and_prefix():
    row = territory_row()
    row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        VatTerritory.objects.create(
            integration=row.integration, country="ES", postcode_prefix="35", treat_as="EXPORT", name="again"
        )
    VatTerritory.objects.create(
        integration=row.integration, country="ES", postcode_prefix="38", treat_as="EXPORT", name="Tenerife"
    )


@pytest.mark.parametrize(
    "values", [{"postcode_prefix": "bt"}, {"postcode_prefix": "3 5"}, {"treat_as": "EXPORTX"}, {"name": ""}]
)
def test_database_refuses_malformed_territories(values):
    row = territory_row()
    row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        VatTerritory.objects.filter(pk=row.pk).update(**values)


def test_territory_reads_as_place_and_treatment():
    assert str(territory_row()) == "ES 35… Canary Islands → export"
    assert str(territory_row(country="MC", postcode_prefix="", treat_as="FR", name="Monaco")) == "MC Monaco → FR"


def test_northern_ireland_is_a_tax_country_in_the_eu_vat_area_for_goods():
    row = TaxZoneMappingFactory(country="XI", customer_type="B2C")
    row.full_clean()
    assert row.country_label == "XI Northern Ireland"
    assert country_name("XI") == "Northern Ireland"
    assert EU_VAT_AREA_GOODS == EU_MEMBER_STATES | {"XI"} and "XI" not in EU_MEMBER_STATES
    bad = TaxZoneMappingFactory.build(integration=row.integration, customer_class=row.customer_class, country="XX")
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "XI (Northern Ireland)" in exc.value.message_dict["country"][0]
    assert TaxZoneMapping.objects.filter(country="XI").exists()


@pytest.mark.parametrize("code, normal", [("EL", "GR"), ("uk", "GB"), (" se ", "SE"), ("GR", "GR"), ("", "")])
def test_shop_country_codes_are_normalised(code, normal):
    assert country_normalize(code) == normal


def test_greek_vat_numbers_keep_their_el_prefix():
    assert VAT_PREFIX["GR"] == "EL" and VAT_PREFIX["SE"] == "SE"


@pytest.mark.parametrize(
    "currency, decimals", [("JPY", 0), ("KWD", 3), ("EUR", 2), ("SEK", 2), ("HUF", 2), ("CLF", 4), ("ISK", 0)]
)
def test_currency_minor_unit_follows_iso_4217(currency, decimals):
    assert currency_minor_unit(currency) == decimals


@pytest.mark.parametrize("currency, decimals", [("JPY", 0), ("KWD", 3), ("EUR", 2)])
def test_blank_currency_decimals_take_the_minor_unit(currency, decimals):
    row = CurrencyMapping(
        integration=IntegrationFactory(), shop_currency=currency, erp_currency=currency, decimals=None
    )
    row.full_clean()
    assert row.decimals == decimals


def test_currency_decimals_above_four_are_refused():
    row = CurrencyMapping(integration=IntegrationFactory(), shop_currency="EUR", erp_currency="EUR", decimals=5)
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "decimals" in exc.value.message_dict
