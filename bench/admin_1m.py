"""Admin at a million record logs: how long the big admin lists and the dashboard take on PostgreSQL.

Run by hand from the repository root (PostgreSQL required; the database is dropped and created again):

    .venv/bin/python bench/admin_1m.py --code /work/wt-admin-base    # before (that code) and after (this code)
    .venv/bin/python bench/admin_1m.py                               # this code only
    .venv/bin/python bench/admin_1m.py --logs 100000                 # a quicker, smaller run

`DATABASE_URL` names the database (default postgres://postgres@127.0.0.1:5432/koppla_bench_admin).
`--code PATH` is a checkout of older code (e.g. `git worktree add ../wt-admin-base a73c9d5`): the database is
migrated and seeded with that code's schema, its pages are timed, then this code's migrations run on the same
rows and the same pages are timed again, so both columns of the results come from one seeded database.

Seeding (plain SQL, INSERT ... SELECT generate_series): the three demo integrations, --runs sync runs spread
evenly over --days days up to now (6 flows, mostly OK, some partial or failed) and twice as many empty scheduled
runs (nothing new: the runs list hides them by default), --logs record logs in those runs
(10 per run in the default shape; 85 % OK, 7 % failed, 5 % skipped, 2 % waiting, 1 % dry run; with a payload,
an answer and the remote calls; source ids drawn from 0.7 × --logs numbers, so a source id recurs in several
integrations' flows, and a search for one finds a few logs), one SyncRecord per (integration, flow, source id)
(its last attempt: about one per log) and one ExternalRef per record that went through.

Each page is fetched through Django's test client logged in as a superuser: one warm-up (its time is kept as
"first": the dashboard fills its daily aggregate then), then the median of 5, then once more counting the
queries; the slowest query of that fetch is run under EXPLAIN (ANALYZE, BUFFERS). Results:
bench/results/admin_1m.json and bench/results/admin_1m.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/koppla_bench_admin"
REPEATS = 5
FLOWS = ("orders", "customers", "stock", "documents", "refunds", "products")
KINDS = ("invoice", "customer", "stock", "document", "credit_note", "product")  # per flow, same order


def pages(search: str) -> list[tuple[str, str, dict]]:
    """(name, admin URL name, query) of every page timed; `search` is a source id of a failed record."""
    return [
        ("record logs", "admin:sync_recordlog_changelist", {}),
        ("record logs, status filter", "admin:sync_recordlog_changelist", {"status__exact": "failed"}),
        ("record logs, search", "admin:sync_recordlog_changelist", {"q": search}),
        (
            "record logs, search + status filter",
            "admin:sync_recordlog_changelist",
            {"q": search, "status__exact": "failed"},
        ),
        ("records", "admin:sync_syncrecord_changelist", {}),
        ("records, failed", "admin:sync_syncrecord_changelist", {"status__in": "retrying,dead"}),
        ("records, search", "admin:sync_syncrecord_changelist", {"q": search}),
        ("runs", "admin:sync_syncrun_changelist", {}),
        ("runs, failed", "admin:sync_syncrun_changelist", {"status__exact": "failed"}),
        ("external refs", "admin:sync_externalref_changelist", {}),
        ("dashboard", "admin:dashboard", {}),
    ]


# --------------------------------------------------------------------------- helpers run in a child process
def django_setup(root: Path) -> None:
    os.chdir(root)
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


SEED_SQL = """
INSERT INTO sync_syncrun (created_at, updated_at, flow, trigger, status, dry_run, started_at, finished_at, total,
    done, ok_count, skipped_count, failed_count, cursor_from, cursor_to, message, task_id, integration_id,
    current_source_id)
SELECT t, t, (%(flows)s::text[])[1 + (g / 3) %% 6], 'schedule',
    CASE WHEN g %% 97 = 0 THEN 'failed' WHEN g %% 5 = 0 THEN 'partial' ELSE 'succeeded' END, false,
    t, t + interval '40 seconds', 10, 10, 8, 1, 1, '', '', 'read 1 page, 10 records', '', (%(ints)s::bigint[])[1 + g %% 3], ''
