import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mappings.models import CurrencyMapping, Regime, SkuRule, TaxZoneMapping
from tests.factories import CustomerClassFactory, IntegrationFactory, TaxZoneMappingFactory

pytestmark = pytest.mark.django_db


def test_one_row_per_integration_country_and_customer_type():
    row = TaxZoneMappingFactory(country="FR", customer_type="B2C")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxZoneMapping.objects.create(
            integration=row.integration,
            customer_class=row.customer_class,
            country="FR",
            customer_type="B2C",
            vat_zone="OSS",
            vat_category="X",
            sales_account="3106",
        )
    # the same key in another integration is fine
    TaxZoneMappingFactory(country="FR", customer_type="B2C")


@pytest.mark.parametrize(
    "field, value",
    [("country", "XX"), ("country", "fr"), ("sales_account", "31a6"), ("sales_account", "123"), ("vat_zone", "")],
)
def test_invalid_values_fail_validation(field, value):
    row = TaxZoneMappingFactory()
    setattr(row, field, value)
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert field in exc.value.message_dict


@pytest.mark.parametrize("country, sales_account", [("ZZ", "3106"), ("FR", "31x")])
def test_database_refuses_malformed_country_and_account(country, sales_account):
    row = TaxZoneMappingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxZoneMapping.objects.filter(pk=row.pk).update(country=country.lower(), sales_account=sales_account)


def test_customer_class_must_belong_to_the_same_integration():
    row = TaxZoneMappingFactory()
    row.customer_class = CustomerClassFactory()  # another integration
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "customer_class" in exc.value.message_dict


@pytest.mark.parametrize(
    "country, customer_type, regime",
    [
        ("SE", "B2C", Regime.DOMESTIC),
        ("SE", "B2B", Regime.DOMESTIC),
        ("FR", "B2C", Regime.EU_B2C),
        ("DE", "B2B", Regime.EU_B2B),
        ("NO", "B2C", Regime.EXPORT),
        ("*", "B2B", Regime.EXPORT),
    ],
)
def test_regime_follows_oss_rules(country, customer_type, regime):
    row = TaxZoneMappingFactory(country=country, customer_type=customer_type)
    assert row.regime == regime


def test_fallback_row_is_rest_of_world():
    row = TaxZoneMappingFactory(country="*")
    assert row.is_fallback and row.country_label == "Rest of world"


def test_currency_codes_are_validated():
    integration = IntegrationFactory()
    with pytest.raises(ValidationError) as exc:
        CurrencyMapping(integration=integration, shop_currency="EUX", erp_currency="EUR").full_clean()
    assert "shop_currency" in exc.value.message_dict


@pytest.mark.parametrize(
    "fields, ok",
    [
        ({"product_source": "inventoryNumber"}, True),
        ({"product_source": "inventoryNumber", "variant_source": "attribute:COLOUR"}, True),
        (
            {"product_source": "attribute:INFORMATION5", "variant_source": "attribute:INFORMATION4", "separator": "-"},
            True,
        ),
        ({"product_source": "segment:1", "variant_source": "segment:2"}, False),  # no separator
        ({"product_source": "itemNo"}, False),
        ({"product_source": "inventoryNumber", "size_source": "attribute:SIZE"}, False),  # size without variant
        ({"product_source": "inventoryNumber", "variant_source": "inventoryNumber"}, False),
    ],
)
def test_sku_rule_validation(fields, ok):
    rule = SkuRule(integration=IntegrationFactory(), **fields)
    if ok:
        rule.full_clean()
    else:
        with pytest.raises(ValidationError):
            rule.full_clean()


def test_one_sku_rule_per_integration():
    integration = IntegrationFactory()
    SkuRule.objects.create(integration=integration)
    with pytest.raises(IntegrityError), transaction.atomic():
        SkuRule.objects.create(integration=integration)
