"""Peak memory of one run against its size: the engine over a pure in-process fake shop, 10k and 100k records.

Run by hand from the repository root:

    .venv/bin/python bench/engine_memory.py [--sizes 10000 100000] [--label after]

Each size runs in a fresh subprocess (a throwaway SQLite database, config.settings.test): a flow
whose listing is a generator of `size` orders read 100 a page through `paging.listing_plan` (as the
shop flows read theirs), each processed into an invoice-sized request and answer, with one remote
call recorded, and stored by the engine (log, state, counters). Nothing remote, nothing per record
in the flow: what grows is the engine's and the listing's. Peak RSS is the process's VmHWM
(/proc/self/status); `baseline` is VmHWM after setup, before the run. Results go to
bench/results/engine_memory[_<label>].json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("KOPPLA_ROOT") or Path(__file__).resolve().parents[1])
SHM = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private directory there (memory: no disk waits)
RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"


def _vm(name: str) -> int:
    """A /proc/self/status figure in kB (VmHWM: peak resident set, VmRSS: now)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def child(size: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="koppla-mem-", dir=SHM if SHM.is_dir() else None))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:  # what is measured is memory: no fsync per record's commit
        cursor.execute("PRAGMA synchronous=OFF")
    from sync import engine
    from sync.flows.base import FlowRunner, Outcome, SourceItem
    from sync.flows.paging import listing_plan
    from sync.models import SyncRun
    from tests.factories import IntegrationFactory

    class FakeShopFlow(FlowRunner):
        flow = "orders"

        def changed_since(self, cursor):
            def nodes():
                for n in range(size):
                    stamp = f"2026-01-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z"
                    yield {"id": str(100000 + n), "updatedAt": stamp, "lines": [{"sku": f"SKU-{n % 45}", "qty": 1}]}

            return listing_plan(nodes(), cursor, self._item)

        def _item(self, node):
            return SourceItem(node["id"], f"order {node['id']}", node, cursor=node["updatedAt"])

        def record_begin(self, item):
            pass

        def process(self, item):
            request = {"customer": "10001", "lines": [dict(line, price="259.00") for line in item.data["lines"]] * 4}
            return Outcome(
                "ok", target_id=f"INV-{item.source_id}", request=request, response={"number": item.source_id}
            )

    integration = IntegrationFactory()
    run = engine.run_begin(integration=integration, flow="orders", trigger="manual")
    baseline = _vm("VmHWM")
    started = time.perf_counter()
    run = engine.flow_execute(runner=FakeShopFlow(integration=integration, run=run, dry_run=False), run=run)
    seconds = time.perf_counter() - started
    assert run.status == SyncRun.Status.SUCCEEDED and run.done == size, (run.status, run.done, run.message)
    return {
        "records": size,
        "baseline_kb": baseline,
        "peak_rss_kb": _vm("VmHWM"),
        "growth_kb": _vm("VmHWM") - baseline,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--label", default="")
    parser.add_argument("--child", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    points = []
    for size in args.sizes:
        out = subprocess.run(  # noqa: S603 - this very script, as a child
            [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True
        ).stdout
        points.append(json.loads(out.strip().splitlines()[-1]))
        print(points[-1], flush=True)
    first, last = points[0], points[-1]
    result = {
        "label": args.label,
        "root": str(ROOT),
        "points": points,
        "peak_change_percent": round((last["peak_rss_kb"] - first["peak_rss_kb"]) / first["peak_rss_kb"] * 100, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"engine_memory_{args.label}.json" if args.label else "engine_memory.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
