"""CSV import: a good file upserts by natural key; a bad file writes nothing and names every bad row."""

import pytest

from mappings.countries import EU_MEMBER_STATES
from mappings.models import CurrencyMapping, CustomerClass, ShippingMapping, SkuRule, TaxZoneMapping
from mappings.services import import_problems, mapping_import
from tests.factories import IntegrationFactory

from .conftest import TAX_HEADER

pytestmark = pytest.mark.django_db


def test_shipped_eu_file_imports_cleanly(integration_with_classes, eu_csv):
    result = mapping_import(integration=integration_with_classes, table="tax_zones", content=eu_csv)
    assert import_problems(result) == []
    rows = TaxZoneMapping.objects.filter(integration=integration_with_classes)
    countries = set(rows.values_list("country", flat=True))
    assert EU_MEMBER_STATES <= countries
    assert {"NO", "CH", "GB", "US", "*"} <= countries
    for country in countries:
        assert set(rows.filter(country=country).values_list("customer_type", flat=True)) == {"B2B", "B2C"}
    fr_b2c = rows.get(country="FR", customer_type="B2C")
    assert (fr_b2c.customer_class.code, fr_b2c.vat_zone, fr_b2c.vat_category) == ("EUB2C", "OSS", "OSS-FR")
    assert rows.get(country="DE", customer_type="B2B").regime == "eu_b2b"


def test_good_file_upserts_by_natural_key(integration_with_classes, eu_csv):
    mapping_import(integration=integration_with_classes, table="tax_zones", content=eu_csv)
    before = TaxZoneMapping.objects.count()
    fr_id = TaxZoneMapping.objects.get(country="FR", customer_type="B2C").pk
    result = mapping_import(
        integration=integration_with_classes,
        table="tax_zones",
        content=TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3107\nis,b2c,EXPORT,EXPORT,EXP0,3105\n",
    )
    assert import_problems(result) == []
    assert result.totals["update"] == 1 and result.totals["new"] == 1
    assert TaxZoneMapping.objects.count() == before + 1
    fr = TaxZoneMapping.objects.get(country="FR", customer_type="B2C")
    assert fr.pk == fr_id and fr.sales_account == "3107"
    assert TaxZoneMapping.objects.filter(country="IS", customer_type="B2C").exists()  # codes upper-cased


def test_bad_file_writes_nothing_and_reports_every_bad_row(integration_with_classes, eu_csv):
    mapping_import(integration=integration_with_classes, table="tax_zones", content=eu_csv)
    snapshot = list(TaxZoneMapping.objects.order_by("pk").values())
    content = TAX_HEADER + (
        "FR,B2C,EUB2C,OSS,OSS-FR,3999\n"  # 1: valid update, must not be written
        "XX,B2C,EUB2C,OSS,OSS-XX,3106\n"  # 2: unknown country
        "DE,B2C,EUB2C,,OSS-DE,3106\n"  # 3: missing VAT zone
        "NL,B2C,EUB2C,OSS,OSS-NL,3106\n"  # 4: valid
        "NL,B2C,EUB2C,OSS,OSS-NL,3106\n"  # 5: duplicate key
        "PL,B2C,NOSUCH,OSS,OSS-PL,31a6\n"  # 6: unknown class + bad account
        "IT,B2X,EUB2C,OSS,OSS-IT,3106\n"  # 7: bad customer type
    )
    result = mapping_import(integration=integration_with_classes, table="tax_zones", content=content)
    problems = import_problems(result)
    assert problems == [  # rows are lines of the file: the header is line 1
        "Row 3, column country (value 'XX'): 'XX' is not an ISO 3166-1 alpha-2 country code or XI (Northern "
        "Ireland); use '*' for rest of world.",
        "Row 4, column vat_zone (empty): this field cannot be blank.",
        "Row 6: country NL, customer_type B2C is already given in row 5.",
        "Row 7, column customer_class (value 'NOSUCH'): 'NOSUCH' does not exist for this integration: add it under "
        "Mappings › Customer classes (or import the customer classes CSV) first.",
        "Row 7, column sales_account (value '31a6'): a sales account is 4 to 10 digits, e.g. 3001 (BAS) or 30010.",
        "Row 8, column customer_type (value 'B2X'): value 'B2X' is not a valid choice.",
    ]
    assert list(TaxZoneMapping.objects.order_by("pk").values()) == snapshot


