"""The engine: locking, per-record logs, retries with backoff, dead letters, resync, cursors."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.http import HttpClient, RemoteDown, RetryPolicy
from sync import services
from sync.engine import flow_execute, run_begin
from sync.flows.base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from sync.models import RecordLog, SyncRecord, SyncRun
from tests.fakes import FakeClock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]


class FakeFlow(FlowRunner):
    """Records 'A'..'E' changed at t1..t5; behaviour per id is set by the test."""

    flow = "orders"
    items = {f"{c}": f"2026-01-0{i + 1}T00:00:00Z" for i, c in enumerate("ABCDE")}
    failures: dict = {}
    processed: list = []

    def changed_since(self, cursor):
        items = [
            SourceItem(sid, f"order {sid}", {"id": sid}, cursor=ts) for sid, ts in self.items.items() if ts > cursor
        ]
        return Plan(items=items, total=len(items))

    def fetch(self, source_id):
        if source_id == "GONE":
            raise RecordFailed("Order GONE no longer exists in the shop.")
        return SourceItem(source_id, f"order {source_id}", {"id": source_id}, cursor=self.items.get(source_id, ""))

    def process(self, item):
        FakeFlow.processed.append(item.source_id)
        self.payload = {"would_send": item.source_id}
        failure = FakeFlow.failures.get(item.source_id)
        if failure:
            raise failure
        if self.dry_run:
            return Outcome("dry_run", request=self.payload)
        return Outcome("ok", target_id=f"INV-{item.source_id}", request=self.payload, response={"number": 1})


def run(integration, trigger="manual", **kwargs):
    return services.flow_run(integration=integration, flow="orders", trigger=trigger, **kwargs)


def test_a_run_processes_every_changed_record_and_keeps_counts(integration):
    FakeFlow.failures = {"C": RecordFailed("No tax-zone mapping for country FR / B2C: add one in Mappings › Tax zones")}
    result = run(integration)
    assert result.status == SyncRun.Status.PARTIAL
    assert (result.total, result.done, result.ok_count, result.failed_count) == (5, 5, 4, 1)
    assert result.cursor_to == "2026-01-05T00:00:00Z"
    failed = RecordLog.objects.get(source_id="C")
    assert failed.status == "failed" and "Mappings › Tax zones" in failed.error
    assert failed.request == {"would_send": "C"}  # what it was about to send
    ok = RecordLog.objects.get(source_id="A")
    assert ok.target_id == "INV-A" and ok.response == {"number": 1}


def test_next_run_reads_only_what_changed_after_the_cursor(integration):
    run(integration)
    FakeFlow.processed = []
    FakeFlow.items = {**FakeFlow.items, "F": "2026-01-06T00:00:00Z"}
    try:
        second = run(integration, trigger="schedule")
    finally:
        del FakeFlow.items["F"]
    assert second.cursor_from == "2026-01-05T00:00:00Z"
    assert FakeFlow.processed == ["F"]


def test_failed_record_is_retried_with_backoff_then_dead_lettered(integration, settings):
    settings.SYNC_MAX_ATTEMPTS = 3
    FakeFlow.failures = {"B": RemoteDown("Visma.net did not answer", system="visma_net")}
    run(integration)
    state = SyncRecord.objects.get(source_id="B")
    assert state.status == "retrying" and state.attempts == 1
    assert state.next_attempt_at > timezone.now() + timedelta(minutes=1)
    assert "Visma.net ERP did not answer properly" in state.last_error

    FakeFlow.processed = []
    run(integration, trigger="schedule")
    assert FakeFlow.processed == []  # not due yet, nothing changed

    for expected_attempt in (2, 3):
        SyncRecord.objects.filter(pk=state.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        FakeFlow.processed = []
        run(integration, trigger="schedule")
        assert FakeFlow.processed == ["B"]
        state.refresh_from_db()
        assert state.attempts == expected_attempt
    assert state.status == "dead" and state.next_attempt_at is None
    assert list(RecordLog.objects.filter(source_id="B").order_by("attempt").values_list("attempt", flat=True)) == [
        1,
        2,
        3,
    ]

    FakeFlow.processed = []
    run(integration, trigger="schedule")
    assert FakeFlow.processed == []  # a dead letter waits for a person


def test_resync_gives_a_dead_record_a_new_chance_and_it_succeeds(
    integration, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_MAX_ATTEMPTS = 1
    FakeFlow.failures = {"D": RecordFailed("Unknown payment method 'swish': add it in Mappings › Payment methods")}
    run(integration)
    assert SyncRecord.objects.get(source_id="D").status == "dead"
    FakeFlow.failures = {}
    FakeFlow.processed = []
    with django_capture_on_commit_callbacks(execute=True):
        services.records_resync(integration=integration, flow="orders", source_ids=["D"])  # q2 runs inline in tests
    assert FakeFlow.processed == ["D"]
    state = SyncRecord.objects.get(source_id="D")
    assert state.status == "ok" and state.attempts == 0 and state.target_id == "INV-D"
    resync_run = SyncRun.objects.filter(trigger="resync").get()
    assert resync_run.total == 1 and resync_run.ok_count == 1


def test_resync_of_a_record_that_vanished_fails_that_record_only(integration, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.records_resync(integration=integration, flow="orders", source_ids=["GONE", "A"])
    assert SyncRecord.objects.get(source_id="GONE").last_error == "Order GONE no longer exists in the shop."
    assert SyncRecord.objects.get(source_id="A").status == "ok"


def test_a_second_run_while_one_is_active_is_recorded_as_skipped(integration):
    active = run_begin(integration=integration, flow="orders", trigger="manual")
    skipped = run(integration, trigger="schedule")
    assert skipped.status == SyncRun.Status.SKIPPED
    assert f"Run #{active.pk}" in skipped.message
    assert FakeFlow.processed == []


def test_a_run_whose_worker_died_is_closed_and_the_lock_freed(integration):
    dead = run_begin(integration=integration, flow="orders", trigger="manual")
    SyncRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(hours=3))
    fresh = run(integration)
    dead.refresh_from_db()
    assert dead.status == "failed" and "worker" in dead.message
    assert fresh.status == SyncRun.Status.SUCCEEDED


def test_an_unexpected_error_fails_the_record_not_the_run(integration):
    FakeFlow.failures = {"A": KeyError("lines")}
    result = run(integration)
    assert result.status == SyncRun.Status.PARTIAL and result.ok_count == 4
    assert "Koppla bug" in RecordLog.objects.get(source_id="A").error


def test_a_runner_that_cannot_start_fails_the_run(integration, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no client")

    monkeypatch.setattr(services, "runner_class", lambda flow: broken)
    result = run(integration)
    assert result.status == SyncRun.Status.FAILED and "no client" in result.message
    assert not SyncRun.objects.filter(status="running").exists()


def test_listing_failure_fails_the_run_with_a_readable_message(integration, monkeypatch):
    def down(self, cursor):
        raise RemoteDown("503 from Centra", system="centra")

    monkeypatch.setattr(FakeFlow, "changed_since", down)
    result = run(integration)
    assert result.status == SyncRun.Status.FAILED
    assert result.message.startswith("Centra did not answer properly")


def test_dry_run_records_payloads_and_writes_nothing(integration):
    integration.mode = "dry_run"
    integration.save()
    result = run(integration)
    assert result.dry_run
    logs = RecordLog.objects.filter(run=result)
    assert set(logs.values_list("status", flat=True)) == {"dry_run"}
    assert logs.get(source_id="A").request == {"would_send": "A"}


@responses.activate
def test_remote_calls_of_a_record_are_in_its_log(integration, monkeypatch):
    responses.post(
        "https://erp.example.test/invoices", status=201, headers={"Location": "https://erp.example.test/invoices/9"}
    )

    def process(self, item):
        client = HttpClient(
            system="visma_net",
            base_url="https://erp.example.test",
            session_key="t",
            clock=FakeClock(),
            policy=RetryPolicy(),
        )
        response = client.request("POST", "/invoices", json_body={"order": item.source_id})
        return Outcome("ok", target_id=response.headers["Location"].rsplit("/", 1)[1])

    monkeypatch.setattr(FakeFlow, "process", process)
    monkeypatch.setattr(FakeFlow, "items", {"A": "2026-01-01T00:00:00Z"})
    run(integration)
    log = RecordLog.objects.get(source_id="A")
    assert log.target_id == "9"
    assert log.calls[0]["method"] == "POST" and log.calls[0]["request_body"] == {"order": "A"}
    assert log.calls[0]["status"] == 201


def test_flow_execute_never_leaves_a_run_running(integration, monkeypatch):
    monkeypatch.setattr(FakeFlow, "changed_since", lambda self, cursor: (_ for _ in ()).throw(ValueError("boom")))
    started = run_begin(integration=integration, flow="orders", trigger="manual")
    result = flow_execute(runner=FakeFlow(integration=integration, run=started, dry_run=False), run=started)
    assert result.status == "failed" and "boom" in result.message


def test_remote_error_messages_do_not_double_their_full_stops():
    from integrations.http import AuthError
    from sync.engine import remote_error_message

    text = remote_error_message(AuthError("Visma.net sandbox is not connected yet: click Connect.", system="visma_net"))
    assert ".." not in text and "click Connect. Reconnect" in text
