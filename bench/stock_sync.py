"""Stock sync benchmark: Visma.net → Centra with a large catalogue, only 1 % changed between runs.

Run by hand from the repository root:

    .venv/bin/python bench/stock_sync.py                 # 10 000 and 100 000 items
    .venv/bin/python bench/stock_sync.py --sizes 10000   # one size only
    .venv/bin/python bench/stock_sync.py --sizes 50000 --merge   # add a size to the results

Each catalogue size runs in its own process with a throwaway SQLite database
(config.settings.test with DATABASE_URL pointing at a temporary file). Both
sandboxes are served over HTTP by a second process on the same database file,
so the memory measured (tracemalloc, this process only) is Koppla's: engine,
flow and clients, not the emulated remote systems. Items are bulk-created in the Visma.net sandbox (10 items per
product: 2 colours × 5 sizes, stock in MAIN and STORE) and their shop sizes
bulk-created in the Centra sandbox with the SIZE bindings the products flow
would have made, so the benchmark measures the stock flow alone.

For each size, in order:
  1. initial   — the first run: every level is sent (from --seed-sent-from
                 items on, the state after it is written directly instead).
  2. second    — 1 % of the items change quantity: an incremental run
                 (availability cursor + last-sent comparison). Remote calls,
                 levels sent and wall time are recorded.
  3. second+mem — the same again under tracemalloc: peak Python memory.
  4. reread+mem — 1 % change and the cursor is reset, so the run reads the
                 whole catalogue page by page (streaming) but sends only the
                 changed levels: peak memory of a run that touches every item.
Results go to bench/results/stock_sync.json and .md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
COLOURS = ("BLK", "NVY")
SIZES = ("XS", "S", "M", "L", "XL")
CENTRA_TOKEN = "bench-centra-token"
VISMA_CLIENT = ("bench-client", "bench-secret")
SCOPES = "vismanet_erp_service_api:read vismanet_erp_service_api:create vismanet_erp_service_api:update offline_access"


def django_setup(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------- the sandboxes, in their own process
SERVER = """
import os, sys
sys.path.insert(0, {root!r})
import django
django.setup()
from wsgiref.simple_server import WSGIRequestHandler, make_server
from django.core.wsgi import get_wsgi_application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

