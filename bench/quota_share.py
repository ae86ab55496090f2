"""Quota share: how much of each remote's enforced quota Koppla uses when the quota is the limit.

Run by hand from the repository root (about 40 s to a minute per system, plus setup):

    .venv/bin/python bench/quota_share.py                          # every system, 2 workers, results saved
    .venv/bin/python bench/quota_share.py fortnox centra --seconds 60
    .venv/bin/python bench/quota_share.py eaccounting --scale 1   # eAccounting's real 600 / 60 s (minutes)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koppla_bench bench/quota_share.py --no-save  # limiter on PostgreSQL

Or from Python: `quota_share("visma_net", workers=2, seconds=40)` returns the figures as a dict.

Setup per system: a throwaway database (SQLite file unless DATABASE_URL names PostgreSQL), the demo sandboxes
seeded, the system's demo connection (its budget as the registry or the demo gives it: Visma.net 100/10 s,
the demo sandbox's quota), the sandbox served over HTTP by a separate process (threaded WSGI server) with the
system's quota switched on (SANDBOX_RATE_LIMITS) and every arrival written to a log, and `workers` worker
processes, each with the system's own API client on that connection: every request passes the database rate
limiter (integrations/ratelimit.py) and the connection's pause that the workers share, on the real clock. Each
worker runs one thread per lane: one lane for a quota per connection, one per endpoint for eAccounting (its
quota counts per endpoint), so each endpoint is asked by every worker at once.

The quotas enforced (the sandboxes' sliding windows; a refused call does not count):
- Fortnox 25 requests / 5 s per tenant (api-notes § A2), 429 without Retry-After;
- Visma.net 100 / 10 s per tenant (config/settings/demo.py), 429 with Retry-After and X-RateLimit-*;
- Centra 20 requests / 10 s per token (api-notes § 3, REQUEST_COUNT TEN_SECONDS), 429 with Retry-After;
- eAccounting 600 / 60 s per company and endpoint (api-notes § B), 429 code 4010 with Retry-After. Scaled
  down by `scale` (default 6: 100 / 10 s, the same 10 calls a second) so a measurement spans several windows;
  the connection's budget is scaled by the same factor.

Figures, from the sandbox's log (per lane where the quota is per endpoint, the worst lane reported on top):
- share: accepted calls per window after the first window, as % of the quota (goal ≥ 95 %), i.e. the rate
  between the first and the last accepted arrival after the first window, times the window;
- 429s in the first window and after it (goal: 0 after);
- window_min / window_max: accepted calls in every window [t, t + period) that starts at an accepted arrival
  after the first window and ends before the last arrival;
- what the workers saw: requests answered, 429s retried, errors, mean latency (the limiter's wait included).
Results go to bench/results/quota_share.json and .md (unless --no-save).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Quota:
    """A sandbox's enforced quota and the reads the workers send against it."""

    count: int
    period: int
    per: str
    lanes: tuple[tuple[tuple[str, str, str], ...], ...]  # per lane: (method, path, JSON body or "")
    scale: int = 1  # count and period divided by it for a short measurement
    seconds: int = 40
    threads: int = 1  # threads per lane in each worker: enough to ask for every slot while others are in flight


CENTRA_PING = json.dumps({"query": "query Ping { stores { id name } }", "operationName": "Ping"})
QUOTAS: dict[str, Quota] = {
    "fortnox": Quota(
        25,
        5,
        "tenant",
        ((("GET", "/3/companyinformation", ""), ("GET", "/3/articles/1001-BLK-M", ""), ("GET", "/3/customers/1", "")),),
        seconds=30,
    ),
    "visma_net": Quota(
        100,
        10,
        "tenant",
        ((("GET", "/v1/customer/customerClass", ""), ("GET", "/v1/branch", ""), ("GET", "/v1/vatCategory", "")),),
    ),
    "centra": Quota(20, 10, "token", ((("POST", "", CENTRA_PING),),), seconds=60),
    "eaccounting": Quota(
        600,
        60,
        "company and endpoint",
        ((("GET", "/orders?$page=1&$pagesize=5", ""),), (("GET", "/customers?$page=1&$pagesize=5", ""),)),
        scale=6,
        threads=2,
    ),
}

