"""CSV import/export of the VAT rate and VAT territory tables, the standard territory list, MappingSet."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from mappings.models import CurrencyMapping, VatRateMapping, VatTerritory
from mappings.resources import RESOURCES, VatRateMappingResource, VatTerritoryResource
from mappings.selectors import Territory, mapping_set_load
from mappings.services import import_problems, mapping_import, vat_territories_load_standard
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "mappings" / "fixtures"
RATES_HEADER = "country,rate,vat_category,sales_account,description\n"
TERRITORIES_HEADER = "country,postcode_prefix,treat_as,name,legal_source\n"


def imported(integration, table, content):
    result = mapping_import(integration=integration, table=table, content=content)
    assert import_problems(result) == []
    return result


def test_both_tables_are_importable_by_name():
    assert RESOURCES["vat_rates"] is VatRateMappingResource
    assert RESOURCES["vat_territories"] is VatTerritoryResource


def test_good_vat_rate_file_upserts_by_country_and_rate(integration):
    imported(integration, "vat_rates", RATES_HEADER + "se,6,SE6,,Books\nSE,12,SE12,3002,Food\nFI,25.5,FI255,,\n")
    first = VatRateMapping.objects.get(country="SE", rate=6)
    result = imported(integration, "vat_rates", RATES_HEADER + "SE,6.00,SE6B,,Books and newspapers\nDE,7,DE7,,\n")
    assert result.totals["update"] == 1 and result.totals["new"] == 1
    updated = VatRateMapping.objects.get(country="SE", rate=6)
    assert (updated.pk, updated.vat_category, updated.description) == (first.pk, "SE6B", "Books and newspapers")
    assert VatRateMapping.objects.get(country="SE", rate=12).sales_account == "3002"
    assert VatRateMapping.objects.get(country="FI").rate == Decimal("25.50")
    assert VatRateMapping.objects.filter(integration=integration).count() == 4


def test_vat_rate_file_may_leave_out_account_and_description(integration):
    imported(integration, "vat_rates", "country,rate,vat_category\nXI,20,OSS-XI\n")
    row = VatRateMapping.objects.get()
    assert (row.country, row.sales_account, row.description) == ("XI", "", "")


def test_bad_vat_rate_file_writes_nothing_and_names_row_column_and_what_is_allowed(integration):
    imported(integration, "vat_rates", RATES_HEADER + "SE,6,SE6,,Books\n")
    snapshot = list(VatRateMapping.objects.values())
    content = RATES_HEADER + (
        "SE,6,SE6X,,valid update\n"  # 1: must not be written
        "SE,abc,SE6,,\n"  # 2: not a number
        "QQ,6,QQ6,,\n"  # 3: unknown country
        "SE,6.125,SE6,,\n"  # 4: three decimals
        "SE,101,SE101,,\n"  # 5: above 100
        "SE,13,SE 13,31a,\n"  # 6: bad category and account
        "SE,12.0,SE12,,\n"  # 7: valid
        "SE,12,SE12,,\n"  # 8: the same rate again
    )
    problems = import_problems(mapping_import(integration=integration, table="vat_rates", content=content))
    assert problems == [
        "Row 3, column rate (value 'abc'): 'abc' is not a number: give the rate in percent, e.g. 6, 12 or 25.5.",
        "Row 4, column country (value 'QQ'): 'QQ' is not an ISO 3166-1 alpha-2 country code or XI (Northern Ireland).",
        "Row 5, column rate (value '6.125'): ensure that there are no more than 2 decimal places.",
        "Row 6, column rate (value '101'): ensure this value is less than or equal to 100.",
        "Row 7, column vat_category (value 'SE 13'): use letters, digits, '-', '_' or '.', without spaces (max 30).",
        "Row 7, column sales_account (value '31a'): a sales account is 4 to 10 digits, e.g. 3001 (BAS) or 30010.",
        "Row 9: country SE, rate 12 is already given in row 8.",
    ]
    assert list(VatRateMapping.objects.values()) == snapshot


def test_excel_decimal_comma_in_a_rate_is_read(integration):
    imported(integration, "vat_rates", RATES_HEADER + 'FI,"25,5",FI255,,\n')
    assert VatRateMapping.objects.get().rate == Decimal("25.5")


def test_standard_territory_file_imports_cleanly_with_a_legal_source_per_row(integration):
    content = (FIXTURES / "vat_territories.csv").read_text(encoding="utf-8")
    imported(integration, "vat_territories", content)
    rows = VatTerritory.objects.filter(integration=integration)
    assert rows.count() == len(content.strip().splitlines()) - 1
    assert all(row.legal_source for row in rows)
    expected = {
        ("MC", ""): "FR",
        ("GB", "BT"): "XI",
        ("IM", ""): "GB",
        ("ES", "35"): "EXPORT",
        ("ES", "38"): "EXPORT",
        ("ES", "51"): "EXPORT",
        ("ES", "52"): "EXPORT",
        ("FI", "22"): "EXPORT",
        ("AX", ""): "EXPORT",
        ("GR", "63086"): "EXPORT",
        ("GR", "63087"): "EXPORT",
        ("DE", "78266"): "EXPORT",
        ("DE", "27498"): "EXPORT",
        ("IT", "23041"): "EXPORT",
        ("IT", "22061"): "EXPORT",
        **{("FR", str(code)): "EXPORT" for code in range(971, 977)},
        **{(code, ""): "EXPORT" for code in ("GP", "MQ", "GF", "RE", "YT", "MF", "BL")},
    }
    got = {(r.country, r.postcode_prefix): r.treat_as for r in rows}
    assert expected.items() <= got.items()
    assert "Art. 7" in rows.get(country="MC").legal_source
    assert "Windsor Framework" in rows.get(country="GB", postcode_prefix="BT").legal_source
    assert "Art. 6(1)(b)" in rows.get(country="ES", postcode_prefix="35").legal_source


def test_bad_territory_file_writes_nothing_and_names_row_column_and_what_is_allowed(integration):
    content = TERRITORIES_HEADER + (
        "ES,35,EXPORT,Canary Islands,\n"  # 1: valid
        "ES,38,EXPORTED,Tenerife,\n"  # 2: unknown treatment
        "ES,3-5!,EXPORT,x,\n"  # 3: not letters/digits
        "es,35 ,export,Canary Islands again,\n"  # 4: the same key as row 1 once normalised
        "SE,,SE,Sweden,\n"  # 5: changes nothing
        "ZZ,,FR,,\n"  # 6: unknown country, no name
    )
    problems = import_problems(mapping_import(integration=integration, table="vat_territories", content=content))
    rows = [int(p.split(",")[0].split(":")[0].removeprefix("Row ")) for p in problems]
    assert sorted(set(rows)) == [3, 4, 5, 6, 7]  # lines of the file: the header is line 1
    assert any(p.startswith("Row 3, column treat_as (value 'EXPORTED'): 'EXPORTED' is not allowed") for p in problems)
    assert any(
        p.startswith("Row 4, column postcode_prefix (value '3-5!')") and "letters and digits" in p for p in problems
    )
    assert "Row 5: country ES, postcode_prefix 35 is already given in row 2." in problems
    assert any(p.startswith("Row 6, column treat_as (value 'SE'):") and "changes nothing" in p for p in problems)
    assert any(p.startswith("Row 7, column country (value 'ZZ'): 'ZZ'") for p in problems)
    assert "Row 7, column name (empty): this field cannot be blank." in problems
    assert not VatTerritory.objects.exists()


def test_territory_prefix_is_stored_without_spaces_and_updates_in_place(integration):
    imported(integration, "vat_territories", TERRITORIES_HEADER + "gb,bt,xi,Northern Ireland,\n")
    first = VatTerritory.objects.get()
    imported(integration, "vat_territories", TERRITORIES_HEADER + "GB,B T,XI,Northern Ireland (UK),source\n")
    row = VatTerritory.objects.get()
    assert (row.pk, row.postcode_prefix, row.name, row.legal_source) == (
        first.pk,
        "BT",
        "Northern Ireland (UK)",
        "source",
    )


@pytest.mark.parametrize(
    "table, resource, content",
    [
        ("vat_rates", VatRateMappingResource, RATES_HEADER + "FI,25.5,FI255,3106,Standard\nSE,6,SE6,,Books\n"),
        ("vat_territories", VatTerritoryResource, (FIXTURES / "vat_territories.csv").read_text(encoding="utf-8")),
    ],
)
def test_export_round_trips(integration, table, resource, content):
    imported(integration, table, content)
    other = IntegrationFactory()
    imported(other, table, content.splitlines()[0] + "\n" + content.splitlines()[1] + "\n")
    exported = resource(integration=integration).export(resource.Meta.model.objects.filter(integration=integration))
    lines = exported.csv.strip().splitlines()
    assert lines[0] == content.splitlines()[0]
    assert sorted(csv.reader(lines[1:])) == sorted(csv.reader(content.strip().splitlines()[1:]))
    result = mapping_import(integration=integration, table=table, content=exported.csv)
    assert import_problems(result) == [] and result.totals["skip"] == len(lines) - 1


def test_standard_territories_are_added_once_and_edited_rows_are_kept(integration):
    added = vat_territories_load_standard(integration=integration)
    assert added == VatTerritory.objects.filter(integration=integration).count() >= 28
    monaco = VatTerritory.objects.get(integration=integration, country="MC")
    monaco.name = "Monaco (edited)"
    monaco.save()
    VatTerritory.objects.filter(integration=integration, country="ES", postcode_prefix="35").delete()
    assert vat_territories_load_standard(integration=integration) == 1
    assert VatTerritory.objects.get(integration=integration, country="MC").name == "Monaco (edited)"
    assert VatTerritory.objects.filter(integration=integration, country="ES", postcode_prefix="35").exists()
    assert vat_territories_load_standard(integration=integration) == 0


def test_mapping_set_carries_vat_rates_territories_and_integration_settings(integration):
    integration.vat_rate_check, integration.rounding_account = "warn", "3741"
    integration.save()
    imported(integration, "vat_rates", RATES_HEADER + "SE,6.00,SE6,3002,Books\nFI,25.50,FI255,,\n")
    imported(
        integration,
        "vat_territories",
        TERRITORIES_HEADER + "ES,,FR,Spain as France,\nES,35,EXPORT,Canary Islands,\nES,3,FR,three,\n",
    )
    imported(IntegrationFactory(), "vat_rates", RATES_HEADER + "SE,12,SE12,,\n")  # another integration's
    mappings = mapping_set_load(integration=integration)
    assert mappings.vat_rates == {("SE", Decimal("6")): ("SE6", "3002"), ("FI", Decimal("25.5")): ("FI255", "")}
    assert str(next(rate for country, rate in mappings.vat_rates if country == "FI")) == "25.5"
    assert [t.postcode_prefix for t in mappings.territories] == ["35", "3", ""]  # most specific first
    assert mappings.territories[0] == Territory("ES", "35", "EXPORT", "Canary Islands")
    assert (mappings.vat_rate_check, mappings.rounding_account, mappings.category_rates) == ("warn", "3741", {})


def test_mapping_set_defaults_keep_existing_callers_working():
    from mappings.selectors import MappingSet

    mappings = MappingSet(home_country="SE", tax_country_source="shipping", default_customer_number="")
    assert (mappings.vat_rates, mappings.territories, mappings.category_rates) == ({}, (), {})
    assert (mappings.vat_rate_check, mappings.rounding_account) == ("refuse", "3740")


def test_new_integrations_default_to_refuse_and_account_3740(integration):
    assert (integration.vat_rate_check, integration.rounding_account) == ("refuse", "3740")


@pytest.mark.parametrize("decimals, expected", [("", {"JPY": 0, "KWD": 3, "EUR": 2}), (None, {"JPY": 0, "KWD": 3})])
def test_blank_or_left_out_currency_decimals_take_the_iso_minor_unit(integration, decimals, expected):
    if decimals is None:
        content = "shop_currency,erp_currency\n" + "".join(f"{c},{c}\n" for c in expected)
    else:
        content = "shop_currency,erp_currency,decimals\n" + "".join(f"{c},{c},\n" for c in expected)
    imported(integration, "currencies", content)
    assert dict(CurrencyMapping.objects.values_list("shop_currency", "decimals")) == expected


def test_a_file_without_decimals_keeps_the_decimals_of_existing_rows(integration):
    imported(integration, "currencies", "shop_currency,erp_currency,decimals\nJPY,JPY,1\n")
    imported(integration, "currencies", "shop_currency,erp_currency\nJPY,JPY\n")
    assert CurrencyMapping.objects.get().decimals == 1
