"""Flows bench: remote calls per record by endpoint, DB queries per record, wall time and peak RSS per flow and ERP.

Run by hand from the repository root (defaults: 1k and 10k records, every pair, every flow):

    .venv/bin/python bench/flows.py                                   # this checkout only
    .venv/bin/python bench/flows.py --sizes 1000 --compare a73c9d5    # and the same points at a73c9d5, side by side
    .venv/bin/python bench/flows.py --sizes 1000,10000,100000 --pairs centra_visma
    .venv/bin/python bench/flows.py --postgres postgres://postgres@127.0.0.1:5432/koppla_h_bench

Pairs (the demo integrations of sync/demo.py, their sandboxes in-process over the `requests` transport of
integrations/sandbox/inprocess.py, config.settings.test): centra_visma (Centra → Visma.net), centra_fortnox
(Centra → Fortnox), eacc_visma (Visma eAccounting → Visma.net).

Per pair and size, in this order on one database (one seeded template per size, copied per pair):
  orders         the orders flow over N generated orders (the demo's mix: ~60 % of them from customers not seen
                 before, EU OSS countries, reduced rates, shipping, wholesale; eAccounting: paid invoiced orders
                 of private persons and companies in SE, DK, DE, NL and FI);
  customers      the customers flow right after it (the ERP customers exist and have not changed);
  orders_steady  N/10 (at least 100) new orders from customers the ERP already knows, the orders flow again;
  refunds        the refunds flow: the shop's returns (Centra, ~8 % of orders) or credit invoices (eAccounting).
Each point is its own subprocess, so its RSS starts fresh: VmHWM is read from /proc/self/status before and after
the run (`rss_run_growth_mb` = the run's own peak growth, `rss_peak_mb` = the process's peak). Calls are counted
where the HTTP request leaves for the sandbox (InProcessAdapter.send: listings, token refreshes and retries
included), by system and endpoint (ids replaced by {id}; Centra by GraphQL operation). Queries are counted with
`connection.execute_wrapper`; those the in-process sandbox runs while answering a call are counted apart and left
out of `queries_per_record`. The rate limiter runs on a FakeClock (as bench/orders_calls.py does) so it never
waits; `our_seconds` is the wall time minus the time spent inside the sandbox answering calls.

--compare REV makes a temporary `git worktree` of REV (its .venv a symlink to this one), copies this script
into it and runs the same points there first; both sets go into one results file. The script only uses APIs that
exist at a73c9d5 (flow_run, demo_seed, the sandboxes' seed helpers, SyncRun, InProcessAdapter).
Quota share comes from bench/quota_share.py when that module exists (else null, with the reason).
Results: bench/results/flows.json, flows.md, flows.svg (unless --no-save). Each point's own seconds are listed.
`--report flows.json` writes flows.md and flows.svg again from a saved run.

Cost, measured at a73c9d5 on 2 CPUs shared with other benches (load 6-10): `--sizes 1000 --compare a73c9d5
--jobs 3` took 32 minutes (an orders point 7-9 minutes, ~60 % of it inside the sandboxes); the orders flow there
costs ~0.45 s of wall time per order, so a 10k point takes over an hour per pair and revision on such a machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MARK = "FLOWS-POINT "
PAIRS = {
    "centra_visma": "Demo shop (Centra → Visma.net)",
    "centra_fortnox": "Demo shop (Centra → Fortnox)",
    "eacc_visma": "Demo shop (eAccounting → Visma.net)",
}
STEPS = ("orders", "customers", "orders_steady", "refunds")
FLOW_OF_STEP = {"orders": "orders", "customers": "customers", "orders_steady": "orders", "refunds": "refunds"}
SEED = 2026


def steady_count(size: int) -> int:
    """New orders from known customers for the orders_steady point: a tenth of the size, at least 100."""
    return max(100, size // 10)


# =========================================================================== child process: set-up and seeding
def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from integrations import clients
    from tests.fakes import FakeClock

    if not hasattr(clients, "DEFAULT_CLOCK"):
        raise SystemExit("integrations.clients.DEFAULT_CLOCK is gone: the limiter would wait on the real clock.")
    clients.DEFAULT_CLOCK = FakeClock()  # the limiter's spacing is not what is measured


def seed_all(size: int) -> dict:
    """Migrate; the three demo integrations with `size` Centra orders and `size` eAccounting orders (template)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from mappings.models import PaymentMethodMapping
    from sync.demo import demo_seed
    from sync.models import Integration

    demo_seed(site_url="http://testserver", orders=size, connect=True)
    for integration in Integration.objects.filter(name__in=PAIRS.values()):
        PaymentMethodMapping.objects.get_or_create(
            integration=integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
        )
    return {"eaccounting": eaccounting_orders_seed(size)}


