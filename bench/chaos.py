"""Chaos benchmark: N orders through the orders and customers flows under faults, a killed worker and a webhook flood.

Run by hand from the repository root (PostgreSQL only: it measures several processes at once):

    .venv/bin/python bench/chaos.py                      # 1,000 orders, 20 min drain limit
    .venv/bin/python bench/chaos.py --orders 100         # quicker
    .venv/bin/python bench/chaos.py --label "after the fixes (main at abc1234)"

Set-up (config.settings.test: both sandboxes in-process, their state in the same
database, so every process sees the same emulated Centra and Visma.net):
  - the database of --database-url is dropped and created again (its name must
    contain "bench"), migrated and seeded with the demo integration and mappings
    (sync.demo.demo_seed), a Centra shop of N orders and the swish payment mapping;
  - faults on both sandboxes (SandboxFault rows), on every endpoint: 5xx (503 and
    500), 429 with a short Retry-After and timeouts, each at a quarter of
    --fault-rate; on top, a timeout *after* the write on the ERP's invoice and
    customer creates at --fault-rate.

Then, at the same time, each in its own process (this script with --role):
  - one worker per flow (orders, customers) runs the flow as the schedule would
    (flow_run(trigger="schedule")) every --interval seconds, with the retry
    backoff shortened (SYNC_RETRY_MINUTES = 3 s, 6 s, 12 s, 30 s);
  - an operator resyncs dead letters every 10 s (records_resync, the admin's action);
  - a webhook flood posts signed Centra deliveries through django.test.Client
    (raise_request_exception=False, so a 500 is counted): valid ones naming orders
    and customers, replays, bad signatures and malformed bodies. Tasks run inline
    (the test settings' Q_CLUSTER sync), so this process also stands in for the
    q2 worker that runs webhook-triggered runs;
  - the orders worker is killed with SIGKILL in the middle of a record, once its
    run has processed --kill-after records; a new worker starts in its place at
    once. The dead run holds the flow's lock until the engine expires it (today:
    Q_TIMEOUT + 300 s, 35 min by default; Q_TIMEOUT in the environment changes it).
The bench keeps going until every exportable order and every shop customer is
synced (and the flood is over), or --drain-minutes pass. Then it counts, from the
sandboxes themselves: invoices per order, ERP customers per e-mail, records not
ok, webhook answers, 429s and calls made while a 429's Retry-After was running,
and what the kill did. Results: bench/results/chaos.json and chaos.md, one
section per --label (other labels are kept). Exit status 1 when an invariant
fails (the results are written first), 2 on a set-up problem.

Honest notes: the real clock is used (rate limiter, backoff and Retry-After
really wait); the connections keep their real paces (Centra 20 requests/10 s,
the demo's Visma.net 100/10 s) unless --rate-scale says otherwise. In-process
sandboxes answer a timeout at once (no 30 s wait), so timeouts cost no wall time.
Every 429 in this bench is an injected one; the sandboxes' own quotas
(SANDBOX_RATE_LIMITS) are off because they count per process. On 2 cores, 1,000
orders take about 20 minutes to drain once nothing blocks the flow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/koppla_chaos_bench"
FLOWS = ("orders", "customers")
RETRY_MINUTES = (0.05, 0.1, 0.2, 0.5)  # 3 s, 6 s, 12 s, 30 s instead of 2, 10, 30, 120 minutes
OPERATOR_EVERY = 10.0
INVOICE_CREATE = r"^POST .*/v2/customerinvoice$"
CUSTOMER_CREATE = r"^POST .*/v1/customer$"
DONE = ("ok", "skipped")


# =========================================================================== set-up (main process)
class SetupError(Exception):
    """The bench cannot run as asked (exit status 2)."""


def database_prepare(url: str) -> None:
    """Drop and create the bench's own PostgreSQL database; refuse SQLite and names without 'bench'."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SetupError(
            f"bench/chaos.py needs PostgreSQL (got {parts.scheme or url!r}): it runs several worker processes "
            "at once, which SQLite cannot measure. Pass --database-url postgres://…/koppla_chaos_bench."
        )
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SetupError(
            f"Refusing to drop and recreate database {name!r}: the bench only resets a database named *bench*."
        )
    import psycopg

    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.SYNC_RETRY_MINUTES = RETRY_MINUTES


def faults_install(*, rate: float, retry_after: int) -> list[dict]:
    """~`rate` of every request fails on both sandboxes; creates also time out after writing at `rate`."""
    from integrations.sandbox.models import SandboxFault

    share = rate / 4
    rows = []
    for system in ("visma_net", "centra"):
        rows += [
            {"system": system, "kind": "server_error", "status_code": 503, "probability": share},
            {"system": system, "kind": "server_error", "status_code": 500, "probability": share},
            {"system": system, "kind": "rate_limit", "retry_after": retry_after, "probability": share},
            {"system": system, "kind": "timeout", "probability": share},
        ]
    for endpoint in (INVOICE_CREATE, CUSTOMER_CREATE):
        rows.append({"system": "visma_net", "endpoint": endpoint, "kind": "timeout_after_write", "probability": rate})
    for row in rows:
        SandboxFault.objects.create(**row)
    return rows


def rate_limits_scale(integration, scale: float) -> dict[str, str]:
    """The connections' client-side paces (multiplied by `scale` when it is not 1)."""
    paces = {}
    for connection in (integration.shop, integration.erp):
        windows = connection.rate_limits
        if scale != 1:
            connection.rate_limit = ", ".join(f"{max(1, round(count * scale))}/{period}s" for count, period in windows)
            connection.save(update_fields=["rate_limit"])
            windows = connection.rate_limits
        paces[connection.system] = ", ".join(f"{count}/{period} s" for count, period in windows)
    return paces