FROM (SELECT g, now() - interval '1 day' * %(days)s * (1 - g::float / %(runs)s) AS t
      FROM generate_series(1, %(runs)s) g) s;

INSERT INTO sync_syncrun (created_at, updated_at, flow, trigger, status, dry_run, started_at, finished_at, total,
    done, ok_count, skipped_count, failed_count, cursor_from, cursor_to, message, task_id, integration_id,
    current_source_id)
SELECT t, t, (%(flows)s::text[])[1 + (g / 3) %% 6], 'schedule', 'succeeded', false, t, t + interval '2 seconds',
    0, 0, 0, 0, 0, '', '', '', '', (%(ints)s::bigint[])[1 + g %% 3], ''
FROM (SELECT g, now() - interval '1 day' * %(days)s * (1 - (g - 0.5) / %(empty_runs)s) AS t
      FROM generate_series(1, %(empty_runs)s) g) s;

INSERT INTO sync_recordlog (created_at, updated_at, flow, source_id, source_label, target_id, status, attempt,
    request, response, calls, error, next_attempt_at, integration_id, run_id)
SELECT r.created_at + make_interval(secs => g %% 10), r.created_at + make_interval(secs => g %% 10), r.flow,
    s.src, s.src || ' (c' || (g %% 5000) || '@example.com)',
    CASE WHEN s.st = 'ok' THEN 'T' || (500000 + g) ELSE '' END, s.st, 1 + (g %% 3 = 0)::int,
    jsonb_build_object('orderNumber', s.src, 'customer', jsonb_build_object('number', 'C' || (g %% 5000),
        'email', 'c' || (g %% 5000) || '@example.com'), 'currency', 'SEK', 'lines', jsonb_build_array(
        jsonb_build_object('item', 'TEE/BLK/M', 'quantity', 1, 'unitPrice', 249.00, 'vatCode', 'SE25'),
        jsonb_build_object('item', 'BOOK-1', 'quantity', 2, 'unitPrice', 129.00, 'vatCode', 'SE6'))),
    CASE WHEN s.st = 'ok' THEN jsonb_build_object('id', 'T' || (500000 + g), 'status', 'Open') END,
    jsonb_build_array(jsonb_build_object('method', 'POST', 'url', '/v1/customerinvoice', 'status', 201, 'ms', 120)),
    CASE s.st WHEN 'failed' THEN 'Visma.net answered 400: customer class ' || (g %% 50)
        || ' not found (VAT category SE25)' WHEN 'skipped' THEN 'nothing changed since the last run' ELSE '' END,
    CASE WHEN s.st = 'failed' THEN r.created_at + interval '1 hour' END, r.integration_id, r.id
FROM (SELECT g, (1000000 + (g::bigint * 7919) %% %(sources)s)::text AS src,
        CASE WHEN h < 85 THEN 'ok' WHEN h < 92 THEN 'failed' WHEN h < 97 THEN 'skipped' WHEN h < 99 THEN 'waiting'
             ELSE 'dry_run' END AS st,
        %(first_run)s + ((g - 1)::bigint * %(runs)s / %(logs)s) AS run_id
      FROM (SELECT g, (g::bigint * 2654435761) %% 100 AS h FROM generate_series(1, %(logs)s) g) x) s
JOIN sync_syncrun r ON r.id = s.run_id;

INSERT INTO sync_syncrecord (created_at, updated_at, flow, source_id, source_label, target_id, status, attempts,
    next_attempt_at, last_error, integration_id, last_log_id)
SELECT DISTINCT ON (integration_id, flow, source_id) created_at, created_at, flow, source_id, source_label, target_id,
    CASE status WHEN 'ok' THEN 'ok' WHEN 'dry_run' THEN 'ok' WHEN 'skipped' THEN 'skipped' WHEN 'waiting' THEN 'queued'
        ELSE CASE WHEN id %% 2 = 0 THEN 'retrying' ELSE 'dead' END END,
    CASE WHEN status = 'failed' THEN attempt ELSE 0 END, next_attempt_at, error, integration_id, id
FROM sync_recordlog ORDER BY integration_id, flow, source_id, id DESC;

