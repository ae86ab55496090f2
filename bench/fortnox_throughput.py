"""Fortnox throughput: how close Koppla's shared rate limiter runs to Fortnox's 25 requests per 5 s.

Run by hand from the repository root (about a minute for 300 requests):

    .venv/bin/python bench/fortnox_throughput.py                      # 300 requests, 2 worker processes
    .venv/bin/python bench/fortnox_throughput.py --requests 600 --workers 3
    .venv/bin/python bench/fortnox_throughput.py --rate-limit 24/5s --no-save   # one below the quota (plus the guard)

Setup: a throwaway SQLite database (config.settings.test, a temporary file), the Fortnox sandbox
served over HTTP by a separate process on that file (threaded WSGI server) with its real limit of
25 requests per 5 s sliding window per tenant (429 without Retry-After beyond it), and N worker
processes, each with its own FortnoxClient on the one demo connection: every request passes the
database rate limiter (integrations/ratelimit.py) that the workers share, on the real clock. The
workers cycle through reads (company information, an article, a customer).

Measured at the sandbox, which records when each request arrived and whether it was refused:
- sustained rate: accepted requests per 5 s after the first window, as % of 25 (the goal: ≥ 90 %),
  with the fewest and most accepted requests in any 5 s window that starts after the first window;
- 429s after the first window (the goal: 0) and in it;
- wall time of the workers, and what they saw (requests answered, retried 429s, mean latency).
Results go to bench/results/fortnox_throughput.json (unless --no-save).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LIMIT, PERIOD = 25, 5.0  # Fortnox: 25 requests per 5 s sliding window per tenant

# The sandbox in its own process: Fortnox's limit switched on, every arrival written to a log.
SERVER = """
import sys, threading, time
sys.path.insert(0, {root!r})
import django
django.setup()
from django.conf import settings
settings.SANDBOX_RATE_LIMITS = {{"fortnox": ({limit}, {period})}}
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from django.core.wsgi import get_wsgi_application
from integrations.fortnox import sandbox

log = open({log!r}, "a", buffering=1)
lock = threading.Lock()
take = sandbox._rate_take

def recorded(tenant):
    at = time.time()
    accepted = take(tenant)
    with lock:
        log.write(f"{{at:.6f}} {{int(accepted)}}\\n")
    return accepted

sandbox._rate_take = recorded

class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

make_server("127.0.0.1", {port}, get_wsgi_application(), server_class=Server, handler_class=Quiet).serve_forever()
"""


def django_setup(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sandbox_server(db_path: Path, log_path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    script = SERVER.format(root=str(ROOT), port=port, log=str(log_path), limit=LIMIT, period=PERIOD)
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)  # noqa: S603 (our own script)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("The Fortnox sandbox server did not start.")


def warm_up(base_url: str) -> None:
    """One request without a token (401, not counted by the limit): the server loads its views first, so its
    first counted requests are not held up together behind that and seen as a burst."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{base_url}/3/companyinformation", timeout=30)  # noqa: S310 (our own localhost URL)
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            raise


# --------------------------------------------------------------------------- a worker process
def worker(args) -> None:
    """Send `args.count` requests through the shared limiter, starting at `args.start_at`; print what it saw."""
    django_setup(Path(args.db))
    from integrations import http
    from integrations.fortnox.client import FortnoxClient
    from integrations.models import Connection

    retried = []
    emit = http._emit

    def counting(exchange: dict) -> None:  # every exchange the HTTP layer reports, 429s included
        if exchange.get("status") == 429:
            retried.append(time.time())
        emit(exchange)

    http._emit = counting
    client = FortnoxClient(Connection.objects.get(pk=args.connection))
    reads = (
        client.company_information,
        lambda: client.article_get("1001-BLK-M"),
        lambda: client.customer_get("1"),
    )
    latencies = []
    time.sleep(max(0.0, args.start_at - time.time()))
    started = time.time()
    for index in range(args.count):
        sent = time.perf_counter()
        reads[(index + args.index) % len(reads)]()
        latencies.append(time.perf_counter() - sent)
    print(
        json.dumps(
            {
                "requests": args.count,
                "started": started,
                "finished": time.time(),
                "retried_429": len(retried),
                "latency_mean_ms": round(1000 * sum(latencies) / len(latencies), 1),
                "latency_max_ms": round(1000 * max(latencies), 1),
            }
        )
    )