def seed(args) -> dict:
    """Migrate, seed the demo integration with N orders, add the swish mapping, switch the flows on, add faults."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from integrations.centra import sandbox as centra
    from mappings.models import PaymentMethodMapping
    from sync.demo import demo_seed
    from sync.models import IntegrationFlow
    from sync.services import integration_flow_update

    started = time.perf_counter()
    integration = demo_seed(site_url="http://testserver", orders=args.orders, connect=True)
    PaymentMethodMapping.objects.get_or_create(
        integration=integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    for switch in IntegrationFlow.objects.filter(integration=integration, flow__in=FLOWS):
        integration_flow_update(integration_flow=switch, enabled=True)
    paces = rate_limits_scale(integration, args.rate_scale)
    faults = faults_install(rate=args.fault_rate, retry_after=args.retry_after)
    return {
        "integration_id": integration.pk,
        "orders_in_shop": len(centra.orders()),
        "customers_in_shop": len(centra.customers()),
        "seed_seconds": round(time.perf_counter() - started, 1),
        "paces": paces,
        "faults": faults,
    }


# =========================================================================== instrumentation (every child)
def calls_log_install(path: Path) -> None:
    """Append one line per remote exchange of this process: start, end, system, status (for 429s and pauses)."""
    from integrations import http

    original = http._emit
    out = path.open("a", buffering=1)

    def logging_emit(exchange: dict) -> None:
        end = time.time()
        out.write(
            json.dumps(
                {
                    "t0": round(end - (exchange.get("duration_ms") or 0) / 1000, 3),
                    "t1": round(end, 3),
                    "sys": exchange.get("system"),
                    "st": exchange.get("status"),
                    "err": (exchange.get("error") or "")[:40],
                    "call": call_name(exchange),
                    "pid": os.getpid(),
                }
            )
            + "\n"
        )
        original(exchange)

    http._emit = logging_emit


def call_name(exchange: dict) -> str:
    """ "POST v2/customerinvoice", "GET v1/customerinvoice/{id}" or the GraphQL operation name."""
    body = exchange.get("request_body")
    if isinstance(body, dict) and body.get("operationName"):
        return str(body["operationName"])
    path = str(exchange.get("url", "")).split("?")[0].split("/api/", 1)[-1]
    return f"{exchange.get('method', '')} " + "/".join("{id}" if p.isdigit() else p for p in path.split("/"))


def status_write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**data, "pid": os.getpid(), "at": time.time()}))
    os.replace(tmp, path)


def status_hook_install(path: Path) -> None:
    """Tell the conductor which run and record this worker is in (for the kill), via a small status file."""
    from sync import engine

    original = getattr(engine, "record_process", None)
    if original is None:  # renamed: the conductor falls back to the running run of the flow
        return

    def record_process(*args, **kwargs):
        run, item = kwargs.get("run"), kwargs.get("item")
        status_write(
            path,
            {
                "run": getattr(run, "pk", None),
                "record": getattr(item, "source_id", None),
                "since": time.time(),
            },
        )
        return original(*args, **kwargs)

    engine.record_process = record_process


def child_setup(args) -> Path:
    run_dir = Path(args.run_dir)
    django_setup(os.environ["DATABASE_URL"])
    calls_log_install(run_dir / f"calls-{args.name}-{os.getpid()}.jsonl")
    return run_dir


def stopping(run_dir: Path) -> bool:
    return (run_dir / "STOP").exists()


# =========================================================================== roles (child processes)
def role_worker(args) -> None:
    """Run one flow as the schedule does, again and again, until told to stop."""
    run_dir = child_setup(args)
    status = run_dir / f"status-{args.name}.json"
    status_hook_install(status)
    from sync.models import Integration
    from sync.services import flow_run

    log = (run_dir / f"runs-{args.name}.jsonl").open("a", buffering=1)
    while not stopping(run_dir):
        integration = Integration.objects.get(pk=args.integration)
        started = time.time()
        try:
            run = flow_run(integration=integration, flow=args.flow, trigger="schedule")
            entry = {"run": run.pk, "status": run.status, "done": run.done, "failed": run.failed_count}
        except Exception as exc:  # noqa: BLE001 - a q2 task would fail; the schedule calls again
            entry = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        log.write(json.dumps({**entry, "t0": started, "t1": time.time()}) + "\n")
        status_write(status, {"run": None, "record": None, "since": time.time()})
        time.sleep(args.interval)


def role_operator(args) -> None:
    """Resync dead letters every few seconds, as an operator clicking Resync would."""
    run_dir = child_setup(args)
    from sync.models import Integration, SyncRecord
    from sync.services import records_resync

    log = (run_dir / f"runs-{args.name}.jsonl").open("a", buffering=1)
    while not stopping(run_dir):
        integration = Integration.objects.get(pk=args.integration)
        for flow in FLOWS:
            dead = list(
                SyncRecord.objects.filter(integration=integration, flow=flow, status="dead").values_list(
                    "source_id", flat=True
                )
            )
            if dead:
                started = time.time()
                try:
                    records_resync(integration=integration, flow=flow, source_ids=dead)
                    entry = {"flow": flow, "resynced": len(dead)}
                except Exception as exc:  # noqa: BLE001 - counted; the operator tries again
                    entry = {"flow": flow, "error": f"{type(exc).__name__}: {exc}"[:300]}
                log.write(json.dumps({**entry, "t0": started, "t1": time.time()}) + "\n")
        time.sleep(OPERATOR_EVERY)


def deliveries_plan(*, count: int, order_numbers: list[str], customer_ids: list[str], seed: int) -> list[dict]:
    """The flood: valid deliveries (most), replays of earlier ones, bad signatures and malformed bodies."""
    rng = random.Random(seed)
    malformed = [
        "huge_timestamp",
        "negative_timestamp",
        "list_payload",
        "null_payload",
        "number_payload",
        "string_payload",
        "deep_nesting",
        "nul_in_event",
        "one_bad_id",
        "oversized_body",
        "not_form_encoded",
    ]
    plan: list[dict] = []
    valid_seen: list[int] = []
    for index in range(count):
        roll = rng.random()
        if index % 9 == 4 or (index < 3 * len(malformed) and index % 3 == 2):
            variant = malformed[len([p for p in plan if p["kind"] == "malformed"]) % len(malformed)]
            plan.append({"kind": "malformed", "variant": variant, "ids": [rng.choice(order_numbers)]})
        elif roll < 0.15 and valid_seen:
            plan.append({"kind": "replay", "of": rng.choice(valid_seen[-20:])})
        elif roll < 0.27:
            plan.append({"kind": "bad_signature", "ids": [rng.choice(order_numbers)]})
        else:
            events = [
                {"type": "order", "id": int(n)}
                for n in rng.sample(order_numbers, min(len(order_numbers), rng.randint(1, 4)))
            ]
            if customer_ids and rng.random() < 0.3:
                events.append({"type": "customer", "id": int(rng.choice(customer_ids))})
            plan.append({"kind": "valid", "events": events})
            valid_seen.append(index)
    return plan


def signed(secret: str, body: bytes, timestamp: int | None = None) -> str:
    from integrations.centra.webhooks import signature_compute

    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_compute(secret, timestamp, body)}"


def form_body(payload_text: str) -> bytes:
    return urlencode({"payload": payload_text}).encode()


def delivery_build(item: dict, *, secret: str, sent: dict[int, tuple[bytes, str]]) -> tuple[bytes, str]:
    """(raw body, X-Centra-Signature) of one planned delivery."""
    kind = item["kind"]
    if kind == "replay":
        return sent[item["of"]]
    if kind == "valid":
        return (body := form_body(json.dumps({"events": item["events"]}))), signed(secret, body)
    order_id = int(item["ids"][0])
    good = form_body(json.dumps({"events": [{"type": "order", "id": order_id}]}))
    if kind == "bad_signature":
        return good, signed("not-the-webhook-secret", good)
    variant = item["variant"]
    if variant == "huge_timestamp":
        return good, "t=99999999999999999999,v1=00"
    if variant == "negative_timestamp":
        return good, "t=-99999999999,v1=00"
    payload = {
        "list_payload": json.dumps([{"type": "order", "id": order_id}]),
        "null_payload": "null",
        "number_payload": "42",
        "string_payload": json.dumps("order"),
        "deep_nesting": '{"events":' + "[" * 50_000 + "]" * 50_000 + "}",
        "nul_in_event": json.dumps({"events": [{"type": "order", "id": order_id, "note": "Storgatan 1\u0000"}]}),
        "one_bad_id": json.dumps({"events": [{"type": "order", "id": {"x": 1}}, {"type": "order", "id": order_id}]}),
        "oversized_body": json.dumps({"events": [{"type": "order", "id": order_id, "pad": "x" * 5_000_000}]}),
    }.get(variant)
    if variant == "not_form_encoded":
        body = json.dumps({"events": [{"type": "order", "id": order_id}]}).encode()
    else:
        body = form_body(payload)
    return body, signed(secret, body)


def role_webhooks(args) -> None:
    """Post the planned deliveries in bursts from a few threads; one line per answer."""
    run_dir = child_setup(args)
    import queue

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from integrations.centra import sandbox as centra
    from sync.models import Integration

    integration = Integration.objects.select_related("shop").get(pk=args.integration)
    secret = integration.shop.secret("webhook_secret")
    path = reverse("centra_webhook", args=[integration.pk])
    plan = deliveries_plan(
        count=args.deliveries,
        order_numbers=[str(o["number"]) for o in centra.orders()],
        customer_ids=[str(c["id"]) for c in centra.customers()],
        seed=args.orders,
    )
    log = (run_dir / "webhooks.jsonl").open("a", buffering=1)
    lock = threading.Lock()
    sent: dict[int, tuple[bytes, str]] = {}
    work: queue.Queue = queue.Queue(maxsize=args.webhook_threads)

    def poster():
        client = Client(raise_request_exception=False)
        try:
            while (job := work.get()) is not None:
                index, item, body, header = job
                started = time.time()
                try:
                    status = client.post(
                        path,
                        data=body,
                        content_type="application/x-www-form-urlencoded",
                        HTTP_X_CENTRA_SIGNATURE=header,
                    ).status_code
                except Exception as exc:  # noqa: BLE001 - the test client raised anyway: count it as a 500
                    status, item = 500, {**item, "raised": f"{type(exc).__name__}: {exc}"[:200]}
                line = {"i": index, "kind": item["kind"], "variant": item.get("variant", ""), "status": status}
                with lock:
                    log.write(json.dumps({**line, "t0": started, "t1": time.time(), **_extra(item)}) + "\n")
        finally:
            connection.close()

    threads = [threading.Thread(target=poster, daemon=True) for _ in range(args.webhook_threads)]
    for thread in threads:
        thread.start()
    rng = random.Random(args.orders + 1)
    index = 0
    while index < len(plan) and not stopping(run_dir):
        for _ in range(rng.randint(1, 15)):  # a burst, then a pause
            if index >= len(plan):
                break
            item = plan[index]
            body, header = delivery_build(item, secret=secret, sent=sent)
            if item["kind"] == "valid":
                sent[index] = (body, header)
            work.put((index, item, body, header))
            index += 1
        time.sleep(2.0)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()


def _extra(item: dict) -> dict:
    return {"raised": item["raised"]} if "raised" in item else {}


ROLES = {"worker": role_worker, "operator": role_operator, "webhooks": role_webhooks}


# =========================================================================== the conductor (main process)
class Child:
    """One child process of this script, with its output in the run directory."""

    def __init__(self, args, run_dir: Path, role: str, name: str, extra: list[str] | None = None):
        self.role, self.name = role, name
        self.output = (run_dir / f"{name}.log").open("ab")
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--role",
            role,
            "--name",
            name,
            "--run-dir",
            str(run_dir),
            "--integration",
            str(args.integration),
            "--orders",
            str(args.orders),
            "--interval",
            str(args.interval),
            "--deliveries",
            str(args.deliveries),
            "--webhook-threads",
            str(args.webhook_threads),
            *(extra or []),
        ]
        self.process = subprocess.Popen(  # noqa: S603 (this script, our interpreter)
            command, cwd=ROOT, env={**os.environ}, stdout=self.output, stderr=subprocess.STDOUT
        )
        self.started = time.time()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


def worker_status(run_dir: Path, name: str) -> dict:
    try:
        return json.loads((run_dir / f"status-{name}.json").read_text())
    except (OSError, ValueError):
        return {}


def kill_check(args, run_dir: Path, child: Child, t_start: float) -> dict | None:
    """SIGKILL the orders worker in the middle of a record, once its run has done --kill-after records.

    In the middle: the worker's status file names the record it started and that
    record has no log in the run yet. Returns what the worker was doing, or None
    while the moment has not come.
    """
    from sync.models import RecordLog, SyncRun

    status = worker_status(run_dir, child.name)
    run = record = None
    if status.get("run") and status.get("pid") == child.pid:
        run = SyncRun.objects.filter(pk=status["run"], status="running").first()
        record = status.get("record")
        if run is not None and RecordLog.objects.filter(run=run, source_id=record).exists():
            return None  # between records: wait for the next one to start
    elif not status:  # no status hook (engine renamed): the running scheduled run is this worker's
        run = SyncRun.objects.filter(flow="orders", trigger="schedule", status="running").first()
    if run is None or run.done < args.kill_after:
        return None
    os.kill(child.pid, signal.SIGKILL)
    killed_at = time.time()
    child.process.wait()
    last_call = last_line(run_dir.glob(f"calls-{child.name}-{child.pid}.jsonl"))
    return {
        "worker": child.name,
        "pid": child.pid,
        "at_seconds": round(killed_at - t_start, 1),
        "killed_at": killed_at,
        "flow": run.flow,
        "run": run.pk,
        "run_trigger": run.trigger,
        "run_done_at_kill": run.done,
        "record_in_flight": record,
        "record_seconds_in_flight": round(killed_at - status["since"], 2) if record else None,
        "last_remote_call": (
            {
                "call": f"{last_call.get('sys')} {last_call.get('call')}",
                "status": last_call.get("st"),
                "seconds_before_kill": round(killed_at - last_call["t1"], 2),
            }
            if last_call
            else None
        ),
    }


def last_line(paths) -> dict | None:
    rows = jsonl(paths)
    return rows[-1] if rows else None


def takeover_check(kill: dict) -> None:
    """After the kill: when did another orders run start for real, and when was the dead run closed."""
    from sync.models import SyncRun

    since = datetime.fromtimestamp(kill["killed_at"], UTC)
    if "takeover_seconds" not in kill:
        nxt = (
            SyncRun.objects.filter(flow="orders", created_at__gt=since)
            .exclude(status="skipped")
            .order_by("created_at")
            .first()
        )
        if nxt is not None:
            kill["takeover_seconds"] = round(nxt.created_at.timestamp() - kill["killed_at"], 1)
            kill["takeover_run"] = {"id": nxt.pk, "trigger": nxt.trigger}
    if "dead_run_closed_seconds" not in kill:
        dead = SyncRun.objects.get(pk=kill["run"])
        if dead.status != "running":
            closed = dead.finished_at or dead.updated_at
            kill["dead_run_closed_seconds"] = round(closed.timestamp() - kill["killed_at"], 1)
            kill["dead_run_final"] = {"status": dead.status, "message": dead.message[:300]}


def drained(expected: dict) -> bool:
    """Every exportable order invoiced, released and recorded done; every shop customer recorded done."""
    from sync.models import ExternalRef, SyncRecord

    orders = expected["orders"]
    released = ExternalRef.objects.filter(kind="invoice", source_id__in=orders, data__released=True).values_list(
        "source_id", flat=True
    )
    if len(set(released)) < len(orders):
        return False
    for flow, ids in (("orders", orders), ("customers", expected["customers"])):
        done = SyncRecord.objects.filter(flow=flow, source_id__in=ids, status__in=DONE).count()
        if done < len(ids):
            return False
    return True


def expected_records(integration_id: int) -> dict:
    """Exportable order numbers, shop customer ids, and the e-mails the ERP should hold one customer for (the
    demo seeds an integration per pair: this is the Centra → Visma.net one the bench runs)."""
    from integrations.centra import sandbox as centra
    from integrations.centra.adapter import order_from_centra
    from sync.models import Integration

    integration = Integration.objects.get(pk=integration_id)
    allowed = set(integration.allowed_order_statuses)
    orders = [o for o in centra.orders() if o["status"] in allowed]
    customers = centra.customers()
    emails = {str(c.get("email") or "").strip().lower() for c in customers}
    for node in orders:
        order = order_from_centra(node)
        emails.add((order.customer_email or order.billing.email or "").strip().lower())
    return {
        "orders": sorted(str(o["number"]) for o in orders),
        "other_orders": sorted(str(o["number"]) for o in centra.orders() if o["status"] not in allowed),
        "customers": sorted(str(c["id"]) for c in customers),
        "emails": sorted(e for e in emails if e),
    }


def conduct(args, run_dir: Path, expected: dict) -> dict:
    """Start the workers, operator and flood; kill and replace the orders worker; stop at drain or time limit."""
    t_start = time.time()
    children = [Child(args, run_dir, "worker", f"{flow}-1", ["--flow", flow]) for flow in FLOWS]
    children += [Child(args, run_dir, "operator", "operator"), Child(args, run_dir, "webhooks", "webhooks")]
    state = {"kill": None, "drained_after_seconds": None, "load_average_start": load_average()}
    try:
        watch(args, run_dir, expected, children, state, t_start)
    finally:  # also on Ctrl-C: no worker is left running
        state["load_average_end"] = load_average()
        stop_children(run_dir, children)
    if state["kill"] is not None:
        takeover_check(state["kill"])
    return {
        **state,
        "t_start": t_start,
        "elapsed_seconds": round(time.time() - t_start, 1),
        "children": {c.name: {"pid": c.pid, "exit": c.process.returncode} for c in children},
    }


def watch(args, run_dir: Path, expected: dict, children: list[Child], state: dict, t_start: float) -> None:
    """Every half second: kill (once) and follow the takeover; every 3 s: drained yet?"""
    orders_worker, flood = children[0], children[3]
    deadline = t_start + args.drain_minutes * 60
    last_drain_check = last_print = 0.0
    while time.time() < deadline:
        time.sleep(0.5)
        if state["kill"] is None and args.kill_after > 0 and orders_worker.alive():
            kill = state["kill"] = kill_check(args, run_dir, orders_worker, t_start)
            if kill is not None:
                children.append(Child(args, run_dir, "worker", "orders-2", ["--flow", "orders"]))
                print(
                    f"[{kill['at_seconds']:>7.1f} s] SIGKILL {kill['worker']} in run {kill['run']} at record "
                    f"{kill['record_in_flight']} ({kill['run_done_at_kill']} done); orders-2 started",
                    flush=True,
                )
        if state["kill"] is not None:
            takeover_check(state["kill"])
        now = time.time()
        if now - last_drain_check >= 3:
            last_drain_check = now
            if not flood.alive() and drained(expected):
                state["drained_after_seconds"] = round(now - t_start, 1)
                return
        if now - last_print >= 30:
            last_print = now
            print(f"[{now - t_start:>7.1f} s] {progress(expected)}", flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def progress(expected: dict) -> str:
    from sync.models import SyncRecord, SyncRun

    parts = []
    for flow, ids in (("orders", expected["orders"]), ("customers", expected["customers"])):
        done = SyncRecord.objects.filter(flow=flow, source_id__in=ids, status__in=DONE).count()
        running = SyncRun.objects.filter(flow=flow, status="running").values_list("pk", "trigger", "done").first()
        parts.append(
            f"{flow} {done}/{len(ids)} done" + (f" (run {running[0]} {running[1]}, {running[2]} in)" if running else "")
        )
    return "; ".join(parts)


def stop_children(run_dir: Path, children: list[Child], grace: float = 120.0) -> None:
    (run_dir / "STOP").touch()
    deadline = time.time() + grace
    for child in children:
        while child.alive() and time.time() < deadline:
            time.sleep(0.5)
    for child in children:
        if child.alive():
            child.process.terminate()
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


# =========================================================================== measuring
def histogram(counts: list[int]) -> dict[str, int]:
    out = {"0": 0, "1": 0, "2+": 0}
    for count in counts:
        out["0" if count == 0 else "1" if count == 1 else "2+"] += 1
    return out


def jsonl(paths) -> list[dict]:
    rows = []
    for path in paths:
        for line in Path(path).read_text(errors="replace").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # the last line of a killed process
    return rows


def calls_in_pauses(calls: list[dict], retry_after: float) -> dict:
    """Requests sent to a system while one of its 429s asked for a pause (Retry-After from that answer)."""
    out = {}
    for system in sorted({c["sys"] for c in calls if c.get("sys")}):
        mine = sorted((c for c in calls if c.get("sys") == system), key=lambda c: c["t0"])
        pauses = sorted((c["t1"], c["t1"] + retry_after, c["pid"]) for c in mine if c.get("st") == 429)
        other = same = 0
        for call in mine:
            for start, end, pid in pauses:
                if start < call["t0"] < end:
                    if call["pid"] == pid:
                        same += 1
                    else:
                        other += 1
                    break
        out[system] = {"429s": len(pauses), "calls_in_pause_other_process": other, "calls_in_pause_same_process": same}
    return out


def measure(args, run_dir: Path, expected: dict, timeline: dict) -> dict:
    from django.db.models import Count

    from integrations.sandbox.models import SandboxFault
    from integrations.visma_net import sandbox as visma
    from sync.models import RecordLog, SyncRecord, SyncRun, WebhookEvent

    # invoices per order
    invoices = visma.invoices()
    per_ref = Counter(str(i.get("customerRefNumber") or "") for i in invoices)
    released = Counter(str(i.get("customerRefNumber") or "") for i in invoices if i.get("status") in ("Open", "Closed"))
    orders = expected["orders"]
    invoice_hist = histogram([per_ref[n] for n in orders])
    # customers per e-mail
    per_email = Counter(str((c.get("mainContact") or {}).get("email") or "").strip().lower() for c in visma.customers())
    customer_hist = histogram([per_email[e] for e in expected["emails"]])
    # records not ok
    not_ok: dict[str, dict[str, int]] = {}
    for flow, ids in (("orders", orders), ("customers", expected["customers"])):
        states = dict(SyncRecord.objects.filter(flow=flow, source_id__in=ids).values_list("source_id", "status"))
        counts = Counter(states.get(i, "never attempted") for i in ids)
        not_ok[flow] = {status: n for status, n in sorted(counts.items()) if status not in DONE}
    # runs, failures
    runs = Counter(
        f"{r['flow']} {r['trigger']} {r['status']}" for r in SyncRun.objects.values("flow", "trigger", "status")
    )
    failed_runs = Counter(m[:160] for m in SyncRun.objects.filter(status="failed").values_list("message", flat=True))
    record_errors = Counter(e[:140] for e in RecordLog.objects.filter(status="failed").values_list("error", flat=True))
    # webhooks
    deliveries = jsonl([run_dir / "webhooks.jsonl"]) if (run_dir / "webhooks.jsonl").exists() else []
    by_status = Counter(str(d["status"]) for d in deliveries)
    by_kind = defaultdict(Counter)
    for d in deliveries:
        by_kind[d["variant"] or d["kind"]][str(d["status"])] += 1
    stored = dict(WebhookEvent.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    webhook_runs = Counter(
        f"{r['flow']} {r['status']}" for r in SyncRun.objects.filter(trigger="webhook").values("flow", "status")
    )
    # 429s and pauses
    calls = jsonl(sorted(run_dir.glob("calls-*.jsonl")))
    call_counts = Counter(f"{c['sys']} {c['st'] if c.get('st') is not None else 'no answer'}" for c in calls)
    fired = [
        {
            "system": f.system,
            "kind": f.kind,
            "status": f.status_code if f.kind == "server_error" else None,
            "endpoint": f.endpoint,
            "fired": f.fired,
        }
        for f in SandboxFault.objects.order_by("id")
    ]
    kill = timeline.get("kill")
    if kill:
        kill = {**kill, **in_flight_fate(kill, per_ref)}
        kill.pop("killed_at", None)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "machine": machine(),
        "orders": args.orders,
        "setup": {
            "orders_in_shop": len(orders) + len(expected["other_orders"]),
            "exportable_orders": len(orders),
            "shop_customers": len(expected["customers"]),
            "emails_expected": len(expected["emails"]),
            "fault_rate": args.fault_rate,
            "retry_after_seconds": args.retry_after,
            "paces": args.paces,
            "rate_scale": args.rate_scale,
            "interval_seconds": args.interval,
            "kill_after_records": args.kill_after,
            "deliveries_planned": args.deliveries,
            "drain_limit_minutes": args.drain_minutes,
            "q_timeout": os.environ.get("Q_TIMEOUT", "1800 (default)"),
            "seed_seconds": args.seed_seconds,
        },
        "load_average": {"start": timeline["load_average_start"], "end": timeline["load_average_end"]},
        "drained_after_seconds": timeline["drained_after_seconds"],
        "elapsed_seconds": timeline["elapsed_seconds"],
        "invoices_per_order": invoice_hist,
        "orders_with_unreleased_invoice": sum(1 for n in orders if per_ref[n] and not released[n]),
        "invoices_for_orders_not_exportable": sum(per_ref[n] for n in expected["other_orders"]),
        "invoices_total": len(invoices),
        "orders_with_2plus_invoices_examples": [n for n in orders if per_ref[n] > 1][:10],
        "customers_per_email": customer_hist,
        "erp_customers_total": sum(per_email.values()),
        "emails_with_2plus_customers_examples": [e for e in expected["emails"] if per_email[e] > 1][:10],
        "records_not_ok": not_ok,
        "runs": dict(sorted(runs.items())),
        "failed_run_messages": dict(failed_runs.most_common(6)),
        "failed_record_errors": dict(record_errors.most_common(8)),
        "webhooks": {
            "sent": len(deliveries),
            "by_status": dict(sorted(by_status.items())),
            "5xx": sum(n for s, n in by_status.items() if s.startswith("5")),
            "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
            "stored_events": stored,
            "runs_triggered": dict(sorted(webhook_runs.items())),
        },
        "remote_calls": dict(sorted(call_counts.items())),
        "429s_received": sum(1 for c in calls if c.get("st") == 429),
        "pauses": calls_in_pauses(calls, float(args.retry_after)),
        "faults_fired": fired,
        "kill": kill,
        "children": timeline["children"],
    }


def in_flight_fate(kill: dict, per_ref: Counter) -> dict:
    """What became of the record the killed worker was processing."""
    from sync.models import RecordLog, SyncRecord

    record = kill.get("record_in_flight")
    if not record:
        return {}
    since = datetime.fromtimestamp(kill["killed_at"], UTC)
    logs = RecordLog.objects.filter(flow=kill["flow"], source_id=record).order_by("created_at")
    first_after = logs.filter(created_at__gt=since).first()
    state = SyncRecord.objects.filter(flow=kill["flow"], source_id=record).first()
    return {
        "record_logged_by_killed_run": logs.filter(run_id=kill["run"]).exists(),
        "record_first_log_after_kill": (
            {
                "seconds_after_kill": round(first_after.created_at.timestamp() - kill["killed_at"], 1),
                "status": first_after.status,
                "error": first_after.error[:200],
            }
            if first_after
            else None
        ),
        "record_final_status": state.status if state else "never recorded",
        "record_invoices": per_ref[record],
    }


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {pg}"


def invariants(result: dict) -> list[str]:
    """What must hold; each failure is a sentence for the report."""
    failures = []
    inv = result["invoices_per_order"]
    if inv["0"] or inv["2+"]:
        failures.append(f"invoices per order: {inv['0']} orders with none, {inv['2+']} with two or more")
    if result["invoices_for_orders_not_exportable"]:
        failures.append(f"{result['invoices_for_orders_not_exportable']} invoices for orders that are not exportable")
    cust = result["customers_per_email"]
    if cust["0"] or cust["2+"]:
        failures.append(f"customers per e-mail: {cust['0']} e-mails with none, {cust['2+']} with two or more")
    for flow, counts in result["records_not_ok"].items():
        if counts:
            failures.append(f"{flow} records not ok: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    if result["webhooks"]["5xx"]:
        failures.append(f"{result['webhooks']['5xx']} webhook deliveries answered 5xx")
    if result["drained_after_seconds"] is None:
        failures.append(f"not drained within {result['setup']['drain_limit_minutes']} minutes")
    return failures


# =========================================================================== report
def markdown(runs: list[dict]) -> str:
    lines = [
        "# Chaos benchmark (orders + customers flows, faults, a killed worker, a webhook flood)",
        "",
        "Produced by `bench/chaos.py` (method in its docstring); raw numbers in `chaos.json`. PostgreSQL, "
        "config.settings.test (sandboxes in-process, shared through the database), one process per flow "
        "running it as the schedule would, an operator resyncing dead letters, a webhook flood, and the "
        "orders worker killed with SIGKILL mid-run and replaced. Invariants: every exportable order has "
        "exactly one invoice, every e-mail exactly one ERP customer, no record left not ok, no webhook "
        "answered 5xx, drained within the limit.",
        "",
    ]
    for run in runs:
        lines += section(run)
    return "\n".join(lines) + "\n"


def section(r: dict) -> list[str]:
    s, wh, kill = r["setup"], r["webhooks"], r.get("kill") or {}
    verdict = "all invariants hold" if not r["failures"] else "FAILS: " + "; ".join(r["failures"])
    drain = (
        f"{r['drained_after_seconds']:.0f} s"
        if r["drained_after_seconds"] is not None
        else f"not drained (stopped after {r['elapsed_seconds']:.0f} s)"
    )
    faults = Counter()
    for f in r["faults_fired"]:
        faults[f"{f['system']} {f['kind']}{' ' + str(f['status']) if f['status'] else ''}"] += f["fired"]
    lines = [
        f"## {r['label']}",
        "",
        f"Run {r['when']} on {r['machine']} (load average {r['load_average']['start'][0]} at the start, "
        f"{r['load_average']['end'][0]} at the end: other work on the machine slows every figure). N = {r['orders']:,} orders ({s['exportable_orders']:,} exportable, "
        f"{s['shop_customers']:,} shop customers, {s['emails_expected']:,} e-mails). Faults {s['fault_rate']:.0%} "
        f"of every request (5xx 503/500, 429 with Retry-After {s['retry_after_seconds']} s, timeout, a quarter "
        f"each) plus timeout-after-write on {s['fault_rate']:.0%} of invoice and customer creates. Paces: "
        + ", ".join(f"{k} {v}" for k, v in s["paces"].items())
        + f" (rate scale {s['rate_scale']}); schedule every {s['interval_seconds']} s; Q_TIMEOUT {s['q_timeout']}.",
        "",
        f"**Verdict: {verdict}.**",
        "",
        "| figure | value |",
        "|---|---|",
        f"| time to drain | {drain} |",
        f"| invoices per exportable order (0 / 1 / 2+) | {r['invoices_per_order']['0']} / "
        f"{r['invoices_per_order']['1']} / {r['invoices_per_order']['2+']} |",
        f"| orders whose invoice is not released | {r['orders_with_unreleased_invoice']} |",
        f"| invoices for orders not exportable | {r['invoices_for_orders_not_exportable']} |",
        f"| ERP customers per e-mail (0 / 1 / 2+) | {r['customers_per_email']['0']} / "
        f"{r['customers_per_email']['1']} / {r['customers_per_email']['2+']} |",
        "| records not ok | "
        + (
            "; ".join(
                f"{flow}: " + ", ".join(f"{n} {st}" for st, n in c.items())
                for flow, c in r["records_not_ok"].items()
                if c
            )
            or "none"
        )
        + " |",
        f"| webhook deliveries (by answer) | {wh['sent']} sent: "
        + ", ".join(f"{n} × {st}" for st, n in wh["by_status"].items())
        + f"; **5xx: {wh['5xx']}** |",
        "| webhook events stored | " + ", ".join(f"{n} {st}" for st, n in sorted(wh["stored_events"].items())) + " |",
        "| webhook-triggered runs | "
        + (", ".join(f"{n} {k}" for k, n in wh["runs_triggered"].items()) or "none")
        + " |",
        f"| 429s received | {r['429s_received']} |",
        "| calls sent during another worker's Retry-After pause | "
        + ", ".join(f"{k}: {v['calls_in_pause_other_process']}" for k, v in r["pauses"].items())
        + " |",
        "| faults injected | " + ", ".join(f"{k}: {n}" for k, n in sorted(faults.items())) + " |",
    ]
    if kill:
        lines += kill_rows(kill, elapsed=r["elapsed_seconds"])
    lines += [
        "",
        "Webhook answers by kind of delivery: "
        + "; ".join(
            f"{k}: " + ", ".join(f"{n} × {st}" for st, n in sorted(v.items())) for k, v in wh["by_kind"].items()
        )
        + ".",
        "",
        "Runs (flow trigger status: count): " + ", ".join(f"{k}: {n}" for k, n in r["runs"].items()) + ".",
        "",
    ]
    if r["failed_run_messages"]:
        lines += ["Failed runs, most common messages:", ""]
        lines += [f"- {n} × {m}" for m, n in r["failed_run_messages"].items()] + [""]
    if r["failed_record_errors"]:
        lines += ["Failed record attempts, most common errors:", ""]
        lines += [f"- {n} × {m}" for m, n in r["failed_record_errors"].items()] + [""]
    lines += [f"- {note}" for note in r.get("notes", [])]
    return lines + ([""] if r.get("notes") else [])


def kill_rows(kill: dict, *, elapsed: float) -> list[str]:
    """Table rows about the killed worker: what it was doing, how long the flow was blocked, the record's fate."""
    took = (
        f"{kill['takeover_seconds']:.0f} s (run {kill['takeover_run']['id']}, {kill['takeover_run']['trigger']})"
        if "takeover_seconds" in kill
        else f"never within the run (blocked ≥ {elapsed - kill['at_seconds']:.0f} s)"
    )
    closed = (
        f"{kill['dead_run_closed_seconds']:.0f} s ({kill['dead_run_final']['status']})"
        if "dead_run_closed_seconds" in kill
        else "never (still running at the end)"
    )
    call = kill.get("last_remote_call")
    doing = (
        f"record {kill['record_in_flight']} ({kill['record_seconds_in_flight']} s into it"
        if kill.get("record_in_flight")
        else "an unknown record (no status hook"
    )
    doing += (
        f"; last remote call {call['call']} → {call['status'] or 'no answer (timeout)'}, {call['seconds_before_kill']} s before)"
        if call
        else ")"
    )
    fate = kill.get("record_first_log_after_kill")
    if not kill.get("record_in_flight"):
        after = "unknown"
    elif kill.get("record_logged_by_killed_run"):
        after = "it had finished just before the kill (logged by the killed run)"
    elif fate:
        after = f"first log {fate['seconds_after_kill']:.0f} s after the kill ({fate['status']}"
        after += f": {fate['error'][:90]})" if fate["status"] == "failed" else ")"
    else:
        after = "no log after the kill"
    if kill.get("record_in_flight"):
        after += f"; final state {kill.get('record_final_status')}, {kill.get('record_invoices')} invoice(s)"
    return [
        f"| worker killed | {kill['worker']} at {kill['at_seconds']:.0f} s, in {kill['flow']} run {kill['run']} "
        f"({kill['run_trigger']}) after {kill['run_done_at_kill']} records, while processing {doing} |",
        f"| flow blocked after the kill until the next run took over | {took} |",
        f"| killed run closed after | {closed} |",
        f"| record in flight afterwards | {after} |",
    ]