INSERT INTO sync_externalref (created_at, updated_at, kind, source_id, target_id, checksum, data, synced_at,
    integration_id)
SELECT created_at, updated_at, (%(kinds)s::text[])[array_position(%(flows)s::text[], flow::text)], source_id,
    target_id, md5(source_id), '{}'::jsonb, updated_at, integration_id
FROM sync_syncrecord WHERE status = 'ok' AND target_id <> '';
"""


def seed(*, logs: int, runs: int, days: int) -> dict:
    """The demo integrations (ORM), then the runs, logs, records and bindings (SQL); returns the figures."""
    from django.db import connection

    from sync.demo import demo_seed
    from sync.models import Integration

    demo_seed(orders=20)
    ints = list(Integration.objects.order_by("pk").values_list("pk", flat=True))[:3]
    started = time.perf_counter()
    params = {
        "flows": list(FLOWS),
        "kinds": list(KINDS),
        "ints": ints,
        "days": days,
        "runs": runs,
        "logs": logs,
        "sources": int(logs * 0.7),
        "empty_runs": runs * 2,
    }
    statements = [s for s in SEED_SQL.split(";\n") if s.strip()]
    with connection.cursor() as cursor:
        cursor.execute(statements[0], params)
        cursor.execute("SELECT min(id) FROM sync_syncrun WHERE task_id = '' AND trigger = 'schedule'")
        params["first_run"] = cursor.fetchone()[0]
        for statement in statements[1:]:
            cursor.execute(statement, params)
        counts = {}
        for table in ("sync_syncrun", "sync_recordlog", "sync_syncrecord", "sync_externalref"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            counts[table] = cursor.fetchone()[0]
    return {"seconds": round(time.perf_counter() - started, 1), "rows": counts}


def search_term() -> str:
    """A source id with failed attempts (the search of the timed pages)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT source_id FROM sync_recordlog WHERE status = 'failed' ORDER BY id LIMIT 1 OFFSET 500")
        return cursor.fetchone()[0]


def explain(sql: str) -> str:
    from django.db import connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
            return plan
    except Exception as exc:  # noqa: BLE001 (a plan we cannot take is reported, not fatal)
        return f"(no plan: {exc})"


def time_pages(search: str) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first() or user_model.objects.create_superuser(
        "bench", "bench@example.com", "bench"
    )
    client = Client()
    client.force_login(user)
    results = []
    for name, url_name, query in pages(search):
        url = reverse(url_name)
        started = time.perf_counter()
        response = client.get(url, query)
        first = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code)
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            response = client.get(url, query)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        cl = (response.context or {}).get("cl") if response.context else None
        results.append(
            {
                "page": name,
                "url": url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
                "first_ms": round(first * 1000, 1),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "times_ms": [round(t * 1000, 1) for t in times],
                "queries": len(captured.captured_queries),
                "result_count": getattr(cl, "result_count", None),
                "slowest_query_ms": round(float(slowest["time"]) * 1000, 1),
                "slowest_query": slowest["sql"][:2000],
                "slowest_plan": explain(slowest["sql"]),
            }
        )
        print(f"  {name}: median {results[-1]['median_ms']} ms, {results[-1]['queries']} queries", flush=True)
    return results


def child(args) -> None:
    django_setup(Path(args.root))
    if args.child == "seed":
        out = seed(logs=args.logs, runs=args.runs, days=args.days)
    elif args.child == "term":
        out = {"search": search_term()}
    else:
        out = {"pages": time_pages(args.search)}
    Path(args.out).write_text(json.dumps(out))


# --------------------------------------------------------------------------- the run, in the parent
def run_child(root: Path, mode: str, env: dict, out: Path, **extra) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--root", str(root), "--out", str(out)]
    for key, value in extra.items():
        argv += [f"--{key}", str(value)]
    subprocess.run(argv, env=env, check=True)  # noqa: S603 (our interpreter, our script)
    return json.loads(out.read_text())


def manage(root: Path, env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(root / "manage.py"), *args], cwd=root, env=env, check=True)  # noqa: S603


def git_commit(root: Path) -> str:
    argv = ["git", "-C", str(root), "rev-parse", "--short", "HEAD"]
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603