def _eacc_context():
    from integrations.eaccounting import demo_data
    from integrations.eaccounting import sandbox as eacc

    articles = {number: eacc.article_by_number(number) for number, *_rest in demo_data.ARTICLES}
    eur = {number: eur_price for number, _n, _c, _net, eur_price, _s in demo_data.ARTICLES}
    return eacc, demo_data, articles, eur


def _eacc_order(rng, *, customer, day, modified, paid_on, ctx, reference) -> dict:
    eacc, demo_data, articles, eur = ctx
    goods = [number for number in articles if number != eacc.FREIGHT_NUMBER]
    rows = [
        {"ArticleNumber": sku, "Quantity": Decimal(rng.randint(1, 3)), "DiscountPercentage": Decimal(0)}
        for sku in rng.sample(goods, rng.randint(1, 3))
    ]
    if rng.random() < 0.2:
        rows[0]["DiscountPercentage"] = Decimal("0.10")
    rows.append({"ArticleNumber": eacc.FREIGHT_NUMBER, "Quantity": Decimal(1), "DiscountPercentage": Decimal(0)})
    currency = customer.get("CurrencyCode") or "SEK"
    if currency == "EUR":
        rows = [{**row, "UnitPrice": eur[row["ArticleNumber"]]} for row in rows]
    order = eacc.order_create(
        customer_id=customer["Id"],
        rows=rows,
        order_date=day,
        status=3,
        currency=currency,
        modified=modified,
        customer=customer,
        articles=articles,
        BuyersOrderReference=reference,
    )
    return eacc.invoice_from_order(
        order["Id"],
        invoice_date=day,
        paid_on=paid_on,
        currency_rate=demo_data.EUR_RATE if currency == "EUR" else Decimal(1),
        modified=modified,
    )