def results_write(result: dict) -> None:
    """Replace this label's section in chaos.json / chaos.md, keep the others."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "chaos.json"
    runs = json.loads(path.read_text())["runs"] if path.exists() else []
    runs = [r for r in runs if r["label"] != result["label"]] + [result]
    path.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    (RESULTS / "chaos.md").write_text(markdown(runs))


def default_label() -> str:
    def git(*command):
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: S603,S607

    return f"{git('rev-parse', '--abbrev-ref', 'HEAD') or 'unknown'} at {git('rev-parse', '--short', 'HEAD') or '?'}"


# =========================================================================== main
def parser_build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="orders in the Centra sandbox (default 1000)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CHAOS_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database the bench drops and recreates (its name must contain 'bench')",
    )
    parser.add_argument("--fault-rate", type=float, default=0.10, help="share of requests that fault (default 0.10)")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After of injected 429s, seconds")
    parser.add_argument("--drain-minutes", type=float, default=20, help="give up draining after this long")
    parser.add_argument(
        "--kill-after",
        type=int,
        default=None,
        help="SIGKILL the orders worker after this many records of its run (default N/10, at least 5; 0: no kill)",
    )
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between a worker's scheduled runs")
    parser.add_argument("--deliveries", type=int, default=None, help="webhook deliveries (default max(200, N/2))")
    parser.add_argument("--webhook-threads", type=int, default=4)
    parser.add_argument("--rate-scale", type=float, default=1.0, help="multiply the connections' rate limits")
    parser.add_argument("--label", default=None, help="section heading in the results (default: branch at commit)")
    parser.add_argument("--note", action="append", default=[], help="a note for this section of the results")
    # child processes
    parser.add_argument("--role", choices=sorted(ROLES), help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--flow", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--integration", type=int, help=argparse.SUPPRESS)
    return parser


def main() -> int:
    args = parser_build().parse_args()
    if args.role:
        ROLES[args.role](args)
        return 0
    args.kill_after = max(5, args.orders // 10) if args.kill_after is None else args.kill_after
    args.deliveries = max(200, args.orders // 2) if args.deliveries is None else args.deliveries
    args.label = args.label or default_label()
    try:
        database_prepare(args.database_url)
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 2
    django_setup(args.database_url)
    run_dir = ROOT / "var" / f"bench-chaos-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    run_dir.mkdir(parents=True)
    print(f"Seeding {args.orders} orders into {urlsplit(args.database_url).path.lstrip('/')} …", flush=True)
    setup = seed(args)
    args.integration, args.paces, args.seed_seconds = setup["integration_id"], setup["paces"], setup["seed_seconds"]
    expected = expected_records(args.integration)
    print(
        f"{len(expected['orders'])} exportable orders, {len(expected['customers'])} shop customers; "
        f"children log to {run_dir}",
        flush=True,
    )
    timeline = conduct(args, run_dir, expected)
    result = measure(args, run_dir, expected, timeline)
    result["notes"] = args.note
    result["failures"] = invariants(result)
    result["run_dir"] = str(run_dir.relative_to(ROOT))
    results_write(result)
    print("\n".join(section(result)))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