def sql(env: dict, statement: str, *, database: str | None = None) -> None:
    import psycopg

    url = env["DATABASE_URL"]
    if database:
        url = url.rsplit("/", 1)[0] + "/" + database
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", help="a checkout of the code to time first (before), e.g. main at a73c9d5")
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--child", choices=["seed", "time", "term"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--search", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    db_name = env["DATABASE_URL"].rsplit("/", 1)[1]
    tmp = RESULTS / ".admin_1m.tmp.json"
    first = Path(args.code).resolve() if args.code else ROOT
    print(f"Database {db_name}: created afresh, migrated with {first}", flush=True)
    sql(env, f'DROP DATABASE IF EXISTS "{db_name}"', database="postgres")
    sql(env, f'CREATE DATABASE "{db_name}"', database="postgres")
    manage(first, env, "migrate", "-v0")
    print(f"Seeding {args.logs} record logs…", flush=True)
    seeded = run_child(first, "seed", env, tmp, logs=args.logs, runs=args.runs, days=args.days)
    sql(env, "VACUUM ANALYZE")
    search = run_child(first, "term", env, tmp)["search"]
    print(f"Seeded in {seeded['seconds']} s: {seeded['rows']}; search term {search!r}", flush=True)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": "PostgreSQL",
        "seed": {**seeded, "logs": args.logs, "runs": args.runs, "days": args.days},
        "search": search,
        "repeats": REPEATS,
    }
    if args.code:
        commit = git_commit(first)
        print(f"Timing the code at {first} ({commit})", flush=True)
        result["before"] = {"code": commit, **run_child(first, "time", env, tmp, search=search)}
        print("Migrating with this code", flush=True)
        started = time.perf_counter()
        manage(ROOT, env, "migrate", "-v0")
        result["migrate_seconds"] = round(time.perf_counter() - started, 1)
        sql(env, "VACUUM ANALYZE")
    commit = git_commit(ROOT)
    print(f"Timing this code ({commit})", flush=True)
    result["after"] = {"code": commit, **run_child(ROOT, "time", env, tmp, search=search)}
    tmp.unlink(missing_ok=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "admin_1m.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "admin_1m.md").write_text(report(result))
    print(report(result))


def report(result: dict) -> str:
    after = result["after"]["pages"]
    before = {p["page"]: p for p in result.get("before", {}).get("pages", [])}
    seed = result["seed"]
    lines = [
        "# Admin at a million record logs (bench/admin_1m.py)",
        "",
        f"{result['machine']}, {result['database']}. Seeded in {seed['seconds']} s: "
        + ", ".join(f"{n:,} {t.removeprefix('sync_')}" for t, n in seed["rows"].items())
        + f" over {seed['days']} days. Search term `{result['search']}` (a source id with failed attempts).",
        f'Median of {result["repeats"]} fetches after one warm-up ("first"), through the test client as a superuser.',
        "",
    ]
    if before:
        lines += [
            f"| page | before ({result['before']['code']}) | queries | after ({result['after']['code']}) | queries | first fetch after |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for p in after:
            b = before.get(p["page"], {})
            lines.append(
                f"| {p['page']} | {b.get('median_ms', '—')} ms | {b.get('queries', '—')} | **{p['median_ms']} ms** "
                f"| {p['queries']} | {p['first_ms']} ms |"
            )
    else:
        lines += ["| page | median | queries | first fetch |", "|---|---:|---:|---:|"]
        lines += [f"| {p['page']} | {p['median_ms']} ms | {p['queries']} | {p['first_ms']} ms |" for p in after]
    if "migrate_seconds" in result:
        lines += ["", f"This code's migrations on the seeded database took {result['migrate_seconds']} s."]
    for label in ("before", "after"):
        if label not in result:
            continue
        lines += ["", f"## Slowest query of each page, {label} ({result[label]['code']})", ""]
        for p in result[label]["pages"]:
            lines += [
                f"### {p['page']}: {p['slowest_query_ms']} ms of {p['median_ms']} ms",
                "",
                "```",
                p["slowest_query"][:600],
                "",
                p["slowest_plan"],
                "```",
                "",
            ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
