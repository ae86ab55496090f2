"""Remote calls per order: the orders flow over the whole demo shop, counted by endpoint.

Run by hand from the repository root:

    .venv/bin/python bench/orders_calls.py

A throwaway SQLite database (config.settings.test), both sandboxes in-process,
the demo data of `make demo`. The orders flow runs once over every order; the
calls are counted from the RecordLogs (each record's redacted remote calls)
plus the order listing, which is shared by the whole run. A second run shows
what a scheduled run costs when nothing changed. Results go to
bench/results/orders_calls.json and .md.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # the benches' shared set-up, also when a test loads this file by path
from benchsetup import demo_integration, django_ready  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    django_ready()
    from integrations.centra import sandbox as centra
    from integrations.visma_net import sandbox as visma
    from sync.models import RecordLog
    from sync.services import flow_run

    integration = demo_integration()  # the rate limiter's spacing is not what is measured here

    listing_before = centra.call_count("OrdersChanged")
    started = time.perf_counter()
    run = flow_run(integration=integration, flow="orders", trigger="manual")
    seconds = time.perf_counter() - started
    listing = centra.call_count("OrdersChanged") - listing_before

    per_endpoint: Counter = Counter()
    per_order: list[int] = []
    for calls in RecordLog.objects.filter(run=run).values_list("calls", flat=True):
        per_order.append(len(calls))
        for call in calls:
            path = call.get("url", "").split("/api/", 1)[-1].split("?")[0]
            segments = ["{id}" if s.isdigit() else s for s in path.split("/")]
            per_endpoint[f"{call.get('method')} {'/'.join(segments)}"] += 1
    orders = run.ok_count
    second = flow_run(integration=integration, flow="orders", trigger="schedule")

    result = {
        "orders_invoiced": orders,
        "failed": run.failed_count,
        "invoices_in_sandbox": visma.invoice_count(),
        "calls_in_records": sum(per_order),
        "order_listing_calls": listing,
        "calls_per_order_mean": round((sum(per_order) + listing) / max(orders, 1), 2),
        "calls_per_order_min": min(per_order) if per_order else 0,
        "calls_per_order_max": max(per_order) if per_order else 0,
        "per_endpoint": dict(per_endpoint.most_common()),
        "wall_seconds_in_process": round(seconds, 1),
        "second_run_records": second.done,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "orders_calls.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Remote calls per order (orders flow over the demo shop)",
        "",
        f"- orders invoiced: {orders} (failed: {run.failed_count}); invoices in the sandbox: {visma.invoice_count()}",
        f"- calls inside the records: {sum(per_order)}; order listing pages: {listing}",
        f"- **calls per order: {result['calls_per_order_mean']}** (min {result['calls_per_order_min']}, "
        f"max {result['calls_per_order_max']})",
        f"- a second run with nothing changed processed {second.done} records",
        f"- wall time in-process (sandboxes in the same process, limiter not waiting): {result['wall_seconds_in_process']} s",
        "",
        "| endpoint | calls |",
        "|---|---|",
        *(f"| `{name}` | {count} |" for name, count in per_endpoint.most_common()),
        "",
    ]
    (RESULTS / "orders_calls.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
