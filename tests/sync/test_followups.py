"""Ids that arrive while a run holds the flow's lock are queued and taken by a prompt follow-up run."""

import pytest

from config.errors import ApplicationError
from sync import services
from sync.engine import run_begin
from sync.models import SyncRecord, SyncRun
from tests.sync.test_engine import FakeFlow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]


def run(integration, trigger="schedule", **kwargs):
    return services.flow_run(integration=integration, flow="orders", trigger=trigger, **kwargs)


def test_ids_given_while_a_run_holds_the_lock_are_queued_not_dropped(integration):
    active = run_begin(integration=integration, flow="orders", trigger="schedule")

    skipped = run(integration, trigger="webhook", source_ids=["Q1", "Q2"])

    assert skipped.status == SyncRun.Status.SKIPPED
    assert f"Run #{active.pk}" in skipped.message and "its 2 record(s) are queued" in skipped.message
    assert set(SyncRecord.objects.filter(status="queued").values_list("source_id", flat=True)) == {"Q1", "Q2"}
    assert FakeFlow.processed == []


def test_queueing_keeps_what_a_dead_letter_knows(integration):
    SyncRecord.objects.create(
        integration=integration,
        flow="orders",
        source_id="D",
        source_label="order D",
        target_id="INV-7",
        status="dead",
        attempts=5,
        last_error="Unknown payment method 'swish'",
    )
    run_begin(integration=integration, flow="orders", trigger="schedule")

    run(integration, trigger="webhook", source_ids=["D"])

    state = SyncRecord.objects.get(source_id="D")
    assert state.status == "queued" and state.next_attempt_at is not None
    assert (state.attempts, state.target_id, state.source_label) == (5, "INV-7", "order D")
    assert state.last_error == "Unknown payment method 'swish'"


def delivering_during_a(integration, ids):
    """A flow whose first record takes long enough for a webhook run (another worker) to find the lock taken."""

    def process(self, item):
        if item.source_id == "A" and self.run.trigger == "schedule":
            webhook = services.flow_run(integration=integration, flow="orders", trigger="webhook", source_ids=ids)
            assert webhook.status == SyncRun.Status.SKIPPED
        return FakeFlow.process(self, item)

    return type("Busy", (FakeFlow,), {"process": process})


def test_when_the_run_holding_the_lock_finishes_a_follow_up_run_takes_the_queued_ids(
    integration, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "runner_class", lambda flow: delivering_during_a(integration, ["Z1", "Z2"]))

    with django_capture_on_commit_callbacks(execute=True):  # q2 runs the queued task inline (sync=True)
        holder = run(integration)

    assert holder.status == SyncRun.Status.SUCCEEDED and holder.ok_count == 5
    follow_up = SyncRun.objects.get(trigger="follow_up")
    assert follow_up.status == SyncRun.Status.SUCCEEDED and follow_up.ok_count == 2
    assert FakeFlow.processed[-2:] == ["Z1", "Z2"]
    assert set(SyncRecord.objects.filter(source_id__in=["Z1", "Z2"]).values_list("status", flat=True)) == {"ok"}
    assert follow_up.cursor_to == "" and SyncRun.objects.filter(trigger="schedule").count() == 1


def test_a_follow_up_that_cannot_run_starts_no_other_and_the_schedule_takes_its_records(
    integration, monkeypatch, django_capture_on_commit_callbacks
):
    busy = delivering_during_a(integration, ["Z"])

    def broken_for_follow_ups(flow):
        def make(*, integration, run, dry_run):
            if run.trigger == "follow_up":
                raise ApplicationError("No tax-zone mapping for SE: add one in Mappings › Tax zones.")
            return busy(integration=integration, run=run, dry_run=dry_run)

        return make

    monkeypatch.setattr(services, "runner_class", broken_for_follow_ups)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(integration)

    assert SyncRun.objects.filter(trigger="follow_up").count() == 1  # no loop
    assert SyncRun.objects.get(trigger="follow_up").status == SyncRun.Status.FAILED
    assert [c.__qualname__ for c in callbacks].count("followup_enqueue.<locals>.enqueue") == 1
    assert SyncRecord.objects.get(source_id="Z").status == "queued"

    FakeFlow.processed = []
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(integration)
    assert FakeFlow.processed == ["Z"] and callbacks == []
    assert SyncRecord.objects.get(source_id="Z").status == "ok"


def test_a_follow_up_finding_the_lock_taken_queues_nothing_again(integration):
    SyncRecord.objects.create(integration=integration, flow="orders", source_id="Z", status="ok")
    run_begin(integration=integration, flow="orders", trigger="schedule")

    skipped = run(integration, trigger="follow_up", source_ids=["Z"])

    assert skipped.status == SyncRun.Status.SKIPPED
    assert SyncRecord.objects.get(source_id="Z").status == "ok"


def test_a_finished_run_without_queued_records_starts_no_follow_up(integration, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(integration)
        run(integration, trigger="webhook", source_ids=["A"])
    assert callbacks == []
    assert not SyncRun.objects.filter(trigger="follow_up").exists()