def eaccounting_orders_seed(size: int) -> dict:
    """`size` paid, invoiced eAccounting orders: ~60 % from new customers (85 % private persons in SE, DK, DE, NL;
    companies in SE, DE, FI with their own VAT numbers), 1-3 goods rows + freight, ~8 % credited (1 in 3 in full)."""
    ctx = _eacc_context()
    eacc, demo_data = ctx[0], ctx[1]
    rng = random.Random(SEED)
    today = date.today()
    private = [k for k, spec in demo_data.CUSTOMERS.items() if spec["IsPrivatePerson"]]
    companies = [k for k, spec in demo_data.CUSTOMERS.items() if not spec["IsPrivatePerson"]]
    customers = []
    with eacc._atomic():
        for index in range(max(1, size * 6 // 10)):
            key = rng.choice(private) if rng.random() < 0.85 else rng.choice(companies)
            spec = demo_data.CUSTOMERS[key]
            fields = {k: v for k, v in spec.items() if k not in ("terms", "contact", "CorporateIdentityNumber")}
            local, _, domain = spec["EmailAddress"].partition("@")
            fields["Name"] = f"{spec['Name']} {index}"
            fields["EmailAddress"] = f"{local}.{index}@{domain}"
            if not spec["IsPrivatePerson"]:
                country = spec["InvoiceCountryCode"]
                digits = {"SE": 10, "DE": 9, "FI": 8}.get(country, 9)
                number = str(10 ** (digits - 1) + index)
                fields["VatNumber"] = f"{country}{number}{'01' if country == 'SE' else ''}"
            customer = eacc.customer_save(
                {**fields, "IsActive": True, "TermsOfPaymentId": demo_data.TERMS[spec["terms"]]["Id"]}
            )
            customers.append(customer)
        credited = 0
        for index in range(size):
            customer = customers[index] if index < len(customers) else rng.choice(customers)
            day = today - timedelta(days=rng.randint(3, 60))
            moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9, seconds=index)
            invoice = _eacc_order(
                rng,
                customer=customer,
                day=day,
                modified=moment,
                paid_on=day + timedelta(days=1),
                ctx=ctx,
                reference=f"BENCH-{index + 1}",
            )
            if rng.random() < 0.08:
                partial = None if credited % 3 == 0 else {invoice["Rows"][0]["ArticleNumber"]: Decimal(1)}
                eacc.credit_invoice_create(
                    invoice["Id"],
                    invoice_date=day + timedelta(days=2),
                    modified=moment + timedelta(days=2),
                    lines=partial,
                )
                credited += 1
    return {"customers": len(customers), "orders": size, "credit_invoices": credited}


def steady_seed(pair: str, count: int) -> dict:
    """`count` new orders, each from a customer the first orders run already sent, changed now."""
    rng = random.Random(f"{SEED}-steady")
    if pair.startswith("centra"):
        from integrations.centra import sandbox as centra
        from integrations.sandbox.models import SandboxObject

        rows = SandboxObject.objects.filter(system=centra.SYSTEM, kind=centra.ORDER).order_by("id")
        known = [data for data in rows.values_list("data", flat=True)[: max(count, 1)]]
        top = max(int(row["number"]) for row in rows.values_list("data", flat=True).iterator(chunk_size=500))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        nodes = []
        for index in range(count):
            node = json.loads(json.dumps(known[index % len(known)]))
            node.pop("id", None)
            node["number"] = top + 1 + index
            node["lines"] = [{k: v for k, v in line.items() if k != "id"} for line in node.get("lines") or []]
            node["status"] = "SHIPPED" if node.get("status") == "SHIPPED" else "CONFIRMED"
            node.update(createdAt=now, updatedAt=now, orderDate=now)
            nodes.append(node)
        centra.orders_bulk_put(nodes)
        return {"orders": count}
    ctx = _eacc_context()
    eacc = ctx[0]
    from integrations.eaccounting.sandbox import CUSTOMER
    from integrations.sandbox import store

    customers = [c for c in store.obj_list(eacc.SYSTEM, CUSTOMER) if " " in c.get("Name", "")]
    bench_customers = [c for c in customers if c["Name"].rsplit(" ", 1)[-1].isdigit()] or customers
    today = date.today()
    with eacc._atomic():
        for index in range(count):
            _eacc_order(
                rng,
                customer=bench_customers[index % len(bench_customers)],
                day=today,
                modified=None,
                paid_on=today,
                ctx=ctx,
                reference=f"STEADY-{index + 1}",
            )
    return {"orders": count}


# =========================================================================== child process: measuring
def status_kb() -> dict[str, int]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def endpoint_name(request) -> tuple[str, str]:
    """(system, "METHOD endpoint") of a request to an in-process sandbox; ids become {id}."""
    parts = urlsplit(request.url)
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0] == "sandbox":
        segments = segments[1:]
    system = segments[0] if segments else "?"
    rest = segments[1:]
    if "api" in rest:
        rest = rest[rest.index("api") + 1 :]
    if system == "centra" and request.body:
        try:
            body = json.loads(request.body)
        except (TypeError, ValueError):
            body = {}
        name = body.get("operationName") if isinstance(body, dict) else None
        if not name and isinstance(body, dict):
            match = re.search(r"(query|mutation)\s*(\w*)\s*[({]\s*(\w+)", body.get("query") or "")
            name = (match.group(2) or match.group(3)) if match else None
        return system, f"{request.method} {name or 'graphql'}"
    template = [
        s if index == 0 or not re.search(r"\d", s) or re.fullmatch(r"v\d+", s) else "{id}"
        for index, s in enumerate(rest)
    ]
    return system, f"{request.method} {'/'.join(template)}"


