"""Database queries and seconds of a tax-zone file import: the preview (dry run) and the confirm step.

Run by hand from the repository root:

    .venv/bin/python bench/mapping_import.py
    .venv/bin/python bench/mapping_import.py --rows 500 5000 --label "after bulk lookups (main at abc1234)"

A throwaway SQLite database (config.settings.test), migrated, with one integration and its four
customer classes. Each file (mappings.services.mapping_import, as the admin's Import page runs it):
every real (country, customer type) key once, a tax zone for every other key already in the database
(so half the rows are updates, half new), and beyond the ~500 real keys rows whose country is no
country (each reported as a problem, as a file with typos would be). Every query the import runs is
counted (connection.execute_wrapper), by statement kind. The confirm step is measured on a file of
valid rows only (it writes one row per statement; the preview writes nothing), then the export of
the integration's tax zones as CSV. Results:
bench/results/mapping_import.json, one entry per --label (other labels are kept).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # the benches' shared set-up, also when a test loads this file by path
from benchsetup import django_ready  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HEADER = "country,customer_type,customer_class,vat_zone,vat_category,sales_account\n"


def tax_zone_file(rows: int, keys: list[tuple[str, str]]) -> str:
    """`rows` data lines: the real keys first, then keys with a made-up country ('Q0001')."""
    wanted = keys[:rows] + [(f"Q{n:04d}", "B2C") for n in range(max(rows - len(keys), 0))]
    return HEADER + "".join(f"{country},{kind},EUB2C,OSS,OSS-{kind},3106\n" for country, kind in wanted)


def queries_counted(run):
    """(result, queries by statement kind, seconds) of run()."""
    from django.db import connection

    kinds: Counter = Counter()

    def count(execute, sql, params, many, context):
        kinds[sql.split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        result = run()
    return result, kinds, round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--label", default="current")
    args = parser.parse_args()

    django_ready()
    from mappings.models import TAX_COUNTRIES, CustomerClass, TaxZoneMapping
    from mappings.services import mapping_export, mapping_import
    from tests.factories import IntegrationFactory

    integration = IntegrationFactory(name="Bench")
    classes = {
        code: CustomerClass.objects.create(integration=integration, code=code)
        for code in ("DOMESTIC", "EUB2C", "EUB2B", "EXPORT")
    }
    keys = [(country, kind) for country in sorted(TAX_COUNTRIES) for kind in ("B2B", "B2C")]
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
        for country, kind in keys[::2]
    )

    entries = []
    for rows in args.rows:
        content = tax_zone_file(rows, keys)
        result, kinds, seconds = queries_counted(
            lambda content=content: mapping_import(
                integration=integration, table="tax_zones", content=content, dry_run=True
            )
        )
        entries.append(
            {
                "step": "preview",
                "rows": rows,
                "queries": sum(kinds.values()),
                "queries_by_kind": dict(kinds.most_common()),
                "seconds": seconds,
                "rows_with_problems": len(result.invalid_rows) + len(result.error_rows),
            }
        )
        print(json.dumps(entries[-1]))
    valid = min(len(keys), max(args.rows))
    before = TaxZoneMapping.objects.count()
    result, kinds, seconds = queries_counted(
        lambda: mapping_import(integration=integration, table="tax_zones", content=tax_zone_file(valid, keys))
    )
    entries.append(
        {
            "step": "confirm",
            "rows": valid,
            "queries": sum(kinds.values()),
            "queries_by_kind": dict(kinds.most_common()),
            "seconds": seconds,
            "rows_with_problems": len(result.invalid_rows) + len(result.error_rows),
            "rows_added": TaxZoneMapping.objects.count() - before,
        }
    )
    print(json.dumps(entries[-1]))
    exported, kinds, seconds = queries_counted(
        lambda: mapping_export(integration=integration, table="tax_zones", file_format="csv")
    )
    entries.append(
        {
            "step": "export csv",
            "rows": exported.count(b"\n") - 1,
            "queries": sum(kinds.values()),
            "queries_by_kind": dict(kinds.most_common()),
            "seconds": seconds,
        }
    )
    print(json.dumps(entries[-1]))

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "mapping_import.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved[args.label] = entries
    path.write_text(json.dumps(saved, indent=2) + "\n")


if __name__ == "__main__":
    main()
