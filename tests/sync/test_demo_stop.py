"""Stopping `make demo`: the q2 worker stops before the web server, and the next start closes the runs the
worker had open as interrupted, also those whose worker beat seconds before the stop."""

import signal
import subprocess

import pytest
from django.core.management import call_command
from django.utils import timezone

from sync.engine import run_begin
from sync.management.commands import demo
from sync.models import SyncRun

pytestmark = pytest.mark.django_db


class FakeProcess:
    """A subprocess.Popen stand-in that writes what is done to it into a shared list of events."""

    def __init__(self, argv, events, *, stubborn=False, **_):
        self.name = "worker" if "qcluster" in argv else "web"
        self.events = events
        self.pid = 4242
        self.stubborn = stubborn  # ignores SIGTERM: only the kill stops it
        self.returncode = None

    def poll(self):
        return self.returncode

    def terminate(self):
        self.events.append(("terminate", self.name))
        if not self.stubborn:
            self.returncode = -signal.SIGTERM

    def wait(self, timeout=None):
        self.events.append(("wait", self.name))
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.name, timeout)
        return self.returncode


def test_processes_stop_one_after_the_other_in_the_order_given():
    events = []
    worker, web = FakeProcess(["qcluster"], events), FakeProcess(["runserver"], events)
    demo.processes_stop([worker, web])
    assert events == [("terminate", "worker"), ("wait", "worker"), ("terminate", "web"), ("wait", "web")]


def test_a_process_that_does_not_stop_is_killed_before_the_next_is_asked(monkeypatch):
    events = []
    worker = FakeProcess(["qcluster"], events, stubborn=True)
    web = FakeProcess(["runserver"], events)

    def killpg(pid, sig):
        events.append(("kill", worker.name))
        worker.returncode = -sig

    monkeypatch.setattr(demo.os, "killpg", killpg)
    demo.processes_stop([worker, web], timeout=0)
    assert events[:4] == [("terminate", "worker"), ("wait", "worker"), ("kill", "worker"), ("wait", "worker")]
    assert events[4:] == [("terminate", "web"), ("wait", "web")]


@pytest.fixture
def served(monkeypatch):
    """`serve` with fake processes; returns the events and the SIGTERM handler it installed."""
    events, handlers = [], {}
    monkeypatch.setattr(demo.subprocess, "Popen", lambda argv, **kw: FakeProcess(argv, events, **kw))
    monkeypatch.setattr(demo.signal, "signal", lambda signum, handler: handlers.__setitem__(signum, handler))
    return events, handlers


def test_ctrl_c_stops_the_worker_before_the_web_server(served, monkeypatch):
    events, _ = served

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo.Command, "wait_until_up", staticmethod(interrupted))
    demo.Command().serve(8123)
    stops = [name for what, name in events if what == "terminate"]
    assert stops == ["worker", "web"]


def test_sigterm_stops_the_worker_before_the_web_server(served, monkeypatch):
    events, handlers = served

    def sigterm_while_up(*args, **kwargs):
        handlers[signal.SIGTERM](signal.SIGTERM, None)

    monkeypatch.setattr(demo.Command, "wait_until_up", staticmethod(sigterm_while_up))
    with pytest.raises(SystemExit) as stopped:
        demo.Command().serve(8123)
    assert stopped.value.code == 0
    assert [name for what, name in events if what == "terminate"] == ["worker", "web"]


@pytest.fixture
def demo_start(monkeypatch, integration):
    """`manage.py demo` without migrating, seeding or serving; returns the list of ports it served on."""
    served = []
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(demo, "demo_seed", lambda **kwargs: integration)
    monkeypatch.setattr(demo, "port_in_use", lambda port: False)
    monkeypatch.setattr(demo.Command, "serve", lambda self, port: served.append(port))
    return served


def test_the_demo_start_closes_runs_the_worker_had_open_even_with_a_fresh_heartbeat(demo_start, integration):
    run = run_begin(integration=integration, flow="orders", trigger="schedule")
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(), current_source_id="1042")

    call_command("demo", "--port", "8123")

    run.refresh_from_db()
    assert demo_start == [8123]
    assert run.status == SyncRun.Status.FAILED and run.message.startswith("Interrupted: the worker stopped at ")
    assert "the demo was stopped while it ran" in run.message
    assert run.records.get(source_id="1042").status == "failed"  # the record in flight is retried


def test_seeding_beside_a_running_demo_leaves_its_live_runs_alone(demo_start, integration):
    run = run_begin(integration=integration, flow="orders", trigger="schedule")

    call_command("demo", "--seed-only")

    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING and demo_start == []


def test_a_second_demo_on_a_port_in_use_stops_before_touching_any_run(demo_start, integration, monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setattr(demo, "port_in_use", lambda port: True)
    run = run_begin(integration=integration, flow="orders", trigger="schedule")

    with pytest.raises(CommandError, match="Port 8123 is in use"):
        call_command("demo", "--port", "8123")

    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING and demo_start == []