class Meter:
    """Counts HTTP calls to the sandboxes (by endpoint), our queries and the sandbox's, and time in the sandbox."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.statuses: Counter = Counter()
        self.queries = Counter()
        self.sandbox_queries = 0
        self.sandbox_seconds = 0.0
        self.depth = threading.local()

    def install(self) -> None:
        from integrations.sandbox.inprocess import InProcessAdapter

        send = InProcessAdapter.send
        meter = self

        def counting_send(adapter, request, *args, **kwargs):
            system, name = endpoint_name(request)
            meter.calls[f"{system} {name}"] += 1
            depth = getattr(meter.depth, "n", 0)
            meter.depth.n = depth + 1
            started = time.perf_counter()
            try:
                response = send(adapter, request, *args, **kwargs)
                meter.statuses[str(response.status_code)] += 1
                return response
            finally:
                meter.depth.n = depth
                if depth == 0:
                    meter.sandbox_seconds += time.perf_counter() - started

        InProcessAdapter.send = counting_send

    def query_wrapper(self, execute, sql, params, many, context):
        if getattr(self.depth, "n", 0):
            self.sandbox_queries += 1
        else:
            self.queries[(sql.lstrip().split(None, 1) or ["?"])[0].upper()] += 1
        return execute(sql, params, many, context)


def point(step: str, pair: str, size: int) -> dict:
    """Run one flow of one pair on the prepared database and measure it."""
    from django.db import connection

    from sync.models import Integration, SyncRun
    from sync.services import flow_run

    integration = Integration.objects.get(name=PAIRS[pair])
    meter = Meter()
    meter.install()
    before = status_kb()
    started = time.perf_counter()
    with connection.execute_wrapper(meter.query_wrapper):
        run = flow_run(integration=integration, flow=FLOW_OF_STEP[step], trigger="manual")
    wall = time.perf_counter() - started
    after = status_kb()
    run = SyncRun.objects.get(pk=run.pk)
    handled = run.done or 0
    denominator = max(handled, 1)
    calls = sum(meter.calls.values())
    queries = sum(meter.queries.values())
    return {
        "step": step,
        "pair": pair,
        "size": size,
        "flow": FLOW_OF_STEP[step],
        "run_status": run.status,
        "run_message": (run.message or "")[:300],
        "records": handled,
        "ok": run.ok_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
        "calls": calls,
        "calls_per_record": round(calls / denominator, 3),
        "calls_by_endpoint": dict(meter.calls.most_common()),
        "calls_per_record_by_endpoint": {k: round(v / denominator, 3) for k, v in meter.calls.most_common()},
        "http_statuses": dict(meter.statuses),
        "queries": queries,
        "queries_per_record": round(queries / denominator, 2),
        "queries_by_kind": dict(meter.queries.most_common()),
        "sandbox_queries": meter.sandbox_queries,
        "wall_seconds": round(wall, 2),
        "sandbox_seconds": round(meter.sandbox_seconds, 2),
        "our_seconds": round(wall - meter.sandbox_seconds, 2),
        "our_ms_per_record": round(1000 * (wall - meter.sandbox_seconds) / denominator, 2),
        "rss_before_run_mb": round(before["VmHWM"] / 1024, 1),
        "rss_peak_mb": round(after["VmHWM"] / 1024, 1),
        "rss_run_growth_mb": round((after["VmHWM"] - before["VmHWM"]) / 1024, 1),
        "rss_end_mb": round(after["VmRSS"] / 1024, 1),
        "code": str(Path(sys.modules["sync"].__file__).resolve().parents[1]),
    }


def child(args) -> None:
    if args.child == "quota":
        print(MARK + json.dumps(quota_figures(args.pair, args.size), default=str), flush=True)
        return
    django_setup(args.db)
    if args.child == "seed":
        result = seed_all(args.size)
    elif args.child == "steady_seed":
        result = steady_seed(args.pair, steady_count(args.size))
    else:
        result = point(args.child, args.pair, args.size)
    print(MARK + json.dumps(result, default=str), flush=True)


# =========================================================================== parent: databases and points
class Databases:
    """One template database per (revision, size), one copy per pair: SQLite files or PostgreSQL databases."""

    def __init__(self, postgres: str | None, tmp: Path):
        self.postgres = postgres
        self.tmp = tmp

    def url(self, name: str) -> str:
        if self.postgres:
            return urlsplit(self.postgres)._replace(path=f"/{self._pg_name(name)}").geturl()
        return f"sqlite:///{self.tmp / (name + '.sqlite3')}"

    def _pg_name(self, name: str) -> str:
        base = urlsplit(self.postgres).path.lstrip("/") or "koppla_h_bench"
        return f"{base}_{name}".lower()[:63]

    def _pg(self, *statements: str) -> None:
        import psycopg

        admin = urlsplit(self.postgres)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def fresh(self, name: str) -> str:
        if self.postgres:
            db = self._pg_name(name)
            self._pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.tmp / (name + '.sqlite3')}{suffix}").unlink(missing_ok=True)
        return self.url(name)

    def copy(self, template: str, name: str) -> str:
        if self.postgres:
            db, source = self._pg_name(name), self._pg_name(template)
            self._pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}" TEMPLATE "{source}"')
        else:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.tmp / (template + '.sqlite3')}{suffix}")
                if source.exists():
                    shutil.copyfile(source, f"{self.tmp / (name + '.sqlite3')}{suffix}")
        return self.url(name)

    def drop(self, name: str) -> None:
        if self.postgres:
            self._pg(f'DROP DATABASE IF EXISTS "{self._pg_name(name)}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.tmp / (name + '.sqlite3')}{suffix}").unlink(missing_ok=True)


def run_child(root: Path, db_url: str, what: str, *, pair: str = "", size: int = 0) -> dict:
    """Run this script (as copied into `root`) in a fresh process for one step; its result and its seconds."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if db_url:
        env["DATABASE_URL"] = db_url
    command = [sys.executable, str(root / "bench" / "flows.py"), "--child", what, "--db", db_url]
    command += ["--pair", pair, "--size", str(size)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)  # noqa: S603 (our own script)
    seconds = round(time.perf_counter() - started, 1)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)[-800:], "process_seconds": seconds}
    return {**json.loads(lines[-1][len(MARK) :]), "process_seconds": seconds}


