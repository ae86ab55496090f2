"""The engine's database work per record is constant: an in-flight mark, the log, the state; states a page at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sync import services
from sync.flows.base import FlowRunner, Outcome, RecordFailed
from sync.flows.paging import listing_plan
from sync.models import RecordLog, SyncRecord, SyncRun
from sync.pauses import CursorMarks

pytestmark = pytest.mark.django_db

CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "ROLLBACK")


class ListedFlow(FlowRunner):
    """`count` orders listed in change order by `listing_plan`; every seventh one fails. No DB work of its own."""

    flow = "orders"
    count = 10

    def changed_since(self, cursor):
        nodes = [
            {"id": f"{n:05d}", "updatedAt": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z"} for n in range(self.count)
        ]
        return listing_plan(nodes, cursor, self._item)

    @staticmethod
    def _item(node):
        from sync.flows.base import SourceItem

        return SourceItem(node["id"], f"order {node['id']}", node, cursor=node["updatedAt"])

    def process(self, item):
        if int(item.source_id) % 7 == 3:
            raise RecordFailed("No tax-zone mapping for FR")
        return Outcome("ok", target_id=f"INV-{item.source_id}")

    def record_begin(self, item):  # field rules are the flow's, not the engine's
        pass


@pytest.fixture(autouse=True)
def listed_flow(monkeypatch):
    monkeypatch.setattr(services, "runner_class", lambda flow: ListedFlow)
    return ListedFlow


def statements_of_a_run(integration, count: int) -> int:
    ListedFlow.count = count
    with CaptureQueriesContext(connection) as queries:
        run = services.flow_run(integration=integration, flow="orders", trigger="manual")
    assert run.done == count
    return sum(1 for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(CONTROL))


def test_each_record_costs_the_engine_three_statements_and_each_page_one_read(integration):
    """In-flight mark with the counters (UPDATE), the log (INSERT), the state (one upsert); a page's states: 1 SELECT."""
    small = statements_of_a_run(integration, 100)  # one page
    SyncRecord.objects.all().delete()
    RecordLog.objects.all().delete()
    large = statements_of_a_run(integration, 400)  # four pages, the same records again plus new ones

    assert large - small == 300 * 3 + 3, "3 statements a record, 1 state read a page"


def test_the_counters_written_with_the_in_flight_marks_are_exact_at_the_end(integration):
    ListedFlow.count = 150
    run = services.flow_run(integration=integration, flow="orders", trigger="manual")

    failed = sum(1 for n in range(150) if n % 7 == 3)
    assert (run.total, run.done, run.ok_count, run.failed_count) == (150, 150, 150 - failed, failed)
    assert run.current_source_id == ""
    assert SyncRecord.objects.filter(status="retrying", attempts=1).count() == failed
    assert RecordLog.objects.filter(run=run).count() == 150


def test_a_failure_again_counts_from_the_state_read_with_the_page(integration):
    ListedFlow.count = 20
    services.flow_run(integration=integration, flow="orders", trigger="manual")
    SyncRun.objects.update(cursor_to="")  # the next run lists them all again

    services.flow_run(integration=integration, flow="orders", trigger="manual")

    assert SyncRecord.objects.get(source_id="00003").attempts == 2
    assert list(RecordLog.objects.filter(source_id="00003").order_by("attempt").values_list("attempt", flat=True)) == [
        1,
        2,
    ]
    assert SyncRecord.objects.get(source_id="00004").attempts == 0


START = "2025-12-31"


def test_cursor_marks_hand_over_below_the_record_in_flight():
    marks = CursorMarks()
    for cursor in ["2026-01-01", "2026-01-02", "", "2026-01-03"]:
        marks.seen(cursor)

    assert marks.before("2026-01-04", START) == "2026-01-03"  # every processed record is below it
    assert marks.before("2026-01-03", START) == "2026-01-02"  # the in-flight record shares the newest marker
    assert marks.before("", START) == "2026-01-02"  # none in flight: below the newest marker read
    assert marks.before("2026-01-01", START) == START
    assert CursorMarks().before("", START) == START


def test_a_record_listed_again_holds_the_cursor_at_or_below_its_first_stamp_in_constant_memory():
    from sync.flows.paging import FirstSeen, ListingCursor, stamp_parse

    seen = FirstSeen(block=4)
    stamps = [f"2026-01-01T00:00:{n:02d}Z" for n in range(10)]
    for n, stamp in enumerate(stamps):
        seen.add(f"id{n}", stamp_parse(stamp))

    assert seen.get("id9") == (True, stamp_parse(stamps[9]))  # recent: exact
    assert seen.get("id5") == (True, stamp_parse(stamps[4]))  # sealed block 4..7: its earliest stamp
    assert seen.get("id1") == (True, stamp_parse(stamps[0]))
    assert seen.get("id10") == (False, None)
    assert len(seen.recent) == 2 and len(seen.sealed) == 2

    listing = ListingCursor("", in_stamp_order=True)
    for n in range(5000):
        listing.seen(f"{n}", f"2026-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z")
    assert listing.seen("4990", "2026-01-02T00:00:00Z") == "2026-01-01T01:23:10+00:00"  # recent: its own first stamp
    assert listing.seen("10", "2026-01-02T00:00:01Z") == "2026-01-01T00:00:00+00:00"  # first block: at or below it
