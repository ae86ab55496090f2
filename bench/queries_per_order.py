"""Database queries per order: the orders flow over the whole demo shop, each query attributed to its origin.

Run by hand from the repository root:

    .venv/bin/python bench/queries_per_order.py [--label before] [--top 25]

Same setup as bench/orders_calls.py: a throwaway SQLite database (config.settings.test), the Centra
and Visma.net sandboxes in-process, the demo data of `make demo`, a FakeClock for the rate limiter.
Every query of the orders flow's first run is counted with `connection.execute_wrapper` and given
to one origin by its call stack:

- sandbox: issued while an in-process sandbox answers a request (the remote system, not Koppla);
- engine: the innermost Koppla frame is in sync/engine.py, recording.py, heartbeat.py,
  run_progress.py or pauses.py;
- flows: sync/flows/*; bindings: sync/bindings.py; mappings: mappings/*;
- integrations: integrations/* (the rate limiter's and the pauses' shared state, once per remote call);
- other: any other Koppla module (leases, journal shares…).

Koppla's queries per order = every query but the sandbox's, divided by the records the run processed;
"statements" leaves out transaction control (BEGIN, SAVEPOINT, RELEASE), which PostgreSQL's driver
sends without Django seeing it for BEGIN. `--database-url postgres://…/koppla_x` runs on PostgreSQL
(the database is dropped and created again). Results go to bench/results/queries_per_order[_<label>].json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # the benches' shared set-up, also when a test loads this file by path
from benchsetup import demo_integration, django_ready  # noqa: E402

RESULTS = ROOT / "bench" / "results"

CONTROL = {"BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"}
ENGINE = {"sync/engine.py", "sync/recording.py", "sync/heartbeat.py", "sync/run_progress.py", "sync/pauses.py"}


def _origin(stack) -> tuple[str, str]:
    """(category, innermost Koppla frame as path:line function) of one query's stack."""
    ours = []
    for frame in stack:
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            continue
        if relative.startswith((".venv/", "bench/")):
            continue
        if relative == "integrations/sandbox/inprocess.py":
            return "sandbox", relative
        ours.append((relative, frame))
    if not ours:
        return "other", "?"
    relative, frame = ours[-1]
    where = f"{relative}:{frame.lineno} {frame.name}"
    if relative in ENGINE:
        return "engine", where
    if relative.startswith("sync/flows/"):
        return "flows", where
    if relative == "sync/bindings.py":
        return "bindings", where
    if relative.startswith("mappings/"):
        return "mappings", where
    if relative.startswith("integrations/"):
        return "integrations", where
    return "other", where


class QueryCounter:
    def __init__(self):
        self.categories: Counter = Counter()
        self.origins: Counter = Counter()
        self.verbs: Counter = Counter()
        self.control: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        category, where = _origin(traceback.extract_stack()[:-1])
        self.categories[category] += 1
        if category != "sandbox":
            self.origins[(category, where)] += 1
            verb = sql.lstrip().split(" ", 1)[0].upper()
            self.verbs[(category, verb)] += 1
            if verb in CONTROL:
                self.control[category] += 1
        return execute(sql, params, many, context)


def _postgres_recreate(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--database-url", default="", help="postgres://user@host:port/name (dropped and created)")
    args = parser.parse_args()

    if args.database_url:
        _postgres_recreate(args.database_url)
    django_ready(args.database_url)
    from django.db import connection

    from sync.services import flow_run

    integration = demo_integration()

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        run = flow_run(integration=integration, flow="orders", trigger="manual")
    seconds = time.perf_counter() - started
    second_counter = QueryCounter()
    with connection.execute_wrapper(second_counter):
        second = flow_run(integration=integration, flow="orders", trigger="schedule")

    records = run.done
    koppla = sum(n for c, n in counter.categories.items() if c != "sandbox")
    statements = koppla - sum(counter.control.values())
    per = lambda n: round(n / max(records, 1), 2)  # noqa: E731
    result = {
        "label": args.label,
        "records": records,
        "ok": run.ok_count,
        "failed": run.failed_count,
        "skipped": run.skipped_count,
        "queries_koppla": koppla,
        "database": connection.vendor,
        "queries_per_order": per(koppla),
        "statements_per_order": per(statements),
        "statements_per_order_by_origin": {
            c: per(n - counter.control[c]) for c, n in sorted(counter.categories.items()) if c != "sandbox"
        },
        "queries_per_order_by_origin": {c: per(n) for c, n in sorted(counter.categories.items())},
        "queries_by_origin": dict(sorted(counter.categories.items())),
        "queries_by_verb": {f"{c} {v}": n for (c, v), n in sorted(counter.verbs.items())},
        "top_origins": [
            {"origin": c, "where": w, "queries": n, "per_order": per(n)}
            for (c, w), n in counter.origins.most_common(args.top)
        ],
        "second_run": {
            "records": second.done,
            "queries_koppla": sum(n for c, n in second_counter.categories.items() if c != "sandbox"),
            "queries_by_origin": dict(sorted(second_counter.categories.items())),
        },
        "wall_seconds_in_process": round(seconds, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"queries_per_order_{args.label}.json" if args.label else "queries_per_order.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
