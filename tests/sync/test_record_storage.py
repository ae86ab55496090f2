"""One bad record is that record's problem: whatever its data, it is logged and the run goes on.

Runs on SQLite and (with DATABASE_URL) on PostgreSQL, which refuses NUL characters in jsonb and text.
"""

from decimal import Decimal

import pytest

from sync import bindings, recording, services
from sync.bindings import binding_get, binding_save
from sync.flows.base import FlowRunner, Outcome, Plan, RecordFailed, SourceItem
from sync.models import ExternalRef, RecordLog, SyncRecord, SyncRun

pytestmark = pytest.mark.django_db

NUL_ADDRESS = "Storgatan 1\u0000"


class PoisonFlow(FlowRunner):
    """Records A, B, C; B's data carries everything a database may refuse."""

    flow = "orders"
    behaviour: dict = {}

    def changed_since(self, cursor):
        items = [
            SourceItem("A", "order A", {}, cursor="2026-01-01T00:00:00Z"),
            SourceItem("B", "order B\u0000", {}, cursor="2026-01-02T00:00:00Z"),
            SourceItem("C", "order C", {}, cursor="2026-01-03T00:00:00Z"),
        ]
        return Plan(items=[i for i in items if i.cursor > cursor], total=None)

    def fetch(self, source_id):
        if source_id == "BROKEN":
            raise KeyError("lines")
        return SourceItem(source_id, f"order {source_id}", {})

    def process(self, item):
        action = PoisonFlow.behaviour.get(item.source_id)
        if action == "poison_ok":
            return Outcome(
                "ok",
                target_id="INV-B\u0000",
                request={"address1\u0000": NUL_ADDRESS, "amount": Decimal("255.36"), "raw": b"\x00\xff"},
                response={"lines": {Decimal("1"), Decimal("2")}, "bad": "\ud800"},
                message=f"Created invoice for {NUL_ADDRESS}.",
            )
        if action == "poison_fail":
            raise RecordFailed(f"Address {NUL_ADDRESS} is odd", request={"address1": NUL_ADDRESS})
        return Outcome("ok", target_id=f"INV-{item.source_id}", request={"id": item.source_id})


@pytest.fixture(autouse=True)
def poison_flow(monkeypatch):
    PoisonFlow.behaviour = {}
    monkeypatch.setattr(services, "runner_class", lambda flow: PoisonFlow)
    return PoisonFlow


def run(integration, **kwargs):
    return services.flow_run(integration=integration, flow="orders", trigger="schedule", **kwargs)


def test_a_record_with_unstorable_values_is_logged_cleaned_and_the_run_goes_on(integration):
    PoisonFlow.behaviour = {"B": "poison_ok"}

    result = run(integration)

    assert result.status == SyncRun.Status.SUCCEEDED, result.message
    assert (result.ok_count, result.failed_count) == (3, 0)
    assert result.cursor_to == "2026-01-03T00:00:00Z"
    log = RecordLog.objects.get(source_id="B")
    assert log.source_label == "order B" and log.target_id == "INV-B"
    assert log.request == {"address1": "Storgatan 1", "amount": "255.36", "raw": "\ufffd"}
    assert log.response == {"lines": ["1", "2"], "bad": "\ufffd"}
    assert log.error == "Created invoice for Storgatan 1."


def test_a_failed_record_with_unstorable_values_keeps_its_readable_message(integration):
    PoisonFlow.behaviour = {"B": "poison_fail"}

    result = run(integration)

    assert result.status == SyncRun.Status.PARTIAL and result.failed_count == 1 and result.ok_count == 2
    log = RecordLog.objects.get(source_id="B")
    assert log.status == "failed" and log.error == "Address Storgatan 1 is odd"
    assert log.request == {"address1": "Storgatan 1"}
    state = SyncRecord.objects.get(source_id="B")
    assert state.status == SyncRecord.Status.RETRYING and state.last_error == "Address Storgatan 1 is odd"


def test_a_log_that_cannot_be_stored_becomes_a_minimal_failed_log_and_the_run_goes_on(integration, monkeypatch):
    """The last line of defence: if the details still cannot be written, the record gets a failed log saying so."""
    PoisonFlow.behaviour = {"B": "poison_ok"}
    monkeypatch.setattr(recording, "storable_json", lambda value: value)  # as before the fix: Decimal is refused

    result = run(integration)

    assert result.status == SyncRun.Status.PARTIAL, result.message
    assert (result.ok_count, result.failed_count, result.done) == (2, 1, 3)
    log = RecordLog.objects.get(source_id="B")
    assert log.status == "failed" and log.request is None and log.calls == []
    assert log.error.startswith("Koppla could not store the details of this attempt (")
    assert "The record itself went through: Created invoice for Storgatan 1." in log.error
    assert log.target_id == "INV-B"  # what was created remotely is named
    state = SyncRecord.objects.get(source_id="B")
    assert state.status == SyncRecord.Status.RETRYING and state.target_id == "INV-B"
    assert result.cursor_to == "2026-01-03T00:00:00Z"


@pytest.mark.postgres
def test_postgresql_refusing_a_nul_in_the_log_fails_only_that_record(integration, monkeypatch):
    """Chaos case 1 at the storage level: the DataError of a NUL in jsonb becomes the record's minimal log."""
    PoisonFlow.behaviour = {"B": "poison_fail"}
    monkeypatch.setattr(recording, "storable_json", lambda value: value)

    result = run(integration)

    assert result.status == SyncRun.Status.PARTIAL and (result.ok_count, result.failed_count) == (2, 1)
    log = RecordLog.objects.get(source_id="B")
    assert "Koppla could not store the details of this attempt (DataError" in log.error
    assert "The attempt failed: Address Storgatan 1 is odd" in log.error


def test_a_record_that_cannot_be_read_fails_alone(integration):
    result = services.flow_run(integration=integration, flow="orders", trigger="resync", source_ids=["BROKEN", "A"])

    assert result.status == SyncRun.Status.PARTIAL and (result.ok_count, result.failed_count) == (1, 1)
    assert "KeyError" in RecordLog.objects.get(source_id="BROKEN").error


def test_a_binding_stores_cleaned_data_and_is_found_by_the_key_it_was_saved_with(integration):
    ref = binding_save(
        integration=integration,
        kind="customer",
        source_id="anna@example.se\u0000",
        target_id="10001",
        data={"address\u0000": NUL_ADDRESS, "total": Decimal("259.00")},
    )

    assert ref.data == {"address": "Storgatan 1", "total": "259.00"}
    found = binding_get(integration=integration, kind="customer", source_id="anna@example.se\u0000")
    assert found is not None and found.target_id == "10001" and found.source_id == "anna@example.se"


def test_a_binding_whose_data_cannot_be_stored_is_saved_without_it(integration, monkeypatch):
    """Right after a remote create: the target id must be recorded, whatever happens to the details."""
    monkeypatch.setattr(bindings, "storable_json", lambda value: value)

    binding_save(integration=integration, kind="invoice", source_id="7001", target_id="100001", data={"x": Decimal(1)})

    ref = ExternalRef.objects.get(integration=integration, kind="invoice", source_id="7001")
    assert ref.target_id == "100001" and "not_stored" in ref.data
