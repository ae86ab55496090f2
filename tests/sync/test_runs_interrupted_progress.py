"""Runs as a newcomer sees them: a dead worker's run is closed as interrupted, a listing shows its pages,
an empty run never hides the last run that worked, times are local, systems go by their names."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from integrations.http import HttpClient, RemoteDown, RetryPolicy, record_calls
from integrations.listing import listing_page_read
from integrations.systems import system_label
from sync import services, tasks
from sync.admin.common import run_progress_text
from sync.engine import run_begin
from sync.flows.base import Outcome, Plan, SourceItem
from sync.heartbeat import runs_interrupted_close
from sync.models import IntegrationFlow, Lease, SyncRun, WebhookEvent
from sync.selectors import dashboard_build, integration_flows_with_state
from tests.fakes import FakeClock
from tests.sync.test_engine import FakeFlow
from tests.sync.test_webhooks import deliver, hooked  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]

# 09:40 UTC on 30 November is 10:40 in the site's time zone (Europe/Stockholm, UTC+1 in December).
SILENT_SINCE = datetime(2026, 11, 30, 9, 40, tzinfo=UTC)


def dead_run(integration, *, flow="orders", heartbeat_at=SILENT_SINCE, done=3, total=10) -> SyncRun:
    """A run whose worker stopped (Ctrl-C on the demo, a killed q2 worker) at `heartbeat_at`."""
    run = run_begin(integration=integration, flow=flow, trigger="schedule")
    SyncRun.objects.filter(pk=run.pk).update(
        heartbeat_at=heartbeat_at, started_at=heartbeat_at - timedelta(minutes=1), done=done, total=total
    )
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- 1. interrupted runs
def test_runs_of_a_dead_worker_are_closed_as_interrupted_with_the_local_time_it_stopped(integration):
    dead = dead_run(integration, flow="customers")
    live = run_begin(integration=integration, flow="orders", trigger="schedule")

    closed = runs_interrupted_close()

    assert [run.pk for run in closed] == [dead.pk]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.finished_at is not None
    assert dead.message.startswith("Interrupted: the worker stopped at 10:40 ")
    assert "records not finished will be picked up by the next run" in dead.message
    assert live.status == SyncRun.Status.RUNNING  # its worker beats: left alone


def test_the_demo_start_closes_the_runs_its_last_stop_left_running(integration, monkeypatch, settings):
    from sync.management.commands import demo

    dead = dead_run(integration)
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(demo, "demo_seed", lambda **kwargs: integration)

    call_command("demo", "--seed-only")

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.message.startswith("Interrupted:")


def test_every_task_of_the_worker_closes_dead_runs_of_other_flows_first(integration):
    dead = dead_run(integration, flow="customers")
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)

    tasks.flow_run_scheduled(integration.pk, "orders")

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.message.startswith("Interrupted:")


def test_the_admin_never_shows_a_dead_run_as_running_nor_refreshes_for_it(admin_client, integration):
    dead = dead_run(integration)

    changelist = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    change = admin_client.get(reverse("admin:sync_syncrun_change", args=[dead.pk])).content.decode()

    assert "Interrupted (no sign of its worker since" in changelist and "10:40" in changelist
    assert "stopped at 3 / 10" in changelist
    assert 'http-equiv="refresh"' not in changelist and 'http-equiv="refresh"' not in change
    assert "Interrupted (no sign of its worker since" in change


def test_a_live_run_still_refreshes_the_list(admin_client, integration):
    run_begin(integration=integration, flow="orders", trigger="schedule")
    changelist = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()
    assert 'http-equiv="refresh"' in changelist and "Interrupted" not in changelist


# --------------------------------------------------------------------------- 2. listing progress
class PagedFlow(FakeFlow):
    """Lists 3 pages of 2 records without saying how many there are; `seen` keeps the progress shown
    while each record is processed."""

    stated_total = None
    seen: list = []

    def changed_since(self, cursor):
        def pages():
            for page in range(3):
                listing_page_read(records=2, total=self.stated_total)
                for i in range(2):
                    sid = f"P{page}{i}"
                    yield SourceItem(sid, f"order {sid}", {"id": sid})

        return Plan(items=pages())

    def process(self, item):
        listing_page_read(records=50)  # a record's own look-up pages: not the listing
        PagedFlow.seen.append(run_progress_text(SyncRun.objects.get(pk=self.run.pk)))
        return Outcome("ok", target_id=item.source_id)


@pytest.fixture
def paged_flow(monkeypatch):
    PagedFlow.seen = []
    PagedFlow.stated_total = None
    monkeypatch.setattr(services, "runner_class", lambda flow: PagedFlow)
    return PagedFlow


def test_a_run_listing_pages_shows_the_pages_and_records_read_so_far(integration, paged_flow):
    run = services.flow_run(integration=integration, flow="orders", trigger="manual")

    assert paged_flow.seen[0] == "listing: 1 page read, 2 records so far"
    assert paged_flow.seen[2] == "listing: 2 pages read, 4 records so far (2 done)"
    assert paged_flow.seen[-1] == "listing: 3 pages read, 6 records so far (5 done)"
    assert run.status == SyncRun.Status.SUCCEEDED and (run.done, run.total) == (6, 6)
    assert run.message == "" and run_progress_text(run) == "6 / 6"  # the finished run's notes replace it


def test_a_listing_whose_remote_states_its_total_shows_it_with_the_time_left(integration, paged_flow):
    paged_flow.stated_total = 6
    services.flow_run(integration=integration, flow="orders", trigger="manual")
    assert paged_flow.seen[2] == "listing: 2 pages read, 4 of 6 records (2 done)"

    running = SyncRun(
        status="running",
        done=2,
        total=2,
        message="Listing: 2 pages read, 4 of 6 records",
        started_at=timezone.now() - timedelta(seconds=40),
    )
    assert run_progress_text(running) == "listing: 2 pages read, 4 of 6 records (2 done, about 20 s left)"


# --------------------------------------------------------------------------- 3. last run that did work
def _run(integration, *, minutes_ago, **fields) -> SyncRun:
    run = SyncRun.objects.create(integration=integration, flow="orders", trigger="schedule", **fields)
    when = timezone.now() - timedelta(minutes=minutes_ago)
    SyncRun.objects.filter(pk=run.pk).update(created_at=when, started_at=when, finished_at=when)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("empty_status", ["succeeded", "paused"])
def test_an_empty_run_does_not_hide_the_last_run_that_did_work(admin_client, integration, empty_status):
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True)
    worked = _run(integration, minutes_ago=13, status="succeeded", total=4, done=4, ok_count=4)
    empty = _run(integration, minutes_ago=1, status=empty_status)

    row = integration_flows_with_state().get(integration=integration, flow="orders")
    assert (row.last_run_id, row.last_checked_id) == (worked.pk, empty.pk)
    health = next(f for f in dashboard_build().flows if f.integration_flow.flow == "orders")
    assert health.last_run.pk == worked.pk and health.last_check.pk == empty.pk

    flows = admin_client.get(reverse("admin:sync_integrationflow_changelist")).content.decode()
    worked_at = timezone.localtime(worked.started_at).strftime("%H:%M")
    checked_at = timezone.localtime(empty.created_at).strftime("%H:%M")
    expected = "nothing new" if empty_status == "succeeded" else "paused: the remote asked us to wait"
    assert f"#{worked.pk}</a>" in flows and worked_at in flows
    assert f"(checked {checked_at}, {expected})" in flows
    dashboard = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert f"(checked {checked_at}, {expected})" in dashboard


def test_a_failed_run_without_records_still_counts_as_the_last_run(integration):
    _run(integration, minutes_ago=13, status="succeeded", total=4, done=4, ok_count=4)
    failed = _run(integration, minutes_ago=1, status="failed", message="Centra refused our credentials")
    row = integration_flows_with_state().get(integration=integration, flow="orders")
    assert row.last_run_id == failed.pk


# --------------------------------------------------------------------------- 4. one time zone
def test_times_in_notes_and_lists_are_in_the_sites_time_zone(integration, client, hooked):  # noqa: F811
    lease = Lease(key="k", holder="h", acquired_at=SILENT_SINCE, expires_at=SILENT_SINCE)
    assert str(lease) == "k (held by h until 2026-11-30 10:40:00)"

    first, body, header = deliver(client, hooked, [{"type": "order", "id": "A"}])
    WebhookEvent.objects.filter(pk=first.json()["event"]).update(created_at=SILENT_SINCE)
    deliver(client, hooked, [], body=body, header=header)
    duplicate = WebhookEvent.objects.get(status="duplicate")
    assert "accepted 2026-11-30 10:40:00:" in duplicate.reason and "UTC" not in duplicate.reason


@responses.activate
def test_remote_calls_are_stamped_in_the_sites_time_zone():
    client = _failing_client("centra")
    with record_calls() as calls, pytest.raises(RemoteDown):
        client.request("GET", "https://remote.example.test/orders")
    offset = timezone.localtime().strftime("%z")
    assert calls[0]["at"].endswith(f"{offset[:3]}:{offset[3:]}")


# --------------------------------------------------------------------------- 5. systems by their names
def _failing_client(system: str) -> HttpClient:
    client = HttpClient(
        system=system,
        base_url="https://remote.example.test",
        session_key=f"ops14-{system}",
        clock=FakeClock(),
        policy=RetryPolicy(max_attempts=1),
    )
    responses.get("https://remote.example.test/orders", body=requests.ConnectionError("connection refused"))
    return client


@responses.activate
@pytest.mark.parametrize(("system", "name"), [("centra", "Centra"), ("visma_net", "Visma.net ERP")])
def test_a_connection_failure_names_the_system_not_its_code(system, name):
    with pytest.raises(RemoteDown) as failed:
        _failing_client(system).request("GET", "https://remote.example.test/orders")
    assert failed.value.message.startswith(f"{name} could not connect after 1 attempt(s)")
    assert f"{system} could not" not in failed.value.message


def test_system_label_never_shows_a_code():
    assert system_label("centra") == "Centra"
    assert system_label("visma_net") == "Visma.net ERP"
    assert system_label("notification") == "Notification"
    assert system_label("") == "The remote system"


def test_a_resync_reads_no_listing_so_its_look_up_pages_show_no_listing(integration, paged_flow):
    run = services.flow_run(integration=integration, flow="orders", trigger="resync", source_ids=["A", "B"])
    assert paged_flow.seen == ["0 / 2", "1 / 2"] and run.message == ""
