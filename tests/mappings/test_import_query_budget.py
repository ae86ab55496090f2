"""A mapping file costs a fixed number of database queries, not some per row (bench/mapping_import.py
measures the same on 500 and 5,000 rows by hand)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mappings.models import TAX_COUNTRIES, CustomerClass, TaxZoneMapping
from mappings.services import mapping_export, mapping_import

from .conftest import TAX_HEADER

pytestmark = pytest.mark.django_db

KEYS = [(country, kind) for country in sorted(TAX_COUNTRIES) for kind in ("B2B", "B2C")]
PREVIEW_BUDGET = 20  # whatever the number of rows


def tax_zone_file(rows: int) -> str:
    """The real (country, customer type) keys first, then rows whose country is no country ('Q0001')."""
    keys = KEYS[:rows] + [(f"Q{n:04d}", "B2C") for n in range(max(rows - len(KEYS), 0))]
    return TAX_HEADER + "".join(f"{country},{kind},eub2c,OSS,OSS-{kind},3106\n" for country, kind in keys)


@pytest.fixture
def half_existing(integration):
    """Customer classes, and a tax zone for every second real key (so a file both adds and updates)."""
    classes = {code: CustomerClass.objects.create(integration=integration, code=code) for code in ("EUB2C", "EXPORT")}
    TaxZoneMapping.objects.bulk_create(
        TaxZoneMapping(
            integration=integration,
            country=country,
            customer_type=kind,
            customer_class=classes["EXPORT"],
            vat_zone="OLD",
            vat_category="OLD",
            sales_account="3001",
        )
        for country, kind in KEYS[::2]
    )
    return integration


@pytest.mark.parametrize("rows", [500, 5000])
def test_the_preview_of_a_tax_zone_file_runs_the_same_few_queries_for_any_number_of_rows(half_existing, rows):
    with CaptureQueriesContext(connection) as queries:
        result = mapping_import(integration=half_existing, table="tax_zones", content=tax_zone_file(rows), dry_run=True)

    assert len(queries) <= PREVIEW_BUDGET, [q["sql"][:120] for q in queries[:40]]
    totals = result.totals
    assert totals["update"] == len(KEYS[::2]) and totals["new"] == min(rows, len(KEYS)) - len(KEYS[::2])
    problems = result.problems
    assert len(problems) == 2 * max(rows - len(KEYS), 0)  # a made-up country: not a country, and too long
    if problems:
        assert problems[0].startswith(f"Row {len(KEYS) + 2}, column country (value 'Q0000')")
    assert TaxZoneMapping.objects.filter(vat_zone="OLD").count() == len(KEYS[::2])  # the preview wrote nothing


def test_the_admin_preview_of_5000_rows_stays_within_the_budget(admin_client, half_existing):
    upload = SimpleUploadedFile("zones.csv", tax_zone_file(5000).encode(), content_type="text/csv")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            reverse("admin:mappings_taxzonemapping_import"),
            {"integration": half_existing.pk, "format": "0", "import_file": upload},
        )

    assert response.status_code == 200
    assert "Row 502, column country (value &#x27;Q0000&#x27;)" in response.content.decode()
    assert len(queries) <= PREVIEW_BUDGET, [q["sql"][:120] for q in queries]  # session, user and form included


def test_the_confirm_step_still_finds_existing_rows_and_the_customer_class_ignoring_case(half_existing):
    result = mapping_import(integration=half_existing, table="tax_zones", content=tax_zone_file(len(KEYS)))

    assert result.problems == []
    assert TaxZoneMapping.objects.filter(integration=half_existing).count() == len(KEYS)
    assert set(TaxZoneMapping.objects.values_list("customer_class__code", "vat_zone").distinct()) == {("EUB2C", "OSS")}


def test_a_customer_class_of_another_integration_is_not_found(half_existing):
    from tests.factories import IntegrationFactory

    other = IntegrationFactory()
    CustomerClass.objects.create(integration=other, code="DOMESTIC")

    result = mapping_import(
        integration=half_existing, table="tax_zones", content=TAX_HEADER + "SE,B2C,DOMESTIC,SE,SE25,3001\n"
    )

    assert result.problems == [
        "Row 2, column customer_class (value 'DOMESTIC'): 'DOMESTIC' does not exist for this integration: add it "
        "under Mappings › Customer classes (or import the customer classes CSV) first."
    ]


def test_the_export_reads_the_customer_classes_with_the_tax_zones(half_existing):
    with CaptureQueriesContext(connection) as queries:
        content = mapping_export(integration=half_existing, table="tax_zones")

    lines = content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(KEYS[::2]) and lines[1].endswith(",EXPORT,OLD,OLD,3001")
    assert len(queries) <= 2, [q["sql"][:120] for q in queries[:5]]