# The sandbox in its own process: the system's quota switched on, every quota decision written to a log.
SERVER = """
import sys, threading, time
sys.path.insert(0, {root!r})
import django
django.setup()
from django.conf import settings
settings.SANDBOX_RATE_LIMITS = {{{system!r}: ({count}, {period})}}
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from django.core.wsgi import get_wsgi_application
from integrations.{system} import sandbox

log = open({log!r}, "a", buffering=1)
lock = threading.Lock()

def write(at, accepted, lane):
    with lock:
        log.write(f"{{at:.6f}} {{int(accepted)}} {{lane}}\\n")

def recorded(name, accepted_of, lane_of):
    take = getattr(sandbox, name)
    def wrapper(*args):
        at = time.time()
        answer = take(*args)
        write(at, accepted_of(answer), lane_of(args))
        return answer
    setattr(sandbox, name, wrapper)

if {system!r} == "fortnox":
    recorded("_rate_take", bool, lambda args: "-")
elif {system!r} == "visma_net":
    recorded("rate_limit_check", lambda wait: wait is None, lambda args: "-")
elif {system!r} == "centra":
    recorded("rate_limit_take", lambda wait: wait is None, lambda args: "-")
else:
    recorded("_quota_take", lambda wait: wait is None, lambda args: args[0].split("|")[-1].replace(" ", "_"))

class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

make_server("127.0.0.1", {port}, get_wsgi_application(), server_class=Server, handler_class=Quiet).serve_forever()
"""


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scaled(windows: tuple[tuple[int, int], ...], scale: int) -> str:
    """A connection budget divided by `scale` in count and period, as a rate-limit text: 600/60 ÷ 6 → "100/10s"."""
    return ", ".join(f"{max(1, round(count / scale))}/{max(1, round(period / scale))}s" for count, period in windows)


# --------------------------------------------------------------------------- setup (in this process)
def connection_prepare(system: str, *, site_url: str, scale: int) -> tuple[int, str]:
    """Seed the demo sandboxes and the system's demo connection; returns (its id, its budget as text)."""
    from integrations.models import Connection
    from sync.demo import (
        demo_connections_ensure,
        demo_erp_connect,
        demo_fortnox_connection_ensure,
        demo_sandboxes_seed,
    )
    from sync.demo_eaccounting import demo_eaccounting_connection_ensure

    demo_sandboxes_seed(orders=20)
    if system == "fortnox":
        connection = demo_fortnox_connection_ensure(site_url=site_url)
    elif system == "eaccounting":
        connection = demo_eaccounting_connection_ensure(site_url=site_url)
    else:
        shop, erp = demo_connections_ensure(site_url=site_url)
        if system == "visma_net":
            demo_erp_connect(erp=erp)
        connection = erp if system == "visma_net" else shop
    if scale != 1:
        Connection.objects.filter(pk=connection.pk).update(rate_limit=scaled(connection.rate_limits, scale))
    connection.refresh_from_db()
    return connection.pk, ", ".join(f"{count}/{period}s" for count, period in connection.rate_limits)


def sandbox_server(system: str, quota: tuple[int, int], database_url: str, log_path: Path, port: int):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    script = SERVER.format(root=str(ROOT), system=system, count=quota[0], period=quota[1], log=str(log_path), port=port)
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)  # noqa: S603 (our own script)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"The {system} sandbox server did not start.")


def warm_up(url: str) -> None:
    """One request without a token (401, before the quota is counted): the server loads its views first."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=30)  # noqa: S310 (our own localhost URL)
    except urllib.error.HTTPError:
        pass


# --------------------------------------------------------------------------- a worker process
def worker(args) -> None:
    """Send the lanes' reads through the shared limiter from `start_at` for `seconds`; print what it saw."""
    import threading

    django_setup(args.database_url)
    from django.db import connection as db_connection

    from integrations import http
    from integrations.clients import client_for
    from integrations.models import Connection
    from integrations.remote_errors import RemoteError

    retried, errors, latencies, lock = [], [], [], threading.Lock()
    emit = http._emit

    def counting(exchange: dict) -> None:  # every exchange the HTTP layer reports, 429s included
        if exchange.get("status") == 429:
            with lock:
                retried.append(time.time())
        emit(exchange)

    http._emit = counting
    lanes = QUOTAS[args.system].lanes
    stop = args.start_at + args.seconds

    def lane(reads) -> None:
        try:
            client = client_for(Connection.objects.get(pk=args.connection))
            index = args.index
            time.sleep(max(0.0, args.start_at - time.time()))
            while time.time() < stop:
                method, path, body = reads[index % len(reads)]
                index += 1
                sent = time.perf_counter()
                try:
                    client.http.request(
                        method, path or client.http.base_url, json_body=json.loads(body) if body else None,
                        retry_unsafe=True,
                    )  # fmt: skip
                except RemoteError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                with lock:
                    latencies.append(time.perf_counter() - sent)
        finally:
            db_connection.close()

    threads = [
        threading.Thread(target=lane, args=(reads,)) for reads in lanes for _ in range(QUOTAS[args.system].threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "retried_429": len(retried),
                "errors": len(errors),
                "first_errors": errors[:3],
                "latency_mean_ms": round(1000 * sum(latencies) / max(1, len(latencies)), 1),
                "latency_max_ms": round(1000 * max(latencies, default=0), 1),
            }
        )
    )


