import csv
from pathlib import Path

from django.db import transaction
from import_export.results import Result

from sync.models import Integration

from .models import VatTerritory
from .resources import RESOURCES
from .tabular import ReadOptions, SafeCSV, SafeXLSX, table_read

STANDARD_VAT_TERRITORIES = Path(__file__).resolve().parent / "fixtures" / "vat_territories.csv"


def mapping_import(
    *,
    integration: Integration,
    table: str,
    content: bytes | str,
    file_name: str = "",
    options: ReadOptions | None = None,
    dry_run: bool = False,
    user=None,
) -> Result:
    """Import one mapping table from a CSV or .xlsx file (bytes, or already decoded text); all rows or none.

    `options` (delimiter, encoding) apply to CSV bytes; see mappings.tabular for what is read and how.
    `user`: when given, new rows need its "add" permission and changed rows its "change" permission.
    Raises FileReadError (a sentence) when the file cannot be read at all. Returns the import-export
    Result: `has_errors()` / `has_validation_errors()` tell whether anything failed, in which case
    nothing was written; `result.problems` lists every problem as a sentence (see import_problems).
    """
    resource = RESOURCES[table](integration=integration)
    dataset = table_read(content=content, file_name=file_name, options=options)
    with transaction.atomic():
        return resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=user,
        )


def import_problems(result: Result) -> list[str]:
    """Every problem of an import result as a sentence naming the file line, column and value, e.g.
    "Row 3, column rate (value 'abc'): 'abc' is not a number: ...". Empty when the import is clean."""
    return list(getattr(result, "problems", []))


def mapping_export(*, integration: Integration, table: str, file_format: str = "csv") -> bytes:
    """One integration's rows of a mapping table as a file: 'csv' (UTF-8 with BOM) or 'xlsx'.

    Cells a spreadsheet would run as a formula (starting = + - @, tab, CR), and cells starting with an
    apostrophe, get a leading apostrophe, which the import removes again (mappings.tabular): an export
    imports back to exactly its values.
    """
    resource = RESOURCES[table](integration=integration)
    dataset = resource.export(resource.get_queryset())
    if file_format == "xlsx":
        return SafeXLSX().export_data(dataset)
    return SafeCSV().export_data(dataset).encode("utf-8")


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