def pair_chain(root: Path, label: str, args, dbs: Databases, size: int, pair: str) -> list[dict]:
    """The steps of one pair at one size, in order, on its own copy of the size's template."""
    name = f"{label}_{size}_{pair}"
    url = dbs.copy(f"{label}_{size}_tpl", name)
    points = []
    for step in args.steps:
        if step == "orders_steady":
            prepared = run_child(root, url, "steady_seed", pair=pair, size=size)
            if "error" in prepared:
                say(f"[{label}] steady seed {pair} {size}: {prepared['error']}")
        result = run_child(root, url, step, pair=pair, size=size)
        result.update(step=step, pair=pair, size=size)
        points.append(result)
        say(
            f"[{label}] {pair} {step} {size}: {result.get('records')} records, "
            f"{result.get('calls_per_record')} calls/rec, {result.get('queries_per_record')} queries/rec, "
            f"{result.get('wall_seconds')} s run, {result.get('rss_peak_mb')} MB, "
            f"{result['process_seconds']} s point {result.get('error', '')}"
        )
    if not args.keep:
        dbs.drop(name)
    return points


def rev_run(root: Path, label: str, args, dbs: Databases) -> dict:
    """Every point of `args` with the code at `root` (pairs side by side in `args.jobs` processes); prints progress."""
    points, seeds = [], {}
    for size in args.sizes:
        template = f"{label}_{size}_tpl"
        seeds[size] = run_child(root, dbs.fresh(template), "seed", size=size)
        say(f"[{label}] seed {size}: {seeds[size].get('process_seconds')} s {seeds[size].get('error', '')}")
        if "error" in seeds[size]:
            continue
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            chains = [pool.submit(pair_chain, root, label, args, dbs, size, pair) for pair in args.pairs]
            for chain in chains:
                points += chain.result()
        if not args.keep:
            dbs.drop(template)
    head = git("rev-parse", "--short", "HEAD", cwd=root).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=root).stdout.strip()
    return {
        "label": label,
        "commit": head + ("+changes" if dirty else ""),
        "seeds": seeds,
        "points": points,
        "quota_share": quota_share(root, label, args)
        if args.quota_systems
        else {"share": None, "reason": "--quota ''"},
    }


