import csv
from pathlib import Path

import tablib
from django.db import transaction
from import_export.results import Result

from sync.models import Integration

from .models import VatTerritory
from .resources import RESOURCES

STANDARD_VAT_TERRITORIES = Path(__file__).resolve().parent / "fixtures" / "vat_territories.csv"


def mapping_import(*, integration: Integration, table: str, content: str, dry_run: bool = False) -> Result:
    """Import one mapping table from CSV text; all rows or none.

    Returns the import-export Result: `has_errors()` / `has_validation_errors()`
    tell whether anything failed, in which case nothing was written.
    """
    resource = RESOURCES[table](integration=integration)
    dataset = tablib.Dataset().load(content, format="csv")
    with transaction.atomic():
        return resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )


def import_problems(result: Result) -> list[str]:
    """Every problem of an import result as 'row N: field: message' lines."""
    lines = [f"file: {error.error}" for error in result.base_errors]
    for number, errors in result.row_errors():
        lines.extend(f"row {number}: {error.error}" for error in errors)
    for invalid in result.invalid_rows:
        for field, messages in invalid.field_specific_errors.items():
            lines.extend(f"row {invalid.number}: {field}: {message}" for message in messages)
        lines.extend(f"row {invalid.number}: {message}" for message in invalid.non_field_specific_errors)
    return lines


@transaction.atomic
def vat_territories_load_standard(*, integration: Integration) -> int:
    """Add the standard VAT territories (mappings/fixtures/vat_territories.csv) the integration lacks.

    A row is missing when the integration has none with its (country, postcode prefix); rows it has,
    edited or not, are left as they are. Returns the number of rows added (0 when none were missing).
    Source of the list: Council Directive 2006/112/EC, Art. 6 and 7; Windsor Framework, Art. 8.
    """
    with STANDARD_VAT_TERRITORIES.open(encoding="utf-8", newline="") as file:
        standard = list(csv.DictReader(file))
    existing = set(VatTerritory.objects.filter(integration=integration).values_list("country", "postcode_prefix"))
    missing = [
        VatTerritory(integration=integration, **row)
        for row in standard
        if (row["country"], row["postcode_prefix"]) not in existing
    ]
    for territory in missing:
        territory.full_clean(exclude=["integration"], validate_unique=False)
    VatTerritory.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent load added it: fine
    return len(missing)
