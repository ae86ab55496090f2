from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mappings.resources import RESOURCES
from mappings.services import import_problems, mapping_import
from mappings.tabular import DELIMITERS, ENCODINGS, FileReadError, ReadOptions
from sync.models import Integration


class Command(BaseCommand):
    help = (
        "Import a mapping table for one integration from a CSV (comma, semicolon or tab; UTF-8 with or "
        "without BOM, or --encoding) or an Excel .xlsx file. All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(RESOURCES))
        parser.add_argument("file", type=Path, help="A .csv, .txt or .xlsx file.")
        parser.add_argument("--integration", required=True, help="Integration name.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, write nothing.")
        parser.add_argument(
            "--delimiter", choices=sorted(DELIMITERS), default="auto", help="CSV delimiter (default: detect)."
        )
        parser.add_argument(
            "--encoding", choices=sorted(ENCODINGS), default="utf-8", help="Encoding of a CSV file (default: UTF-8)."
        )

    def handle(self, *args, table, file, integration, dry_run, delimiter, encoding, **options):
        try:
            integration_obj = Integration.objects.get(name=integration)
        except Integration.DoesNotExist:
            raise CommandError(f"No integration named '{integration}'.") from None
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        try:
            result = mapping_import(
                integration=integration_obj,
                table=table,
                content=content,
                file_name=file.name,
                options=ReadOptions(delimiter=delimiter, encoding=encoding),
                dry_run=dry_run,
            )
        except FileReadError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from None
        for note in getattr(result, "notes", []):
            self.stdout.write(self.style.WARNING(note))
        problems = import_problems(result)
        if problems:
            raise CommandError("Nothing was imported:\n" + "\n".join(problems))
        totals = ", ".join(f"{count} {kind}" for kind, count in result.totals.items() if count)
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {file.name} into {integration_obj}: {totals or 'no rows'}."))
