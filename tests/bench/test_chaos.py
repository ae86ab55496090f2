"""The chaos bench's own logic: what it refuses, what it sends, how it counts and what it calls a failure.

The bench itself runs by hand (minutes, several processes, PostgreSQL); these tests keep its
pure parts honest so a figure it reports means what its label says.
"""

import importlib.util
from pathlib import Path

import pytest

from integrations.centra.webhooks import signature_verify

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"


@pytest.fixture(scope="module")
def chaos():
    spec = importlib.util.spec_from_file_location("bench_chaos", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result(**changes) -> dict:
    """A bench result where every invariant holds, with `changes` applied."""
    base = {
        "label": "main at abc1234",
        "when": "2026-11-30T12:00:00+00:00",
        "machine": "x86_64, 2 cores",
        "orders": 10,
        "load_average": {"start": [1.0, 1.0, 1.0], "end": [1.5, 1.0, 1.0]},
        "setup": {
            "exportable_orders": 9,
            "shop_customers": 6,
            "emails_expected": 7,
            "fault_rate": 0.1,
            "retry_after_seconds": 1,
            "paces": {"centra": "20/10 s", "visma_net": "100/10 s"},
            "rate_scale": 1.0,
            "interval_seconds": 3.0,
            "q_timeout": "1800 (default)",
            "drain_limit_minutes": 20,
        },
        "drained_after_seconds": 80.0,
        "elapsed_seconds": 80.0,
        "invoices_per_order": {"0": 0, "1": 9, "2+": 0},
        "orders_with_unreleased_invoice": 0,
        "invoices_for_orders_not_exportable": 0,
        "customers_per_email": {"0": 0, "1": 7, "2+": 0},
        "records_not_ok": {"orders": {}, "customers": {}},
        "webhooks": {
            "sent": 3,
            "by_status": {"202": 2, "401": 1},
            "5xx": 0,
            "by_kind": {"valid": {"202": 2}, "bad_signature": {"401": 1}},
            "stored_events": {"accepted": 2, "rejected": 1},
            "runs_triggered": {"orders succeeded": 2},
        },
        "429s_received": 4,
        "pauses": {"visma_net": {"429s": 4, "calls_in_pause_other_process": 0, "calls_in_pause_same_process": 0}},
        "faults_fired": [{"system": "visma_net", "kind": "rate_limit", "status": None, "endpoint": ".*", "fired": 4}],
        "runs": {"orders schedule succeeded": 3},
        "failed_run_messages": {},
        "failed_record_errors": {},
        "kill": None,
        "notes": [],
    }
    return {**base, **changes}


def test_refuses_sqlite_with_a_reason(chaos):
    with pytest.raises(chaos.SetupError, match="needs PostgreSQL"):
        chaos.database_prepare("sqlite:///var/bench.sqlite3")


def test_never_drops_a_database_whose_name_does_not_say_bench(chaos):
    with pytest.raises(chaos.SetupError, match="Refusing to drop"):
        chaos.database_prepare("postgres://postgres@127.0.0.1:5432/koppla")


def test_flood_plan_holds_every_kind_of_delivery(chaos):
    plan = chaos.deliveries_plan(count=200, order_numbers=["20001", "20002", "20003"], customer_ids=["1"], seed=1)

    kinds = {item["kind"] for item in plan}
    variants = {item["variant"] for item in plan if item["kind"] == "malformed"}
    assert kinds == {"valid", "replay", "bad_signature", "malformed"}
    assert variants == {
        "huge_timestamp",
        "negative_timestamp",
        "list_payload",
        "null_payload",
        "number_payload",
        "string_payload",
        "deep_nesting",
        "nul_in_event",
        "one_bad_id",
        "oversized_body",
        "not_form_encoded",
    }
    assert all(plan[item["of"]]["kind"] == "valid" for item in plan if item["kind"] == "replay")


def test_valid_deliveries_are_signed_as_centra_signs_and_bad_ones_are_not(chaos):
    sent = {}
    valid = {"kind": "valid", "events": [{"type": "order", "id": 20001}]}
    body, header = chaos.delivery_build(valid, secret="s3cret-webhook", sent=sent)
    sent[0] = (body, header)

    assert signature_verify(header=header, body=body, secret="s3cret-webhook").ok
    bad_body, bad_header = chaos.delivery_build(
        {"kind": "bad_signature", "ids": ["20001"]}, secret="s3cret-webhook", sent=sent
    )
    assert signature_verify(header=bad_header, body=bad_body, secret="s3cret-webhook").reason == (
        "signature does not match"
    )
    assert chaos.delivery_build({"kind": "replay", "of": 0}, secret="s3cret-webhook", sent=sent) == (body, header)
    big, _ = chaos.delivery_build(
        {"kind": "malformed", "variant": "oversized_body", "ids": ["20001"]}, secret="s3cret-webhook", sent=sent
    )
    assert len(big) > 5_000_000


def test_calls_in_a_pause_are_those_another_process_starts_within_retry_after(chaos):
    calls = [
        {"sys": "visma_net", "t0": 9.9, "t1": 10.0, "st": 429, "pid": 1},
        {"sys": "visma_net", "t0": 10.5, "t1": 10.6, "st": 200, "pid": 2},  # inside the 1 s pause, other worker
        {"sys": "visma_net", "t0": 11.0, "t1": 11.1, "st": 200, "pid": 1},  # the same worker after waiting
        {"sys": "visma_net", "t0": 11.2, "t1": 11.3, "st": 200, "pid": 2},  # after the pause
        {"sys": "centra", "t0": 10.2, "t1": 10.3, "st": 200, "pid": 2},  # another system: no pause there
    ]

    pauses = chaos.calls_in_pauses(calls, retry_after=1.0)

    assert pauses["visma_net"] == {"429s": 1, "calls_in_pause_other_process": 1, "calls_in_pause_same_process": 0}
    assert pauses["centra"]["calls_in_pause_other_process"] == 0


def test_every_broken_invariant_is_reported(chaos):
    assert chaos.invariants(result()) == []

    broken = result(
        invoices_per_order={"0": 1, "1": 7, "2+": 1},
        customers_per_email={"0": 0, "1": 6, "2+": 1},
        records_not_ok={"orders": {"never attempted": 3}, "customers": {}},
        webhooks={**result()["webhooks"], "5xx": 2},
        drained_after_seconds=None,
    )

    failures = " | ".join(chaos.invariants(broken))
    assert "1 orders with none, 1 with two or more" in failures
    assert "0 e-mails with none, 1 with two or more" in failures
    assert "orders records not ok: 3 never attempted" in failures
    assert "2 webhook deliveries answered 5xx" in failures
    assert "not drained within 20 minutes" in failures


def test_results_keep_other_labels_and_replace_the_same_one(chaos, tmp_path, monkeypatch):
    monkeypatch.setattr(chaos, "RESULTS", tmp_path)
    before = result(label="before the fixes (main at 12fcff5)", failures=["2 webhook deliveries answered 5xx"])
    chaos.results_write(before)
    chaos.results_write(result(label="after", failures=[]))
    chaos.results_write(result(label="after", failures=[], drained_after_seconds=75.0))

    text = (tmp_path / "chaos.md").read_text()
    assert text.count("## before the fixes (main at 12fcff5)") == 1 and text.count("## after") == 1
    assert "FAILS: 2 webhook deliveries answered 5xx" in text
    assert "| time to drain | 75 s |" in text and "| time to drain | 80 s |" in text


def test_kill_rows_say_what_the_worker_was_doing_and_how_long_the_flow_stayed_blocked(chaos):
    kill = {
        "worker": "orders-1",
        "at_seconds": 177.0,
        "flow": "orders",
        "run": 2,
        "run_trigger": "schedule",
        "run_done_at_kill": 100,
        "record_in_flight": "20451",
        "record_seconds_in_flight": 0.4,
        "last_remote_call": {"call": "visma_net POST v2/customerinvoice", "status": 201, "seconds_before_kill": 0.1},
        "record_logged_by_killed_run": False,
        "record_first_log_after_kill": None,
        "record_final_status": "never recorded",
        "record_invoices": 1,
    }

    blocked = "\n".join(chaos.kill_rows(kill, elapsed=1210.0))
    assert "while processing record 20451 (0.4 s into it; last remote call visma_net POST v2/customerinvoice" in blocked
    assert "never within the run (blocked ≥ 1033 s)" in blocked
    assert "no log after the kill; final state never recorded, 1 invoice(s)" in blocked

    taken_over = {**kill, "takeover_seconds": 312.0, "takeover_run": {"id": 578, "trigger": "schedule"}}
    assert "| 312 s (run 578, schedule) |" in "\n".join(chaos.kill_rows(taken_over, elapsed=1210.0))