make_server("127.0.0.1", {port}, get_wsgi_application(), handler_class=Quiet).serve_forever()
"""


def sandbox_server(db_path: Path):
    """Serve both sandboxes from a separate process on the same database file, so that tracemalloc in
    this process measures Koppla (engine, flow, clients) and not the emulated remote systems."""
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", SERVER.format(root=str(ROOT), port=port)], env=env, cwd=ROOT
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}/sandbox"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("The sandbox server did not start.")


# --------------------------------------------------------------------------- remote call counting
class CallCounter:
    """Counts remote exchanges by system and operation (no bodies are kept)."""

    def __init__(self):
        self.counts: Counter = Counter()

    def install(self):
        from integrations import http

        original = http._emit
        counter = self

        def counting_emit(exchange: dict) -> None:
            counter.counts[counter.key(exchange)] += 1
            original(exchange)

        http._emit = counting_emit

    @staticmethod
    def key(exchange: dict) -> str:
        system = exchange.get("system", "?")
        body = exchange.get("request_body")
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        if isinstance(body, dict) and body.get("operationName"):
            return f"{system} {body['operationName']}"
        url = str(exchange.get("url", "")).split("?")[0]
        path = url.split("/api", 1)[-1] if "/api" in url else url
        return f"{system} {exchange.get('method', '')} {path}"

    def take(self) -> dict[str, int]:
        out = dict(self.counts)
        self.counts.clear()
        return out


# --------------------------------------------------------------------------- set-up
def connections(sandbox: str):
    from django.utils import timezone

    from integrations.centra.sandbox import api_token_register
    from integrations.models import Connection
    from integrations.visma_net.connect_sandbox import DEMO_TENANTS, client_register, token_issue

    client_register(*VISMA_CLIENT)
    token = token_issue(client_id=VISMA_CLIENT[0], tenant_id=DEMO_TENANTS[0]["id"], scope=SCOPES)
    erp = Connection.objects.create(
        name="Visma.net (bench)",
        system="visma_net",
        auth_type="oauth2_code",
        base_url=f"{sandbox}/visma-net/api",
        token_url=f"{sandbox}/visma-connect/connect/token",
        authorize_url=f"{sandbox}/visma-connect/connect/authorize",
        client_id=VISMA_CLIENT[0],
        scopes=SCOPES,
        secrets={"client_secret": VISMA_CLIENT[1]},
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
    )
    api_token_register(CENTRA_TOKEN)
    shop = Connection.objects.create(
        name="Centra (bench)",
        system="centra",
        auth_type="api_token",
        base_url=f"{sandbox}/centra/graphql",
        secrets={"api_token": CENTRA_TOKEN},
        status="connected",
    )
    return shop, erp


def item_numbers(count: int):
    for index in range(count):
        product, rest = divmod(index, len(COLOURS) * len(SIZES))
        colour, size = divmod(rest, len(SIZES))
        yield f"B{product:06d}-{COLOURS[colour]}-{SIZES[size]}"


def seed(integration, count: int, *, at: datetime) -> None:
    """Items in the ERP, their sizes in the shop and the SIZE bindings, all in bulk."""
    from integrations.centra import sandbox as centra
    from integrations.sandbox import store
    from integrations.sandbox.models import SandboxObject
    from integrations.visma_net import sandbox as visma
    from sync.erp import ErpItem
    from sync.flows.product_mapping import SkuRuleSpec, item_checksum, sku_parts
    from sync.models import ExternalRef

    rng = random.Random(1)
    visma.inventory_bulk_create(
        visma.inventory_item_build(
            number,
            f"Bench item {number}",
            price=199,
            available={"MAIN": rng.randint(0, 40), "STORE": rng.randint(0, 5)},
            at=at - timedelta(seconds=rng.randint(0, 86_400)),  # last changed some time during the day before
        )
        for number in item_numbers(count)
    )
    rule = SkuRuleSpec("segment:1", "segment:2", "segment:3", "-")
    stamp = centra.stamp(at)
    rows, refs = [], []
    products: dict[str, str] = {}
    variants: dict[tuple[str, str], str] = {}
    size_id = 0
    for number in item_numbers(count):
        parts = sku_parts(ErpItem(number=number), rule)
        if parts.product not in products:
            products[parts.product] = str(len(products) + 1)
            rows.append(
                SandboxObject(
                    system="centra",
                    kind=centra.PRODUCT,
                    key=products[parts.product],
                    data={
                        "id": products[parts.product],
                        "productNumber": parts.product,
                        "name": f"Bench {parts.product}",
                        "description": "",
                        "status": "ACTIVE",
                        "createdAt": stamp,
                        "updatedAt": stamp,
                    },
                )
            )
        variant_key = (parts.product, parts.variant)
        if variant_key not in variants:
            variants[variant_key] = str(len(variants) + 1)
            rows.append(
                SandboxObject(
                    system="centra",
                    kind=centra.VARIANT,
                    key=variants[variant_key],
                    data={
                        "id": variants[variant_key],
                        "variantNumber": parts.variant,
                        "name": parts.variant,
                        "description": "",
                        "status": "ACTIVE",
                        "unitCost": None,
                        "_product": products[parts.product],
                        "_prices": {},
                    },
                )
            )
        size_id += 1
        rows.append(
            SandboxObject(
                system="centra",
                kind=centra.SIZE,
                key=str(size_id),
                data={
                    "id": str(size_id),
                    "sizeNumber": parts.size,
                    "EAN": "",
                    "size": {"name": parts.size},
                    "_variant": variants[variant_key],
                    "_stock": {},
                },
            )
        )
        refs.append(
            ExternalRef(
                integration=integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=number,
                target_id=str(size_id),
                checksum=item_checksum(ErpItem(number=number), parts),
                data={
                    "product": parts.product,
                    "variant": parts.variant,
                    "size": parts.size,
                    "key": parts.key,
                    "sku": parts.product + parts.variant + parts.size,
                    "product_id": products[parts.product],
                    "variant_id": variants[variant_key],
                    "size_name": parts.size,
                },
                synced_at=at,
            )
        )
        if len(rows) >= 5000:
            SandboxObject.objects.bulk_create(rows)
            rows = []
        if len(refs) >= 5000:
            ExternalRef.objects.bulk_create(refs)
            refs = []
    SandboxObject.objects.bulk_create(rows)
    ExternalRef.objects.bulk_create(refs)
    for name, value in (("product_id", len(products)), ("variant_id", len(variants)), ("size_id", size_id)):
        store.counter_set("centra", name, value)


def seed_sent(integration, *, at: datetime) -> None:
    """The state after a first run, written directly: STOCK bindings with the quantities in the ERP."""
    from integrations.sandbox.models import SandboxObject
    from integrations.visma_net.adapter_items import erp_item_from_visma
    from sync.flows.stock import erp_warehouses, stock_checksum, stock_quantity
    from sync.models import ExternalRef

    sizes = dict(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.SIZE).values_list(
            "source_id", "target_id"
        )
    )
    warehouse = integration.stock_shop_warehouse
    refs = []
    nodes = SandboxObject.objects.filter(system="visma_net", kind="inventory").values_list("data", flat=True)
    for node in nodes.iterator(chunk_size=2000):
        item = erp_item_from_visma(node)
        quantity = stock_quantity(item, warehouses=erp_warehouses(integration), mode=integration.stock_mode)
        refs.append(
            ExternalRef(
                integration=integration,
                kind=ExternalRef.Kind.STOCK,
                source_id=item.number,
                target_id=sizes[item.number],
                checksum=stock_checksum(shop_warehouse=warehouse, size_id=sizes[item.number], quantity=quantity),
                data={"quantity": quantity, "warehouse": warehouse},
                synced_at=at,
            )
        )
        if len(refs) >= 5000:
            ExternalRef.objects.bulk_create(refs)
            refs = []
    ExternalRef.objects.bulk_create(refs)


def change_one_percent(count: int, rng: random.Random, *, at: datetime) -> list[str]:
    """1 % of the items get a new quantity in MAIN, as an ERP user would change it."""
    from integrations.visma_net import sandbox as visma

    numbers = list(item_numbers(count))
    changed = rng.sample(numbers, max(1, count // 100))
    for number in changed:
        current = visma._get(visma.INVENTORY, number)
        main = next(d for d in current["warehouseDetails"] if d["warehouse"] == "MAIN")
        visma.inventory_item_set(number, available=int(main["available"]) + rng.randint(1, 9), at=at)
    return changed


# --------------------------------------------------------------------------- runs
def measure(integration, counter: CallCounter, *, memory: bool) -> dict:
    from integrations.centra import sandbox as centra
    from sync.models import RecordLog, SyncRun
    from sync.services import flow_run

    gc.collect()
    counter.take()
    stock_calls_before = centra.call_count("StockSet")
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    run = flow_run(integration=integration, flow="stock", trigger="schedule")
    elapsed = time.perf_counter() - started
    peak = None
    if memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    run = SyncRun.objects.get(pk=run.pk)
    calls = counter.take()
    levels = RecordLog.objects.filter(run=run, status="ok").count()
    return {
        "status": run.status,
        "records": run.total,
        "levels_sent": levels,
        "failed": run.failed_count,
        "set_stock_calls": centra.call_count("StockSet") - stock_calls_before,
        "remote_calls": sum(calls.values()),
        "calls_by_operation": dict(sorted(calls.items())),
        "wall_seconds": round(elapsed, 3),
        "peak_memory_mb": round(peak / 2**20, 2) if peak is not None else None,
    }


def bench_size(count: int, *, seed_sent_state: bool, sandbox: str) -> dict:
    from django.db import connection

    from mappings.models import SkuRule
    from sync.models import Integration, SyncRun
    from sync.services import integration_flows_ensure

    counter = CallCounter()
    counter.install()
    shop, erp = connections(sandbox)
    integration = Integration.objects.create(name=f"Bench {count}", shop=shop, erp=erp, home_country="SE")
    integration_flows_ensure(integration=integration)
    SkuRule.objects.create(
        integration=integration,
        product_source="segment:1",
        variant_source="segment:2",
        size_source="segment:3",
        separator="-",
    )
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    started = time.perf_counter()
    seed(integration, count, at=base)
    result: dict = {"items": count, "seed_seconds": round(time.perf_counter() - started, 1)}
    rng = random.Random(count)

    if seed_sent_state:
        seed_sent(integration, at=base)
        # A finished run whose cursor is the seeding time, as the initial run would leave it.
        SyncRun.objects.create(
            integration=integration,
            flow="stock",
            trigger="manual",
            status=SyncRun.Status.SUCCEEDED,
            started_at=base,
            finished_at=base,
            cursor_to=base.strftime("%Y-%m-%dT%H:%M:%S.000"),
        )
        result["initial"] = "seeded (state after a first run written directly)"
    else:
        result["initial"] = measure(integration, counter, memory=False)

    changed = change_one_percent(count, rng, at=base + timedelta(hours=1))
    result["changed_per_run"] = len(changed)
    result["second"] = measure(integration, counter, memory=False)
    change_one_percent(count, rng, at=base + timedelta(hours=2))
    result["second_with_memory"] = measure(integration, counter, memory=True)
    change_one_percent(count, rng, at=base + timedelta(hours=3))
    SyncRun.objects.filter(integration=integration, flow="stock").update(cursor_to="")
    result["full_reread_with_memory"] = measure(integration, counter, memory=True)
    connection.close()
    return result


def markdown(results: dict) -> str:
    lines = [
        "# Stock sync benchmark (Visma.net → Centra)",
        "",
        f"Run {results['when']} on {results['machine']} (Python {results['python']}, SQLite file database). Both "
        "sandboxes are served over HTTP by a separate process on the same database, so the peak memory "
        "(tracemalloc) is Koppla's own: engine, stock flow and clients. Produced by `bench/stock_sync.py`; raw "
        "numbers in `stock_sync.json`.",
        "",
        "Catalogue: 10 items per product (2 colours × 5 sizes), stock in two ERP warehouses (summed). Between runs "
        "1 % of the items change quantity. *second*: an ordinary scheduled run after that change. *reread*: the "
        "cursor reset, so every item is read (page by page) but only changed levels are sent. Wall times of the "
        "runs with memory include tracemalloc's overhead.",
        "",
        "| items | run | records | levels sent | setStock calls | remote calls | wall time (s) | peak memory (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for name in ("initial", "second", "second_with_memory", "full_reread_with_memory"):
            run = size[name]
            if isinstance(run, str):
                lines.append(f"| {size['items']:,} | {name} | {run} | | | | | |")
                continue
            memory = run["peak_memory_mb"] if run["peak_memory_mb"] is not None else "–"
            lines.append(
                f"| {size['items']:,} | {name} | {run['records']:,} | {run['levels_sent']:,} | "
                f"{run['set_stock_calls']} | {run['remote_calls']} | {run['wall_seconds']} | {memory} |"
            )
    lines += ["", "Remote calls of the second run, by operation:", ""]
    for size in results["sizes"]:
        ops = ", ".join(f"{k}: {v}" for k, v in size["second"]["calls_by_operation"].items())
        lines.append(f"- {size['items']:,} items: {ops}")
    lines += ["", "Notes:", ""] + [f"- {note}" for note in results.get("notes", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="catalogue sizes, comma-separated")
    parser.add_argument(
        "--seed-sent-from",
        type=int,
        default=200_000,
        help="from this size on, write the state after the first run directly instead of running it",
    )
    parser.add_argument("--note", action="append", default=[], help="a note for the results file")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other sizes of the existing results file (replace these)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "sizes": [],
        "notes": args.note,
    }
    if len(sizes) > 1:
        # Each size runs in its own process with its own throwaway database.
        import subprocess

        for size in sizes:
            out = subprocess.run(  # noqa: S603 (this script, our interpreter)
                [
                    sys.executable,
                    __file__,
                    "--sizes",
                    str(size),
                    "--seed-sent-from",
                    str(args.seed_sent_from),
                    "--child",
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results["sizes"].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results["sizes"][-1], indent=2), file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory(prefix="koppla-bench-") as tmp:
            db_path = Path(tmp) / "bench.sqlite3"
            django_setup(db_path)
            server, sandbox = sandbox_server(db_path)
            try:
                result = bench_size(sizes[0], seed_sent_state=sizes[0] >= args.seed_sent_from, sandbox=sandbox)
            finally:
                server.terminate()
                server.wait(timeout=30)
        if args.child:
            print(json.dumps(result))
            return
        results["sizes"].append(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.merge and (RESULTS / "stock_sync.json").exists():
        previous = json.loads((RESULTS / "stock_sync.json").read_text())
        kept = [s for s in previous["sizes"] if s["items"] not in sizes]
        results["sizes"] = sorted([*kept, *results["sizes"]], key=lambda s: s["items"])
        results["notes"] = previous.get("notes", []) + [
            n for n in results["notes"] if n not in previous.get("notes", [])
        ]
    (RESULTS / "stock_sync.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "stock_sync.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