def say(text: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {text}", flush=True)


QUOTA_SYSTEMS = ("visma_net", "fortnox")


def quota_figures(system: str, seconds: int) -> dict:
    """Child side: bench/quota_share.py's quota_share(system) (it sets Django up on its own throwaway database)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("quota_share", ROOT / "bench" / "quota_share.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.quota_share(system, workers=2, seconds=seconds or None)


def quota_share(root: Path, label: str, args) -> dict:
    """Quota share per ERP sandbox with the code at `root`, from bench/quota_share.py when this checkout has it
    (copied into a --compare worktree like this script); {system: figures} or {share: None, reason}."""
    source = ROOT / "bench" / "quota_share.py"
    if not source.exists():
        return {"share": None, "reason": "bench/quota_share.py is not in this checkout: quota share not measured"}
    if root != ROOT:
        shutil.copyfile(source, root / "bench" / "quota_share.py")
    shares = {}
    for system in args.quota_systems:
        try:
            result = run_child(root, "", "quota", pair=system, size=args.quota_seconds)
        except Exception as exc:  # noqa: BLE001 - the other figures stand without it
            result = {"error": f"{type(exc).__name__}: {exc}"}
        if "error" in result:
            result = {"share": None, "reason": f"bench/quota_share.py failed: {result['error']}"[:600]}
        shares[system] = result
        say(f"[{label}] quota share {system}: {result.get('share_percent', result.get('reason'))}")
    return shares


# =========================================================================== parent: compare and results
def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("git") or "git", *args], cwd=cwd, capture_output=True, text=True)  # noqa: S603


def worktree_for(rev: str, tmp: Path) -> Path:
    path = tmp / f"rev-{re.sub(r'[^A-Za-z0-9]', '_', rev)}"
    added = git("worktree", "add", "--detach", str(path), rev, cwd=ROOT)
    if added.returncode:
        raise SystemExit(f"git worktree add {rev} failed: {added.stderr.strip()}")
    (path / ".venv").symlink_to((ROOT / ".venv").resolve())
    shutil.copyfile(Path(__file__).resolve(), path / "bench" / "flows.py")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="records per point, comma-separated")
    parser.add_argument("--pairs", default=",".join(PAIRS), help=f"of {', '.join(PAIRS)}")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"in order, of {', '.join(STEPS)}")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL whose database name prefixes the bench's")
    parser.add_argument("--compare", default="", help="also run every point at this revision (a git worktree)")
    parser.add_argument("--jobs", type=int, default=2, help="pairs measured side by side (1: one point at a time)")
    parser.add_argument("--quota", default=",".join(QUOTA_SYSTEMS), help="systems for bench/quota_share.py ('': none)")
    parser.add_argument("--quota-seconds", type=int, default=30, help="seconds per quota-share measurement")
    parser.add_argument("--label", default="", help="a note saved with the results")
    parser.add_argument("--keep", action="store_true", help="keep the databases (and the worktree's) afterwards")
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results alone")
    parser.add_argument("--report", default="", help="only write flows.md and flows.svg again from this flows.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--pair", default="", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.report:
        result = json.loads(Path(args.report).read_text())
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "flows.md").write_text(report_markdown(result))
        (RESULTS / "flows.svg").write_text(report_svg(result))
        print(report_markdown(result))
        return
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.pairs = [p for p in args.pairs.split(",") if p.strip()]
    args.steps = [s for s in args.steps.split(",") if s.strip()]
    args.quota_systems = [s for s in args.quota.split(",") if s.strip()]
    unknown = sorted((set(args.pairs) - set(PAIRS)) | (set(args.steps) - set(STEPS)))
    if unknown:
        parser.error(f"unknown pair or step: {', '.join(unknown)}")

    tmp = Path(tempfile.mkdtemp(prefix="koppla-flows-"))
    dbs = Databases(args.postgres or None, tmp)
    started = time.perf_counter()
    runs = []
    worktree = None
    try:
        if args.compare:
            worktree = worktree_for(args.compare, tmp)
            runs.append(rev_run(worktree, "base", args, dbs))
        runs.append(rev_run(ROOT, "head", args, dbs))
    finally:
        if worktree and not args.keep:
            git("worktree", "remove", "--force", str(worktree), cwd=ROOT)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "label": args.label,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": args.sizes,
        "pairs": args.pairs,
        "steps": args.steps,
        "database": "postgresql" if args.postgres else "sqlite (temporary file)",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "total_seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
    }
    markdown = report_markdown(result)
    print(markdown)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "flows.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (RESULTS / "flows.md").write_text(markdown)
        (RESULTS / "flows.svg").write_text(report_svg(result))


def _by_key(run: dict) -> dict:
    return {(p["pair"], p["step"], p["size"]): p for p in run["points"]}


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return str(value)


def report_markdown(result: dict) -> str:
    runs = result["runs"]
    names = [f"{r['label']} ({r['commit']})" for r in runs]
    lines = [
        "# Flows bench: calls, queries, time and memory per record",
        "",
        f"{result['at']}, {result['machine']}, {result['database']}; sizes {result['sizes']}; "
        f"total {result['total_seconds']} s. {result['label']}".strip(),
        "",
        "Columns per revision: " + " / ".join(names) + ". calls/rec = HTTP requests to the sandboxes per record "
        "handled (listings included); q/rec = our DB queries per record (the sandbox's own left out; in brackets "
        "without BEGIN/SAVEPOINT/RELEASE); "
        "ms/rec = our wall time per record (time inside the sandbox left out); RSS = the run's peak growth / the "
        "process's peak (MB); s = the point's process seconds.",
        "",
    ]
    header = "| pair | flow | size | records (ok/failed) |"
    rule = "|---|---|---|---|"
    for metric in ("calls/rec", "q/rec", "ms/rec", "RSS MB", "s"):
        header += f" {metric} |"
        rule += "---|"
    lines += [header, rule]
    keyed, order = _points_keyed(runs)
    for key in order:
        points = [k.get(key, {}) for k in keyed]
        first = points[-1] or points[0]
        records = " / ".join(f"{p.get('records', '–')} ({p.get('ok', '–')}/{p.get('failed', '–')})" for p in points)

        def cells(field, digits=2, points=points):
            return " → ".join(_fmt(p.get(field), digits) if "error" not in p else "error" for p in points)

        data_q = " → ".join(_fmt(data_queries_per_record(p), 1) for p in points)
        rss = " → ".join(f"{_fmt(p.get('rss_run_growth_mb'), 0)}/{_fmt(p.get('rss_peak_mb'), 0)}" for p in points)
        lines.append(
            f"| {key[0]} | {first.get('step', key[1])} | {key[2]} | {records} | {cells('calls_per_record')} | "
            f"{cells('queries_per_record', 1)} ({data_q}) | {cells('our_ms_per_record', 1)} | {rss} | {cells('process_seconds', 0)} |"
        )
    lines += ["", *summary_markdown(result), "## Calls per record by endpoint", ""]
    for key in order:
        points = [k.get(key, {}) for k in keyed]
        endpoints = []
        for p in points:
            for name in p.get("calls_per_record_by_endpoint", {}):
                if name not in endpoints:
                    endpoints.append(name)
        if not endpoints:
            continue
        lines.append(f"- **{key[0]} {key[1]} {key[2]}**: " + "; ".join(
            f"`{name}` " + " → ".join(_fmt(p.get("calls_per_record_by_endpoint", {}).get(name, 0), 3) for p in points)
            for name in endpoints
        ))  # fmt: skip
    errors = [
        (run["label"], p) for run in runs for p in run["points"] if "error" in p or p.get("run_status") == "failed"
    ]
    if errors:
        lines += ["", "## Points that failed", ""]
        lines += [
            f"- {label} {p['pair']} {p['step']} {p['size']}: {p.get('error') or p.get('run_message')}"
            for label, p in errors
        ]
    lines += ["", "## Seeding (seconds per template)", ""]
    for run in runs:
        lines.append(
            f"- {run['label']}: "
            + ", ".join(f"{size}: {s.get('process_seconds')} s" for size, s in run["seeds"].items())
        )
    lines += ["", "## Quota share (bench/quota_share.py)", ""]
    for run in runs:
        lines.append(f"- {run['label']}: `{json.dumps(_quota_brief(run.get('quota_share') or {}), default=str)}`")
    lines.append("")
    return "\n".join(lines)


DATA_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def data_queries_per_record(point: dict) -> float | None:
    """SELECT/INSERT/UPDATE/DELETE per record: `queries_per_record` without transaction control (BEGIN, SAVEPOINT,
    RELEASE), which SQLite's backend sends as statements and PostgreSQL's mostly does not."""
    kinds = point.get("queries_by_kind")
    if kinds is None:
        return None
    return round(sum(kinds.get(kind, 0) for kind in DATA_STATEMENTS) / max(point.get("records") or 0, 1), 1)


ERP_OF_PAIR = {"centra_visma": "visma-net", "centra_fortnox": "fortnox", "eacc_visma": "visma-net"}


def erp_calls_per_record(point: dict, *, per: str = "records") -> float | None:
    """Calls to the pair's ERP per record handled, or per record sent (`per="ok"`: per credit note); the shop's
    listings and reads left out."""
    if "calls_by_endpoint" not in point:
        return None
    erp = ERP_OF_PAIR[point["pair"]]
    calls = sum(n for name, n in point["calls_by_endpoint"].items() if name.startswith(erp + " "))
    return round(calls / max(point.get(per) or 0, 1), 2)


def _quota_brief(quota: dict) -> dict:
    if "reason" in quota:
        return {"share": None, "reason": quota["reason"]}
    return {
        system: {k: v for k, v in figures.items() if "share" in k or "429" in k or k == "reason"}
        for system, figures in quota.items()
    }


def summary_markdown(result: dict) -> list[str]:
    """The issue's table: per pair, each revision's figure side by side (the largest size run unless named)."""
    runs = result["runs"]
    keyed = [_by_key(run) for run in runs]
    size = max(result["sizes"])
    lines = [
        f"## The issue's figures (size {size} unless named; " + " → ".join(r["label"] for r in runs) + ")",
        "",
        "| figure | pair | " + " | ".join(f"{r['label']} ({r['commit']})" for r in runs) + " |",
        "|---|---|" + "---|" * len(runs),
    ]

    def row(title, pair, value):
        lines.append(f"| {title} | {pair} | " + " | ".join(value(k) for k in keyed) + " |")

    for pair in result["pairs"]:

        def get(k, step, field, pair=pair, at=size):
            point = k.get((pair, step, at), {})
            if field == "erp":
                value = erp_calls_per_record(point, per="ok" if step == "refunds" else "records")
            elif field == "data_queries":
                value = data_queries_per_record(point)
            else:
                value = point.get(field)
            return _fmt(value) if value is not None and "error" not in point else "–"

        row("ERP calls per order, orders flow (new customers)", pair, lambda k, g=get: g(k, "orders", "erp"))
        row("all calls per order, orders flow", pair, lambda k, g=get: g(k, "orders", "calls_per_record"))
        row("ERP calls per order, steady state (known customers)", pair, lambda k, g=get: g(k, "orders_steady", "erp"))
        row(
            "customers flow right after orders: calls (records)",
            pair,
            lambda k, g=get: f"{g(k, 'customers', 'calls')} ({g(k, 'customers', 'records')})",
        )
        row("refunds: ERP calls per credit note made", pair, lambda k, g=get: g(k, "refunds", "erp"))
        row("DB queries per order (orders flow)", pair, lambda k, g=get: g(k, "orders", "queries_per_record"))
        row("  of which SELECT/INSERT/UPDATE/DELETE", pair, lambda k, g=get: g(k, "orders", "data_queries"))
        row(
            "peak RSS MB, orders flow, " + " → ".join(str(n) for n in result["sizes"]),
            pair,
            lambda k, g=get: " → ".join(g(k, "orders", "rss_peak_mb", at=n) for n in result["sizes"]),
        )
    for system in QUOTA_SYSTEMS:

        def share(run, system=system):
            figures = (run.get("quota_share") or {}).get(system) or {}
            if not figures or figures.get("share") is None and "share_percent" not in figures:
                return "null"
            return f"{figures.get('share_percent')} % with {figures.get('refused_429_after_first_window')} × 429 after"

        lines.append(f"| quota share | {system} | " + " | ".join(share(r) for r in runs) + " |")
    return [*lines, ""]


SVG_METRICS = (
    ("calls_per_record", "HTTP calls per record"),
    ("queries_per_record", "DB queries per record"),
    ("our_ms_per_record", "our ms per record"),
    ("rss_peak_mb", "peak RSS (MB)"),
)
COLOURS = ("#9aa5b1", "#1f6feb", "#2da44e")


def _points_keyed(runs: list[dict]) -> tuple[list[dict], list[tuple]]:
    """Each run's points by (pair, step, size), and those keys in the order the runs first list them."""
    keyed = [_by_key(run) for run in runs]
    order = list(dict.fromkeys((p["pair"], p["step"], p["size"]) for run in runs for p in run["points"]))
    return keyed, order


def report_svg(result: dict) -> str:
    """Grouped bars, one panel per metric; one bar per revision for each (pair, flow, size)."""
    runs = result["runs"]
    keyed, order = _points_keyed(runs)
    group, bar, left, panel_h, top = 30, 12, 70, 170, 40
    width = left + max(1, len(order)) * group + 130
    height = top + len(SVG_METRICS) * (panel_h + 40) + 240
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="10">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="18" font-size="14">Flows bench: per record, by pair / flow / size</text>',
    ]
    for index, run in enumerate(runs):
        x = 10 + index * 200
        out.append(f'<rect x="{x}" y="26" width="10" height="10" fill="{COLOURS[index % 3]}"/>')
        out.append(f'<text x="{x + 14}" y="35">{run["label"]} ({run["commit"]})</text>')
    for m, (field, title) in enumerate(SVG_METRICS):
        y0 = top + m * (panel_h + 40) + 20
        values = [k.get(key, {}).get(field) or 0 for key in order for k in keyed]
        peak = max(values + [1e-9])
        out.append(f'<text x="10" y="{y0 - 4}" font-size="12">{title} (max {_fmt(float(peak))})</text>')
        out.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{width - 10}" y2="{y0 + panel_h}" stroke="#333"/>')
        for g, key in enumerate(order):
            for r, k in enumerate(keyed):
                value = k.get(key, {}).get(field) or 0
                h = panel_h * value / peak
                x = left + g * group + r * bar
                out.append(
                    f'<rect x="{x}" y="{y0 + panel_h - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                    f'fill="{COLOURS[r % 3]}"><title>{key[0]} {key[1]} {key[2]} {runs[r]["label"]}: '
                    f"{value}</title></rect>"
                )
    y_labels = top + len(SVG_METRICS) * (panel_h + 40) + 10
    for g, key in enumerate(order):
        x = left + g * group + 6
        out.append(
            f'<text x="{x}" y="{y_labels}" transform="rotate(60 {x} {y_labels})">{key[0]} {key[1]} {key[2]}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
