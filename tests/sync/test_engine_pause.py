"""The engine obeys the remote's wait: a paused run stops calling, its records wait without a failed attempt."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.http import ConnectionPaused
from integrations.pauses import connection_pause_start
from sync import services
from sync.models import RecordLog, SyncRecord, SyncRun
from sync.pauses import cursor_before
from tests.sync.test_engine import FakeFlow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]

REASON = "HTTP 429 to GET /v1/customer with Retry-After: 3600"


@pytest.fixture
def until():
    return (timezone.now() + timedelta(hours=1)).replace(microsecond=0)


def paused(until) -> ConnectionPaused:
    return ConnectionPaused(
        "Too many requests", until=until, reason=REASON, system="visma_net", status=429, retry_after=3600
    )


def run(integration, trigger="schedule", **kwargs):
    return services.flow_run(integration=integration, flow="orders", trigger=trigger, **kwargs)


def test_a_pause_mid_run_stops_it_and_leaves_the_record_waiting_without_a_failed_attempt(integration, until):
    integration.notify_emails = "ops@example.com"
    integration.save()
    SyncRecord.objects.create(
        integration=integration, flow="orders", source_id="C", status="retrying", attempts=2,
        next_attempt_at=timezone.now() - timedelta(minutes=1), last_error="earlier failure",
    )  # fmt: skip
    FakeFlow.failures = {"C": paused(until)}

    stopped = run(integration)

    assert FakeFlow.processed == ["A", "B", "C"], "nothing may be tried after the remote said wait"
    assert stopped.status == SyncRun.Status.PAUSED
    assert (stopped.done, stopped.ok_count, stopped.failed_count) == (2, 2, 0)
    assert stopped.cursor_to == "2026-01-02T00:00:00Z", "the cursor must stay below the record that waits"
    assert "Visma.net ERP asked us to wait until" in stopped.message and REASON in stopped.message
    assert "stopped after 2 records; 1 record waits for it" in stopped.message
    waiting = SyncRecord.objects.get(source_id="C")
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == ("queued", 2, until)
    assert "not a failed attempt" in waiting.last_error
    log = RecordLog.objects.get(source_id="C", run=stopped)
    assert log.status == RecordLog.Status.WAITING and waiting.last_log == log
    assert not RecordLog.objects.filter(status="failed").exists()
    assert mail.outbox == [], "a wait is not a failure: no notification"

    FakeFlow.failures = {}
    FakeFlow.processed = []
    after = run(integration)  # the first run after the pause
    assert sorted(FakeFlow.processed) == ["C", "D", "E"]
    assert after.status == SyncRun.Status.SUCCEEDED and after.cursor_to == "2026-01-05T00:00:00Z"
    done = SyncRecord.objects.get(source_id="C")
    assert (done.status, done.attempts) == ("ok", 0)


def test_a_run_given_ids_queues_the_ids_it_did_not_reach(integration, until):
    FakeFlow.failures = {"B": paused(until)}
    stopped = run(integration, trigger="webhook", source_ids=["A", "B", "C", "D", "C"])
    assert FakeFlow.processed == ["A", "B"]
    assert stopped.status == SyncRun.Status.PAUSED and stopped.cursor_to == stopped.cursor_from
    states = {r.source_id: (r.status, r.attempts, r.next_attempt_at) for r in SyncRecord.objects.all()}
    assert states == {
        "A": ("ok", 0, None),
        "B": ("queued", 0, until),
        "C": ("queued", 0, until),
        "D": ("queued", 0, until),
    }
    assert set(RecordLog.objects.values_list("source_id", "status")) == {("A", "ok"), ("B", "waiting")}
    assert "3 records wait for it" in stopped.message


def test_a_run_that_starts_during_a_pause_calls_nothing(integration, until):
    integration.notify_emails = "ops@example.com"
    integration.save()
    connection_pause_start(connection_id=integration.erp_id, until=until, reason=REASON)

    scheduled = run(integration)
    webhook = run(integration, trigger="webhook", source_ids=["D", "E"])

    assert FakeFlow.processed == []
    for stopped in (scheduled, webhook):
        assert stopped.status == SyncRun.Status.PAUSED
        assert "asked us to wait until" in stopped.message and "the run sent nothing" in stopped.message
        assert stopped.cursor_to == stopped.cursor_from
    assert set(SyncRecord.objects.values_list("source_id", "status", "attempts")) == {
        ("D", "queued", 0),
        ("E", "queued", 0),
    }
    assert mail.outbox == []


def test_a_pause_of_the_shop_holds_the_flow_too(integration, until):
    connection_pause_start(connection_id=integration.shop_id, until=until, reason="HTTP 429 to POST /graphql")
    assert run(integration).status == SyncRun.Status.PAUSED
    assert FakeFlow.processed == []


def test_a_pause_that_is_over_holds_nothing(integration):
    connection_pause_start(connection_id=integration.erp_id, until=timezone.now() - timedelta(seconds=1), reason="x")
    assert run(integration).status == SyncRun.Status.SUCCEEDED
    assert len(FakeFlow.processed) == 5


def test_a_pause_while_listing_stops_the_run_without_failing_it(integration, until, monkeypatch):
    def listing(self, cursor):
        raise paused(until)

    monkeypatch.setattr(FakeFlow, "changed_since", listing)
    stopped = run(integration)
    assert stopped.status == SyncRun.Status.PAUSED and stopped.failed_count == 0
    assert stopped.cursor_to == stopped.cursor_from


def test_cursor_before_stays_below_the_first_record_not_done():
    start, t1, t2, t3 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"
    # records in change order (orders): everything below the waiting record's own marker is done
    assert cursor_before({t1, t2, t3}, t3, start) == t2
    # records carrying their page's newest marker (products, stock): back to the previous page's
    assert cursor_before({t1, t2}, t2, start) == t1
    # nothing below: where the run started
    assert cursor_before({t3}, t3, start) == start
    assert cursor_before(set(), t3, start) == start
    # never behind where the run started
    assert cursor_before({"2025-12-31T00:00:00Z"}, t3, start) == start
