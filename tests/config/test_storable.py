"""config.storable: whatever a remote or a shop sends, what we store is accepted by PostgreSQL and SQLite."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from config.storable import MAX_DEPTH, storable_json, storable_text
from sync.models import ExternalRef, RecordLog, SyncRun


def test_text_loses_nul_characters_and_lone_surrogates_and_keeps_the_rest():
    assert storable_text("Storgatan 1\u0000") == "Storgatan 1"
    assert storable_text("a\ud800b") == "a\ufffdb"
    assert storable_text("\ud83d\ude00 ok") == "😀 ok"  # a surrogate pair is the character it stands for
    assert storable_text("Åsa Öberg – ½ € \t\n") == "Åsa Öberg – ½ € \t\n"
    assert storable_text(None) == ""
    assert storable_text(b"caf\xc3\xa9 \xff") == "café \ufffd"


def test_text_is_cut_to_a_length_with_a_mark():
    assert storable_text("x" * 10, 5) == "xxxx…"
    assert storable_text("short", 5) == "short"


def test_json_cleans_values_and_keys_and_turns_non_json_values_into_stable_text():
    value = {
        "address\u0000": "Storgatan 1\u0000",
        "price": Decimal("255.36"),
        "on": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        "raw": b"\x00abc",
        "tags": {"b", "a"},
        "pair": ("x", Decimal("-2")),
        "nan": float("nan"),
        "inf": float("-inf"),
        "id": uuid.UUID(int=1),
        7: "int key",
        None: "none key",
        "nested": [{"k\ud800": ["\u0000"]}],
    }

    stored = storable_json(value)

    assert stored == {
        "address": "Storgatan 1",
        "price": "255.36",
        "on": "2026-03-01",
        "at": "2026-03-01T10:00:00+00:00",
        "raw": "abc",
        "tags": ["a", "b"],
        "pair": ["x", "-2"],
        "nan": "NaN",
        "inf": "-Infinity",
        "id": "00000000-0000-0000-0000-000000000001",
        "7": "int key",
        "null": "none key",
        "nested": [{"k\ufffd": [""]}],
    }
    text = json.dumps(stored, allow_nan=False)
    assert "\\u0000" not in text and "\\ud800" not in text
    assert storable_json(value) == stored  # stable


def test_keys_that_clash_after_cleaning_keep_both_values():
    assert storable_json({"a\u0000": 1, "a": 2}) == {"a": 1, "a (2)": 2}


def test_nesting_deeper_than_the_limit_is_replaced_by_a_note():
    deep: list = []
    node = deep
    for _ in range(MAX_DEPTH + 10):
        node.append([])
        node = node[0]
    stored = storable_json(deep)
    depth = 0
    while isinstance(stored, list):
        stored = stored[0]
        depth += 1
    assert depth == MAX_DEPTH and "nested deeper" in stored


@pytest.mark.django_db
def test_the_database_stores_what_storable_returns(integration):
    """On PostgreSQL the raw value is refused (\\u0000 in jsonb, NUL in text); the cleaned one is stored."""
    payload = {"billingAddress\u0000": {"address1": "Storgatan 1\u0000", "total": Decimal("259.00")}}
    run = SyncRun.objects.create(integration=integration, flow="orders", trigger="manual", status="running")
    log = RecordLog.objects.create(
        run=run,
        integration=integration,
        flow="orders",
        source_id=storable_text("7001\u0000"),
        source_label=storable_text("order 7001\u0000 \ud800"),
        status="failed",
        request=storable_json(payload),
        calls=storable_json([{"response_body": "a\u0000b"}]),
        error=storable_text("Storgatan 1\u0000 is wrong"),
    )
    ref = ExternalRef.objects.create(
        integration=integration,
        kind="invoice",
        source_id="7001",
        target_id="100001",
        data=storable_json({"note\u0000": "x\u0000"}),
        synced_at=timezone.now(),
    )

    log.refresh_from_db()
    ref.refresh_from_db()
    assert log.request == {"billingAddress": {"address1": "Storgatan 1", "total": "259.00"}}
    assert log.source_id == "7001" and log.source_label == "order 7001 \ufffd"
    assert log.calls == [{"response_body": "ab"}] and log.error == "Storgatan 1 is wrong"
    assert ref.data == {"note": "x"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_the_raw_value_that_storable_json_cleans(integration):
    """The reason this module exists: proves the raw payload really is refused by PostgreSQL."""
    from django.db import DataError

    run = SyncRun.objects.create(integration=integration, flow="orders", trigger="manual", status="running")
    with pytest.raises(DataError):
        RecordLog.objects.create(
            run=run, integration=integration, flow="orders", source_id="1", status="failed", request={"a": "b\u0000"}
        )