@pytest.mark.parametrize(
    "header, message",
    [
        ("country,customer_type,customer_class,vat_zone,vat_category,account\n", "Unknown column(s): account"),
        ("country,customer_type,customer_class,vat_zone,vat_category\n", "Missing column(s): sales_account"),
        ("country,country,customer_type,customer_class,vat_zone,vat_category,sales_account\n", "given twice: country"),
    ],
)
def test_wrong_columns_reject_the_whole_file(integration_with_classes, header, message):
    row = ",".join(["SE", "B2C", "DOMESTIC", "SE", "SE25", "3001", "3001"][: header.count(",") + 1])
    result = mapping_import(integration=integration_with_classes, table="tax_zones", content=header + row + "\n")
    problems = import_problems(result)
    assert len(problems) == 1 and problems[0].startswith("Line 1, the header row: ") and message in problems[0]
    assert not TaxZoneMapping.objects.exists()


def test_rows_of_other_integrations_are_untouched(integration_with_classes, eu_csv):
    mapping_import(integration=integration_with_classes, table="tax_zones", content=eu_csv)
    other = IntegrationFactory()
    mapping_import(integration=other, table="customer_classes", content="code,description\nEUB2C,x\n")
    result = mapping_import(integration=other, table="tax_zones", content=TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3999\n")
    assert import_problems(result) == []
    assert (
        TaxZoneMapping.objects.get(
            integration=integration_with_classes, country="FR", customer_type="B2C"
        ).sales_account
        == "3106"
    )
    assert TaxZoneMapping.objects.get(integration=other).sales_account == "3999"


def test_customer_class_is_looked_up_in_the_integration_only(integration_with_classes):
    other = IntegrationFactory()
    result = mapping_import(integration=other, table="tax_zones", content=TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3106\n")
    assert any("'EUB2C' does not exist for this integration" in p for p in import_problems(result))


def test_dry_run_validates_without_writing(integration):
    result = mapping_import(
        integration=integration, table="customer_classes", content="code,description\nA,a\n", dry_run=True
    )
    assert import_problems(result) == [] and result.totals["new"] == 1
    assert not CustomerClass.objects.exists()


def test_other_tables_import_and_validate(integration):
    ok = mapping_import(
        integration=integration,
        table="currencies",
        content="shop_currency,erp_currency,decimals\neur,EUR,2\nSEK,SEK,2\n",
    )
    assert import_problems(ok) == []
    assert set(CurrencyMapping.objects.values_list("shop_currency", flat=True)) == {"EUR", "SEK"}
    bad = mapping_import(integration=integration, table="currencies", content="shop_currency,erp_currency\nEUR,EUROS\n")
    assert "Row 2, column erp_currency (value 'EUROS'): 'EUROS' is not an ISO 4217 currency code." in import_problems(
        bad
    )
    optional = mapping_import(
        integration=integration, table="shipping", content="shop_shipping,erp_item\nstandard,FREIGHT\n"
    )
    assert import_problems(optional) == []
    assert ShippingMapping.objects.get().sales_account == ""


def test_sku_rule_file_updates_the_single_rule(integration):
    content = "product_source,variant_source,size_source,separator\nsegment:1,segment:2,segment:3,-\n"
    assert import_problems(mapping_import(integration=integration, table="sku_rule", content=content)) == []
    content = "product_source,variant_source,size_source,separator\ninventoryNumber,attribute:COLOUR,,\n"
    assert import_problems(mapping_import(integration=integration, table="sku_rule", content=content)) == []
    rule = SkuRule.objects.get(integration=integration)
    assert (rule.product_source, rule.variant_source, rule.separator) == ("inventoryNumber", "attribute:COLOUR", "")
    two = content + "description,,,\n"
    problems = import_problems(mapping_import(integration=integration, table="sku_rule", content=two))
    assert any("exactly one row" in p for p in problems)


def test_export_round_trips(integration_with_classes, eu_csv):
    from mappings.resources import TaxZoneMappingResource

    mapping_import(integration=integration_with_classes, table="tax_zones", content=eu_csv)
    exported = (
        TaxZoneMappingResource(integration=integration_with_classes)
        .export(TaxZoneMapping.objects.filter(integration=integration_with_classes))
        .csv
    )
    assert exported.splitlines()[0] == TAX_HEADER.strip()
    assert sorted(exported.splitlines()[1:]) == sorted(eu_csv.strip().splitlines()[1:])
