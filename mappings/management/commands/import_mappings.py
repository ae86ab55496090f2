from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mappings.resources import RESOURCES
from mappings.services import import_problems, mapping_import
from sync.models import Integration


class Command(BaseCommand):
    help = "Import a mapping table from CSV for one integration (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(RESOURCES))
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--integration", required=True, help="Integration name.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, write nothing.")

    def handle(self, *args, table, csv_file, integration, dry_run, **options):
        try:
            integration_obj = Integration.objects.get(name=integration)
        except Integration.DoesNotExist:
            raise CommandError(f"No integration named '{integration}'.") from None
        result = mapping_import(
            integration=integration_obj, table=table, content=csv_file.read_text(encoding="utf-8-sig"), dry_run=dry_run
        )
        problems = import_problems(result)
        if problems:
            raise CommandError("Nothing was imported:\n" + "\n".join(problems))
        totals = ", ".join(f"{count} {kind}" for kind, count in result.totals.items() if count)
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {csv_file.name} into {integration_obj}: {totals or 'no rows'}."))