# --------------------------------------------------------------------------- figures
def figures(arrivals: list[tuple[float, bool]]) -> dict:
    """The sandbox's view: sustained rate after the first window, windows' fewest/most, 429s."""
    arrivals.sort()
    first = arrivals[0][0]
    accepted = [at for at, ok in arrivals if ok]
    refused = [at for at, ok in arrivals if not ok]
    steady = [at for at in accepted if at >= first + PERIOD]
    rate = (len(steady) - 1) / (steady[-1] - steady[0]) * PERIOD if len(steady) > 1 else 0.0
    windows = []  # accepted requests in each 5 s window [t, t + 5) starting at an arrival after the first window
    for index, start in enumerate(steady):
        if start + PERIOD > steady[-1]:
            break
        windows.append(sum(1 for at in steady[index:] if at < start + PERIOD))
    return {
        "requests_at_sandbox": len(arrivals),
        "accepted": len(accepted),
        "refused_429_first_window": sum(1 for at in refused if at < first + PERIOD),
        "refused_429_after_first_window": sum(1 for at in refused if at >= first + PERIOD),
        "sustained_requests_per_5s": round(rate, 2),
        "sustained_percent_of_25": round(100 * rate / LIMIT, 1),
        "window_fewest": min(windows, default=0),
        "window_most": max(windows, default=0),
        "sandbox_seconds": round(arrivals[-1][0] - first, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests in all (at least 300 for the figure)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate-limit", default="", help="the connection's budget, e.g. 25/5s (default: registry)")
    parser.add_argument("--no-save", action="store_true", help="print only; leave the results file alone")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--connection", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="koppla-bench-"))
    db_path, log_path = tmp / "bench.sqlite3", tmp / "arrivals.log"
    django_setup(db_path)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from integrations.fortnox import demo_data
    from integrations.models import Connection
    from sync.demo import demo_fortnox_connection_ensure

    demo_data.seed()
    port = free_port()
    connection = demo_fortnox_connection_ensure(site_url=f"http://127.0.0.1:{port}")
    if args.rate_limit:
        Connection.objects.filter(pk=connection.pk).update(rate_limit=args.rate_limit)
    connection.refresh_from_db()
    budget = ", ".join(f"{count}/{period}s" for count, period in connection.rate_limits)

    server = sandbox_server(db_path, log_path, port)
    try:
        warm_up(connection.base_url)
        shares = [
            args.requests // args.workers + (1 if i < args.requests % args.workers else 0) for i in range(args.workers)
        ]
        start_at = time.time() + 3  # every worker set up before the first request
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        workers = [
            subprocess.Popen(  # noqa: S603 (this script, our own interpreter)
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    "--db",
                    str(db_path),
                    "--connection",
                    str(connection.pk),
                    "--count",
                    str(share),
                    "--index",
                    str(index),
                    "--start-at",
                    str(start_at),
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for index, share in enumerate(shares)
        ]
        seen = []
        for process in workers:
            out, _ = process.communicate()
            if process.returncode:
                raise RuntimeError(f"A worker failed (exit {process.returncode}); see the output above.")
            seen.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait(timeout=30)

    arrivals = []
    for line in log_path.read_text().splitlines():
        at, ok = line.split()
        arrivals.append((float(at), ok == "1"))
    wall = max(w["finished"] for w in seen) - min(w["started"] for w in seen)
    result = {
        "fortnox_limit": f"{LIMIT}/{PERIOD:g}s sliding window per tenant",
        "koppla_budget": budget,
        "workers": args.workers,
        "worker_kind": "processes sharing the database rate limiter (SQLite, WAL, IMMEDIATE)",
        "requests": args.requests,
        **figures(arrivals),
        "retried_429_seen_by_workers": sum(w["retried_429"] for w in seen),
        "wall_seconds": round(wall, 1),
        "client_requests_per_5s": round(args.requests / wall * PERIOD, 2),
        "latency_mean_ms": round(sum(w["latency_mean_ms"] * w["requests"] for w in seen) / args.requests, 1),
        "latency_max_ms": max(w["latency_max_ms"] for w in seen),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }
    result["goal"] = "at least 90 % of 25 requests / 5 s sustained, no 429 after the first window"
    result["goal_met"] = result["sustained_percent_of_25"] >= 90 and result["refused_429_after_first_window"] == 0
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "fortnox_throughput.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
