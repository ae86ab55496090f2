"""The cursor: only full runs move it, never past a record not reached; ListingCursor's promises."""

from datetime import datetime, timedelta

import pytest

from integrations.http import RemoteDown
from sync import services
from sync.flows.base import Plan, SourceItem
from sync.flows.paging import ListingCursor, cursor_moment
from sync.models import SyncRecord, SyncRun
from tests.sync.test_engine import FakeFlow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_flow")]


def run(integration, trigger="schedule", **kwargs):
    return services.flow_run(integration=integration, flow="orders", trigger=trigger, **kwargs)


def test_webhook_resync_and_follow_up_runs_leave_the_cursor_where_the_last_full_run_put_it(integration):
    first = run(integration)
    assert first.cursor_to == "2026-01-05T00:00:00Z"
    for trigger in ("webhook", "resync", "manual"):  # manual with ids: e.g. the payouts "Book now" action
        by_ids = run(integration, trigger=trigger, source_ids=["E"])
        assert by_ids.status == SyncRun.Status.SUCCEEDED and by_ids.cursor_to == ""
    # A webhook run stored by an older version with a cursor is not read either.
    SyncRun.objects.create(
        integration=integration, flow="orders", trigger="webhook", status="succeeded", cursor_to="2026-09-09T00:00:00Z"
    )

    FakeFlow.processed = []
    second = run(integration)
    assert second.cursor_from == "2026-01-05T00:00:00Z"


def test_a_run_that_stops_early_keeps_the_cursor_of_the_last_record_it_processed(integration, monkeypatch):
    def stops_after_c(self, cursor):
        def items():
            for sid, ts in self.items.items():
                if ts <= cursor:
                    continue
                if sid == "D":
                    raise RemoteDown("Centra did not answer page 2", system="centra")
                yield SourceItem(sid, f"order {sid}", {"id": sid}, cursor=ts)

        return Plan(items=items())

    with monkeypatch.context() as patch:
        patch.setattr(FakeFlow, "changed_since", stops_after_c)
        stopped = run(integration)
    assert stopped.status == SyncRun.Status.FAILED and stopped.done == 3
    assert stopped.cursor_to == "2026-01-03T00:00:00Z"  # C: D and E were not reached

    FakeFlow.processed = []
    after = run(integration)
    assert after.cursor_from == "2026-01-03T00:00:00Z"
    assert FakeFlow.processed == ["D", "E"]


def test_a_failed_record_does_not_hold_the_cursor_back(integration):
    from sync.flows.base import RecordFailed

    FakeFlow.failures = {"E": RecordFailed("Unknown payment method 'swish'")}
    partial = run(integration)
    assert partial.status == SyncRun.Status.PARTIAL and partial.cursor_to == "2026-01-05T00:00:00Z"
    assert SyncRecord.objects.get(source_id="E").status == "retrying"  # E is retried by id, not by the cursor


def test_a_retry_fetched_by_id_does_not_move_the_cursor(integration, monkeypatch):
    run(integration)
    # X failed earlier and is due; fetched now it carries a stamp newer than anything listed.
    SyncRecord.objects.create(integration=integration, flow="orders", source_id="X", status="queued")
    monkeypatch.setattr(FakeFlow, "items", {**FakeFlow.items, "X": "2026-06-01T00:00:00Z"})
    monkeypatch.setattr(
        FakeFlow,
        "changed_since",
        lambda self, cursor: Plan(items=iter([SourceItem("F", "F", {}, "2026-01-06T00:00:00Z")])),
    )
    second = run(integration)
    assert FakeFlow.processed[-2:] == ["F", "X"]
    assert second.cursor_to == "2026-01-06T00:00:00Z"


def test_the_plans_read_to_is_the_cursor_once_the_whole_listing_was_processed(integration, monkeypatch):
    def with_read_to(self, cursor):
        plan = Plan(items=())

        def items():
            yield SourceItem("A", "A", {}, cursor="2026-01-01T00:00:00Z")
            plan.read_to = "2026-01-09T00:00:00Z"  # records after A were proven done and left out

        plan.items = items()
        return plan

    monkeypatch.setattr(FakeFlow, "changed_since", with_read_to)
    assert run(integration).cursor_to == "2026-01-09T00:00:00Z"


# --------------------------------------------------------------------------- ListingCursor
def test_in_stamp_order_each_record_carries_the_newest_stamp_seen():
    listing = ListingCursor("2026-03-02T09:00:00+00:00", in_stamp_order=True)
    assert listing.seen("1", "2026-03-02T08:59:00+00:00") == "2026-03-02T09:00:00+00:00"  # in the overlap
    assert listing.seen("2", "2026-03-02T10:00:00+00:00") == "2026-03-02T10:00:00+00:00"
    assert listing.seen("3", "2026-03-02T10:00:00+00:00") == "2026-03-02T10:00:00+00:00"
    assert listing.read_to() == "2026-03-02T10:00:00+00:00"


def test_a_record_listed_twice_holds_the_cursor_where_it_was_first_listed():
    # Order 2 changed while the run paged: it moved to the end and the pages shifted, so a record
    # between 2 and the page boundary may have slid onto a page already read.
    listing = ListingCursor("", in_stamp_order=True)
    listing.seen("1", "2026-03-02T10:00:00+00:00")
    listing.seen("2", "2026-03-02T10:05:00+00:00")
    listing.seen("3", "2026-03-02T10:10:00+00:00")
    assert listing.seen("2", "2026-03-02T11:00:00+00:00") == "2026-03-02T10:05:00+00:00"
    assert listing.seen("4", "2026-03-02T11:30:00+00:00") == "2026-03-02T10:05:00+00:00"
    assert listing.read_to() == "2026-03-02T10:05:00+00:00"


def test_out_of_stamp_order_records_carry_no_cursor_and_read_to_allows_for_the_reading_time():
    ticks = iter([100.0, 400.0])  # the reading took 300 s
    listing = ListingCursor("2026-03-02T09:00:00.000", in_stamp_order=False, clock=lambda: next(ticks))
    assert listing.seen("B-1", "2026-03-02T10:20:00.000") == ""
    assert listing.seen("A-1", "2026-03-02T10:30:00.000") == ""
    # A record changed at 10:26 after its page was read is not missed: the next run reads from 10:25 − overlap.
    assert listing.read_to() == "2026-03-02T10:25:00.000"


def test_read_to_never_goes_back_before_the_start_and_stays_there_without_records():
    assert ListingCursor("2026-03-02T09:00:00.000", in_stamp_order=False).read_to() == "2026-03-02T09:00:00.000"
    ticks = iter([0.0, 3600.0])
    listing = ListingCursor("2026-03-02T09:00:00.000", in_stamp_order=False, clock=lambda: next(ticks))
    listing.seen("A-1", "2026-03-02T09:30:00.000")
    assert listing.read_to() == "2026-03-02T09:00:00.000"


def test_the_overlap_is_a_setting(settings):
    assert cursor_moment("2026-03-02T10:00:00+00:00") == datetime.fromisoformat("2026-03-02T09:58:00+00:00")
    settings.SYNC_CURSOR_OVERLAP_SECONDS = 600
    assert cursor_moment("2026-03-02T10:00:00.000") == datetime(2026, 3, 2, 10, 0) - timedelta(minutes=10)
