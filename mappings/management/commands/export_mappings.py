from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mappings.resources import RESOURCES
from mappings.services import mapping_export
from sync.models import Integration


class Command(BaseCommand):
    help = (
        "Export one integration's mapping table as CSV (UTF-8 with BOM) or .xlsx, in the import columns. "
        "Cells a spreadsheet would run as a formula get a leading apostrophe (removed again on import)."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(RESOURCES))
        parser.add_argument("file", type=Path, help="Where to write: a .csv or .xlsx file; '-' writes CSV to stdout.")
        parser.add_argument("--integration", required=True, help="Integration name.")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=["csv", "xlsx"],
            help="Default: from the file's extension, else csv.",
        )

    def handle(self, *args, table, file, integration, file_format, **options):
        try:
            integration_obj = Integration.objects.get(name=integration)
        except Integration.DoesNotExist:
            raise CommandError(f"No integration named '{integration}'.") from None
        file_format = file_format or ("xlsx" if file.suffix.lower() == ".xlsx" else "csv")
        if str(file) == "-":
            if file_format != "csv":
                raise CommandError("Only CSV can be written to stdout: give a file name for .xlsx.")
            self.stdout.write(mapping_export(integration=integration_obj, table=table).decode("utf-8"), ending="")
            return
        content = mapping_export(integration=integration_obj, table=table, file_format=file_format)
        try:
            file.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror}.") from None
        rows = RESOURCES[table](integration=integration_obj).get_queryset().count()
        self.stdout.write(self.style.SUCCESS(f"Wrote {rows} {table} rows of {integration_obj} to {file}."))
