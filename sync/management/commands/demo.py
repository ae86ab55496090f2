"""`manage.py demo`: migrate, seed, then run the web server and the q2 worker together.

Stopping it (Ctrl-C, SIGTERM) stops the worker first, then the web server: the runs the worker had
open are marked running until the next start closes them as interrupted (sync/heartbeat.py).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sync.demo import DEMO_FORTNOX_INTEGRATION, DEMO_PASSWORD, DEMO_USERNAME, demo_seed
from sync.demo_eaccounting import DEMO_EACCOUNTING_INTEGRATION
from sync.heartbeat import runs_interrupted_close

STOP_WAIT_SECONDS = 30  # how long each process may take to stop before it is killed


def processes_stop(processes, *, timeout: float = STOP_WAIT_SECONDS) -> None:
    """Stop `processes` (subprocess.Popen-like) one after the other, in the order given: each is asked to stop
    (SIGTERM) and waited for up to `timeout` seconds, then its process group is killed, before the next one is
    asked. The demo passes the q2 worker first, so the web server still answers while the worker stops."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def port_in_use(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port` already (another demo, most likely)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Command(BaseCommand):
    help = "Set up the demo (SQLite, sandboxes, demo data) and serve it with a q2 worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=getattr(settings, "DEMO_PORT", 8000))
        parser.add_argument("--seed-only", action="store_true", help="Migrate and seed, then exit.")

    def handle(self, *args, port, seed_only, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("Run the demo with DJANGO_SETTINGS_MODULE=config.settings.demo.")
        if not seed_only and port_in_use(port):
            raise CommandError(f"Port {port} is in use: is the demo running already? Stop it, or use --port.")
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if "sandbox" in settings.DATABASES:
            call_command("migrate", database="sandbox", interactive=False, verbosity=0)
        integration = demo_seed(site_url=f"http://127.0.0.1:{port}")
        self.stdout.write(
            f"Demo data ready: integrations “{integration}”, “{DEMO_FORTNOX_INTEGRATION}” and "
            f"“{DEMO_EACCOUNTING_INTEGRATION}”."
        )
        # Before the demo starts its worker no worker runs on the demo's database: every run still marked
        # running was left by the last stop. --seed-only may run beside a running demo: only dead runs then.
        interrupted = runs_interrupted_close(no_worker_running=not seed_only)
        if interrupted:
            self.stdout.write(
                f"Closed {len(interrupted)} run(s) left running when the demo last stopped: "
                + ", ".join(f"#{run.pk}" for run in interrupted)
                + ". Their unfinished records are picked up by the next run."
            )
        if seed_only:
            return
        self.serve(port)

    def serve(self, port: int) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.demo")}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        # Each child gets its own process group: Ctrl-C reaches only this command,
        # which then stops the children in order (qcluster stops its own workers).
        # Fixed argv built from our own interpreter and manage.py: no untrusted input.
        web = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, start_new_session=True
        )
        worker = subprocess.Popen([*manage, "qcluster"], env=env, start_new_session=True)  # noqa: S603
        processes = [web, worker]
        stop_order = [worker, web]

        def on_sigterm(*_):
            self.stdout.write("Stopping the worker, then the web server…")
            processes_stop(stop_order)
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
        url = f"http://127.0.0.1:{port}"
        try:
            self.wait_until_up(f"{url}/healthz", processes)
            self.stdout.write(
                self.style.SUCCESS(
                    "\n"
                    "  Koppla demo is running\n"
                    f"  Admin:  {url}/admin/\n"
                    f"  Login:  {DEMO_USERNAME} / {DEMO_PASSWORD}\n"
                    "  Worker: django-q2 cluster (ORM broker) started beside the web server\n"
                    "  Stop:   Ctrl-C\n"
                )
            )
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the worker, then the web server…")
            processes_stop(stop_order)
            return
        processes_stop(stop_order)
        raise CommandError("The web server or the worker stopped; see the output above.")

    @staticmethod
    def wait_until_up(url: str, processes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                raise CommandError("The web server or the worker did not start; see the output above.")
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own localhost URL)
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"The web server did not answer on {url} within {timeout:.0f} s.")
