"""`manage.py demo`: migrate, seed, then run the web server and the q2 worker together."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sync.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_seed
from sync.heartbeat import runs_interrupted_close


class Command(BaseCommand):
    help = "Set up the demo (SQLite, sandboxes, demo data) and serve it with a q2 worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=getattr(settings, "DEMO_PORT", 8000))
        parser.add_argument("--seed-only", action="store_true", help="Migrate and seed, then exit.")

    def handle(self, *args, port, seed_only, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("Run the demo with DJANGO_SETTINGS_MODULE=config.settings.demo.")
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if "sandbox" in settings.DATABASES:
            call_command("migrate", database="sandbox", interactive=False, verbosity=0)
        integration = demo_seed(site_url=f"http://127.0.0.1:{port}")
        self.stdout.write(f"Demo data ready: integration “{integration}”.")
        interrupted = runs_interrupted_close()
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
        processes = [
            # Fixed argv built from our own interpreter and manage.py: no untrusted input.
            subprocess.Popen(  # noqa: S603
                [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, start_new_session=True
            ),
            subprocess.Popen([*manage, "qcluster"], env=env, start_new_session=True),  # noqa: S603
        ]

        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
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
            self.stdout.write("Stopping…")
            stop()
            return
        stop()
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