# --------------------------------------------------------------------------- figures
def lane_figures(arrivals: list[tuple[float, bool]], *, count: int, period: float, first: float) -> dict:
    """One quota's figures from the sandbox's (arrival, accepted) log; `first` is the first arrival of all."""
    arrivals = sorted(arrivals)
    accepted = [at for at, ok in arrivals if ok]
    refused = [at for at, ok in arrivals if not ok]
    steady = [at for at in accepted if at >= first + period]
    rate = (len(steady) - 1) / (steady[-1] - steady[0]) * period if len(steady) > 1 else 0.0
    windows = []
    for index, start in enumerate(steady):
        if start + period > steady[-1]:
            break
        windows.append(sum(1 for at in steady[index : index + 2 * count + 2] if at < start + period))
    return {
        "requests_at_sandbox": len(arrivals),
        "accepted": len(accepted),
        "refused_429_first_window": sum(1 for at in refused if at < first + period),
        "refused_429_after_first_window": sum(1 for at in refused if at >= first + period),
        "accepted_per_window": round(rate, 2),
        "share_percent": round(100 * rate / count, 1),
        "window_min": min(windows, default=0),
        "window_max": max(windows, default=0),
    }


def quota_share(
    system: str, *, workers: int = 2, seconds: int | None = None, scale: int | None = None, database_url: str = ""
) -> dict:
    """Measure `system` (fortnox, visma_net, centra, eaccounting) against its sandbox's quota with `workers`
    processes for `seconds` (default per system, several windows); returns the figures (module docstring).

    `scale` divides the quota and the connection's budget (count and period) for a shorter window (default per
    system: 6 for eAccounting, else 1). `database_url`: the limiter's database (a temporary SQLite file when
    empty; a PostgreSQL database is flushed and migrated). Raises RuntimeError when a worker or the server fails."""
    spec = QUOTAS[system]
    scale = scale or spec.scale
    seconds = seconds or spec.seconds
    count, period = spec.count // scale, spec.period // scale
    tmp = Path(tempfile.mkdtemp(prefix="koppla-quota-"))
    database_url = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    log_path = tmp / "arrivals.log"
    django_setup(database_url)
    from django.core.management import call_command

    if database_url.startswith("postgres"):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    port = free_port()
    connection_id, budget = connection_prepare(system, site_url=f"http://127.0.0.1:{port}", scale=scale)
    from integrations.models import Connection

    base_url = Connection.objects.get(pk=connection_id).base_url
    server = sandbox_server(system, (count, period), database_url, log_path, port)
    try:
        warm_up(base_url + QUOTAS[system].lanes[0][0][1].split("?")[0] if system != "centra" else base_url)
        start_at = time.time() + 3  # every worker set up before the first request
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        command = [sys.executable, __file__, "--worker", "--database-url", database_url, "--system", system]
        processes = [
            subprocess.Popen(  # noqa: S603 (this script, our own interpreter)
                [
                    *command,
                    "--connection",
                    str(connection_id),
                    "--index",
                    str(index),
                    "--start-at",
                    str(start_at),
                    "--seconds",
                    str(seconds),
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for index in range(workers)
        ]
        seen = []
        for process in processes:
            out, _ = process.communicate()
            if process.returncode:
                raise RuntimeError(f"A worker failed (exit {process.returncode}); see the output above.")
            seen.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait(timeout=30)

    by_lane: dict[str, list[tuple[float, bool]]] = {}
    for line in log_path.read_text().splitlines():
        at, ok, lane = line.split()
        by_lane.setdefault(lane, []).append((float(at), ok == "1"))
    first = min(at for arrivals in by_lane.values() for at, _ in arrivals)
    lanes = {
        lane: lane_figures(arrivals, count=count, period=period, first=first) for lane, arrivals in by_lane.items()
    }
    worst = min(
        lanes.values(), key=lambda figures: (figures["share_percent"], -figures["refused_429_after_first_window"])
    )
    result = {
        "system": system,
        "quota": f"{spec.count}/{spec.period}s per {spec.per}"
        + (f", measured scaled to {count}/{period}s" if scale != 1 else ""),
        "koppla_budget": budget,
        "workers": workers,
        "seconds": seconds,
        "threads_per_lane": spec.threads,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        **worst,
        "refused_429_after_first_window": sum(f["refused_429_after_first_window"] for f in lanes.values()),
        "refused_429_first_window": sum(f["refused_429_first_window"] for f in lanes.values()),
        "lanes": lanes if len(lanes) > 1 else {},
        "worker_requests": sum(w["requests"] for w in seen),
        "retried_429_seen_by_workers": sum(w["retried_429"] for w in seen),
        "worker_errors": sum(w["errors"] for w in seen),
        "first_worker_errors": [e for w in seen for e in w["first_errors"]][:3],
        "latency_mean_ms": round(
            sum(w["latency_mean_ms"] * w["requests"] for w in seen) / max(1, sum(w["requests"] for w in seen)), 1
        ),
        "latency_max_ms": max(w["latency_max_ms"] for w in seen),
    }
    result["goal_met"] = result["share_percent"] >= 95 and result["refused_429_after_first_window"] == 0
    return result


# --------------------------------------------------------------------------- report
def table(results: list[dict]) -> list[str]:
    lines = [
        "| system | quota (sandbox) | Koppla budget | workers × threads per lane | s | share | 429 first window "
        "| 429 after | window min / max | latency mean ms | goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['system']} | {r['quota']} | {r['koppla_budget']} | {r['workers']} × {r.get('threads_per_lane', 1)} | "
            f"{r['seconds']} | {r['share_percent']} % | "
            f"{r['refused_429_first_window']} | {r['refused_429_after_first_window']} | {r['window_min']} / "
            f"{r['window_max']} | {r['latency_mean_ms']} | {'met' if r['goal_met'] else 'missed'} |"
        )
    return lines


def markdown(results: list[dict], meta: dict, before: dict | None = None) -> str:
    lines = [
        "# Quota share (bench/quota_share.py)",
        "",
        f"{meta['workers']} worker processes sharing the database rate limiter ({meta['database']}), "
        f"{meta['machine']}, Python {meta['python']}, {meta['when']}. Goal: share ≥ 95 %, 0 × 429 after the "
        "first window. Share: accepted calls per window after the first, as % of the quota; window min / max: "
        "accepted calls in any window of the quota's length after the first.",
        "",
        *table(results),
    ]
    full = RESULTS / "quota_share_eaccounting_600_per_minute.json"
    if full.exists():  # `quota_share.py eaccounting --scale 1 --seconds 150 --no-save`, kept by hand
        r = json.loads(full.read_text())
        lines += [
            "",
            f"eAccounting at its real window, 600 / 60 s per endpoint ({r['seconds']} s, {r['workers']} workers × "
            f"{r['threads_per_lane']} threads per lane, {r['when']}): share {r['share_percent']} %, 429s "
            f"{r['refused_429_first_window']} in the first window and {r['refused_429_after_first_window']} after, "
            f"window min / max {r['window_min']} / {r['window_max']} (quota_share_eaccounting_600_per_minute.json).",
        ]
    if before:
        lines += [
            "",
            f"Before ({before.get('label', 'the previous limiter')}):",
            "",
            *table(before["results"]),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("systems", nargs="*", default=list(QUOTAS), help="fortnox visma_net centra eaccounting")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=0, help="per system (default: its own, several windows)")
    parser.add_argument(
        "--scale", type=int, default=0, help="divide the quota's count and period (default: per system)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave the results files alone")
    parser.add_argument("--before", default="", help="a previous run's JSON, shown beside this one (as 'before')")
    parser.add_argument("--before-label", default="", help="what the previous run measured, e.g. a commit")
    parser.add_argument("--report", action="store_true", help="measure nothing: write the report of the saved results")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    parser.add_argument("--connection", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    database_url = (
        os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else ""
    )
    results = []
    for system in [] if args.report else args.systems:
        results.append(
            json.loads(
                subprocess.run(  # noqa: S603 (this script): one fresh Django per system
                    [
                        sys.executable,
                        "-c",
                        ONE,
                        system,
                        str(args.workers),
                        str(args.seconds),
                        str(args.scale),
                        database_url,
                    ],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )  # fmt: skip
        )
        print(json.dumps(results[-1], indent=2), flush=True)
    meta = {
        "workers": args.workers,
        "database": "PostgreSQL" if database_url else "SQLite, WAL, IMMEDIATE",
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    before = json.loads(Path(args.before).read_text()) if args.before else None
    if before and args.before_label:
        before["label"] = args.before_label
    if not args.no_save and (RESULTS / "quota_share.json").exists():  # keep the systems not measured this time
        kept = json.loads((RESULTS / "quota_share.json").read_text())
        measured = {r["system"] for r in results}
        results = [r for r in kept.get("results", []) if r["system"] not in measured] + results
        results.sort(key=lambda r: list(QUOTAS).index(r["system"]))
        before = before or kept.get("before")
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        saved = {**meta, "results": results, **({"before": before} if before else {})}
        (RESULTS / "quota_share.json").write_text(json.dumps(saved, indent=2) + "\n")
        (RESULTS / "quota_share.md").write_text(markdown(results, meta, before))
    print(markdown(results, meta, before))


# One system per interpreter: Django is set up once per process, on that system's own database.
ONE = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from quota_share import quota_share
system, workers, seconds, scale, database_url = sys.argv[1:6]
print(json.dumps(quota_share(system, workers=int(workers), seconds=int(seconds) or None, scale=int(scale) or None,
                             database_url=database_url)))
"""

if __name__ == "__main__":
    main()
