"""A run's lock lives by its heartbeat: a dead worker's run is taken over within minutes, a live one never."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from sync import heartbeat, services
from sync.engine import run_begin
from sync.heartbeat import RunHeartbeat
from sync.models import RecordLog, SyncRecord, SyncRun
from tests.sync.test_engine import FakeFlow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]


def silent_run(integration, *, seconds: int, in_flight: str = "") -> SyncRun:
    """A running run whose worker last beat `seconds` ago, with `in_flight` being processed."""
    run = run_begin(integration=integration, flow="orders", trigger="schedule")
    SyncRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds), current_source_id=in_flight
    )
    return run


def test_a_run_silent_for_longer_than_the_limit_is_taken_over_and_its_in_flight_record_logged(integration):
    SyncRecord.objects.create(
        integration=integration, flow="orders", source_id="C", source_label="order C", status="retrying", attempts=1
    )
    dead = silent_run(integration, seconds=200, in_flight="C")  # the limit is 180 s, not Q_TIMEOUT + 300 s

    fresh = run_begin(integration=integration, flow="orders", trigger="schedule")

    assert fresh.status == SyncRun.Status.RUNNING
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.current_source_id == ""
    assert "no heartbeat for 200 s, limit 180 s" in dead.message and "Record C" in dead.message
    log = RecordLog.objects.get(run=dead, source_id="C")
    assert log.status == "failed" and log.attempt == 2 and log.source_label == "order C"
    assert "worker processing this record stopped" in log.error and "looks up" in log.error
    state = SyncRecord.objects.get(source_id="C")
    assert state.status == "retrying" and state.attempts == 2 and state.last_log == log
    assert state.next_attempt_at > timezone.now()
    assert (dead.done, dead.failed_count) == (1, 1)


def test_the_next_run_picks_up_where_the_dead_one_stopped(integration):
    dead = silent_run(integration, seconds=600, in_flight="A")
    SyncRun.objects.filter(pk=dead.pk).update(cursor_from="")

    after = services.flow_run(integration=integration, flow="orders", trigger="schedule")

    assert after.status == SyncRun.Status.SUCCEEDED
    assert FakeFlow.processed == ["A", "B", "C", "D", "E"]
    assert SyncRecord.objects.get(source_id="A").status == "ok"  # retried by the listing, looked up first


def test_a_run_with_a_fresh_heartbeat_is_not_taken_over(integration):
    live = silent_run(integration, seconds=60, in_flight="B")

    skipped = services.flow_run(integration=integration, flow="orders", trigger="schedule")

    assert skipped.status == SyncRun.Status.SKIPPED
    live.refresh_from_db()
    assert live.status == SyncRun.Status.RUNNING and live.current_source_id == "B"
    assert not RecordLog.objects.exists()


def test_a_record_the_dead_worker_had_finished_gets_no_second_log(integration):
    dead = silent_run(integration, seconds=900)
    RecordLog.objects.create(run=dead, integration=integration, flow="orders", source_id="B", status="ok")
    SyncRun.objects.filter(pk=dead.pk).update(current_source_id="B")

    run_begin(integration=integration, flow="orders", trigger="schedule")

    assert RecordLog.objects.filter(run=dead, source_id="B").count() == 1


def test_the_stale_limit_is_a_setting(integration, settings):
    settings.SYNC_RUN_STALE_SECONDS = 600
    silent_run(integration, seconds=300)
    assert run_begin(integration=integration, flow="orders", trigger="schedule").status == SyncRun.Status.SKIPPED
    settings.SYNC_HEARTBEAT_SECONDS = 30
    assert heartbeat.heartbeat_every() == 30
    settings.SYNC_HEARTBEAT_SECONDS = 500
    assert heartbeat.heartbeat_every() == 200  # at most a third of the limit: two beats may be lost


def test_a_heartbeat_keeps_the_run_alive_and_finds_out_when_it_was_taken_over(integration):
    run = silent_run(integration, seconds=170)
    beat = RunHeartbeat(run.pk, every=0)

    assert beat.beat() is True
    run.refresh_from_db()
    assert timezone.now() - run.heartbeat_at < timedelta(seconds=5)

    SyncRun.objects.filter(pk=run.pk).update(status="failed")  # taken over by another worker
    assert beat.beat() is False


def test_the_heartbeat_beats_while_one_slow_record_is_processed_and_stops_with_the_run(integration, monkeypatch):
    beats = threading.Semaphore(0)
    monkeypatch.setattr(RunHeartbeat, "beat", lambda self: beats.release() or True)
    monkeypatch.setattr(heartbeat, "heartbeat_every", lambda: 0.01)
    threads_before = threading.active_count()
    seen = []

    def slow_process(self, item):
        if item.source_id == "A":  # one slow remote call: two beats happen meanwhile
            seen.append(beats.acquire(timeout=5) and beats.acquire(timeout=5))
            seen.append(threading.active_count() == threads_before + 1)
        return FakeFlow.process(self, item)

    monkeypatch.setattr(services, "runner_class", lambda flow: type("Slow", (FakeFlow,), {"process": slow_process}))

    finished = services.flow_run(integration=integration, flow="orders", trigger="schedule")

    assert finished.status == SyncRun.Status.SUCCEEDED
    assert seen == [True, True]
    assert threading.active_count() == threads_before  # the heartbeat thread ended with the run


def test_a_run_taken_over_stops_before_its_next_record(integration, monkeypatch):
    taken, noticed = threading.Event(), threading.Event()

    def beat(self):
        if taken.is_set():
            self.lost.set()
            noticed.set()
            return False
        return True

    def taken_over_during_b(self, item):
        if item.source_id == "B":  # meanwhile the run was taken over by another worker
            SyncRun.objects.filter(pk=self.run.pk).update(status="failed", message="Taken over by run #99.")
            taken.set()
            assert noticed.wait(5)
        return FakeFlow.process(self, item)

    monkeypatch.setattr(RunHeartbeat, "beat", beat)
    monkeypatch.setattr(heartbeat, "heartbeat_every", lambda: 0.01)
    monkeypatch.setattr(
        services, "runner_class", lambda flow: type("Lost", (FakeFlow,), {"process": taken_over_during_b})
    )

    result = services.flow_run(integration=integration, flow="orders", trigger="schedule")

    assert FakeFlow.processed == ["A", "B"]  # C, D and E are left to the run that took over
    assert result.status == "failed" and result.message == "Taken over by run #99."  # the takeover's word stands
    assert result.cursor_to == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_heartbeat_thread_refreshes_the_lock_during_a_slow_record(integration, settings, monkeypatch):
    settings.SYNC_HEARTBEAT_SECONDS = 0.05
    observed = {}

    def slow_process(self, item):
        if item.source_id == "A":
            old = timezone.now() - timedelta(seconds=170)
            SyncRun.objects.filter(pk=self.run.pk).update(heartbeat_at=old)
            deadline = timezone.now() + timedelta(seconds=5)
            while timezone.now() < deadline:
                if SyncRun.objects.get(pk=self.run.pk).heartbeat_at > old + timedelta(seconds=60):
                    break
                threading.Event().wait(0.02)
            observed["refreshed"] = SyncRun.objects.get(pk=self.run.pk).heartbeat_at > old + timedelta(seconds=60)
            observed["other"] = run_begin(integration=self.integration, flow="orders", trigger="schedule").status
        return FakeFlow.process(self, item)

    monkeypatch.setattr(services, "runner_class", lambda flow: type("Slow", (FakeFlow,), {"process": slow_process}))
    finished = services.flow_run(integration=integration, flow="orders", trigger="schedule")
    assert observed == {"refreshed": True, "other": SyncRun.Status.SKIPPED}
    assert finished.status == SyncRun.Status.SUCCEEDED


def test_a_takeover_counts_the_dead_runs_figures_from_its_logs(integration):
    """The counters are written with the next record's in-flight mark: a worker dying in between left them behind."""
    dead = silent_run(integration, seconds=900, in_flight="C")
    for source_id, status in (("A", "ok"), ("B", "skipped")):
        RecordLog.objects.create(run=dead, integration=integration, flow="orders", source_id=source_id, status=status)
    SyncRun.objects.filter(pk=dead.pk).update(total=3, done=1, ok_count=1)  # B's log was written, its count was not

    run_begin(integration=integration, flow="orders", trigger="schedule")

    dead.refresh_from_db()
    assert (dead.done, dead.ok_count, dead.skipped_count, dead.failed_count) == (3, 1, 1, 1)  # C: the in-flight log
    assert dead.total >= 3
