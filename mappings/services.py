import tablib
from django.db import transaction
from import_export.results import Result

from sync.models import Integration

from .resources import RESOURCES


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
