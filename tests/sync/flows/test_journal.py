"""Sales journal entries: orders queued as shares, each closed day's shares sent as one balanced journal
transaction per day, currency and VAT category, exactly once, against a fake ERP that takes journal entries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from sync import bindings
from sync.flows.journal_mapping import ShareFigures, journal_reference, reference_parse
from sync.journal import journal_shares_queue
from sync.models import (
    ExternalRef,
    Flow,
    JournalEntry,
    JournalShare,
    JournalVatAccount,
    OrderDocument,
    RecordLog,
    SyncRecord,
)
from sync.services import flow_run
from tests.factories import IntegrationFactory
from tests.fakes import FakeJournalErp

D = Decimal
DAY1 = (date.today() - timedelta(days=3)).isoformat()
DAY2 = (date.today() - timedelta(days=2)).isoformat()


@pytest.fixture
def erp(monkeypatch):
    fake = FakeJournalErp(vat_accounts={"SE6": "2631", "OSS-DE": "2614"})
    monkeypatch.setattr("sync.flows.journal.erp_for", lambda integration: fake)
    return fake


@pytest.fixture
def journal_integration(db):
    integration = IntegrationFactory(
        order_document=OrderDocument.JOURNAL_ENTRY, journal_receivable_account="1580", erp_branch="1"
    )
    JournalVatAccount.objects.create(integration=integration, vat_category="SE25", account="2611")
    return integration


def queue(integration, number, day, currency, *shares, places=2, rate=None):
    figures = [
        ShareFigures(category, tuple((a, D(n)) for a, n in lines), sum((D(n) for _, n in lines), D(0)), D(vat))
        for category, lines, vat in shares
    ]
    return journal_shares_queue(
        integration=integration,
        order_number=number,
        day=day,
        currency=currency,
        places=places,
        currency_rate=rate,
        shares=figures,
    )


def run_journal(integration, **kwargs):
    return flow_run(integration=integration, flow=Flow.JOURNAL, trigger="manual", **kwargs)


def lines_of(draft) -> list[tuple[str, Decimal, Decimal, str]]:
    return [(line.account, line.debit, line.credit, line.vat_category) for line in draft.lines]


def test_one_balanced_exact_entry_per_day_currency_and_vat_category(journal_integration, erp):
    queue(
        journal_integration,
        "1001",
        DAY1,
        "SEK",
        ("SE25", [("3001", "100.00")], "25.00"),
        ("SE6", [("3002", "94.34")], "5.66"),
    )
    queue(journal_integration, "1002", DAY1, "SEK", ("SE25", [("3001", "79.99"), ("3740", "0.01")], "20.00"))
    queue(journal_integration, "1003", DAY1, "EUR", ("OSS-DE", [("3106", "84.03")], "15.97"))
    queue(journal_integration, "1004", DAY2, "SEK", ("SE25", [("3001", "40.00")], "10.00"))
    queue(journal_integration, "1005", DAY1, "JPY", ("EXPORT", [("3105", "2500"), ("3740", "-1")], "0"), places=0)

    run = run_journal(journal_integration)

    assert (run.status, run.ok_count, run.failed_count) == ("succeeded", 5, 0)
    sent = erp.by_reference()
    assert set(sent) == {
        f"KOPPLA-{DAY1}-SEK-SE25-1",
        f"KOPPLA-{DAY1}-SEK-SE6-1",
        f"KOPPLA-{DAY1}-EUR-OSS-DE-1",
        f"KOPPLA-{DAY2}-SEK-SE25-1",
        f"KOPPLA-{DAY1}-JPY-EXPORT-1",
    }
    se25 = sent[f"KOPPLA-{DAY1}-SEK-SE25-1"]
    assert lines_of(se25) == [
        ("3001", D(0), D("179.99"), "SE25"),
        ("3740", D(0), D("0.01"), "SE25"),
        ("2611", D(0), D("45.00"), "SE25"),  # the mapping's VAT account
        ("1580", D("225.00"), D(0), ""),
    ]
    assert se25.order_numbers == ("1001", "1002") and se25.transaction_date == DAY1 and se25.branch == "1"
    assert [line.taxable for line in se25.lines] == [D("179.99"), D("0.01"), D(0), D(0)]  # 0: the VAT line
    assert lines_of(sent[f"KOPPLA-{DAY1}-SEK-SE6-1"])[1:] == [
        ("2631", D(0), D("5.66"), "SE6"),
        ("1580", D("100.00"), D(0), ""),
    ]
    assert sent[f"KOPPLA-{DAY1}-EUR-OSS-DE-1"].total == D("100.00")  # the ERP's VAT account 2614
    jpy = sent[f"KOPPLA-{DAY1}-JPY-EXPORT-1"]  # a negative rounding line is booked on the debit side
    assert lines_of(jpy) == [
        ("3105", D(0), D(2500), "EXPORT"),
        ("3740", D(1), D(0), "EXPORT"),
        ("1580", D(2499), D(0), ""),
    ]
    assert [line.taxable for line in jpy.lines] == [D(2500), D(-1), D(0)]
    for draft in sent.values():
        assert sum(line.debit for line in draft.lines) == sum(line.credit for line in draft.lines)

    entry = JournalEntry.objects.get(reference=f"KOPPLA-{DAY1}-SEK-SE25-1")
    ref = ExternalRef.objects.get(
        integration=journal_integration, kind="journal_transaction", source_id=entry.reference
    )
    assert (entry.status, entry.erp_number, ref.target_id) == ("created", ref.target_id, entry.erp_number)
    assert (entry.net, entry.vat, entry.gross, entry.order_count) == (D("180.00"), D("45.00"), D("225.00"), 2)
    assert ref.data["total"] == "225.00" and ref.data["released"] is True
    log = RecordLog.objects.get(run=run, source_id=entry.reference)
    assert log.response["orders"] == ["1001", "1002"]
    assert "net 180.00\xa0SEK + VAT 45.00\xa0SEK = 225.00\xa0SEK, 2 orders" in log.error
    assert log.request["reference"] == entry.reference

    again = run_journal(journal_integration)  # nothing is sent twice
    assert again.done == 0 and len(erp.transactions) == 5


def test_a_crash_after_the_remote_create_binds_the_entry_found_by_reference(journal_integration, erp, monkeypatch):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    reference = f"KOPPLA-{DAY1}-SEK-SE25-1"
    real_save = bindings.binding_save

    def crash(**kwargs):
        if kwargs["kind"] == ExternalRef.Kind.JOURNAL_TRANSACTION:
            raise SystemError("worker killed right after the remote create")
        return real_save(**kwargs)

    monkeypatch.setattr(bindings, "binding_save", crash)
    run = run_journal(journal_integration)
    assert RecordLog.objects.get(run=run, source_id=reference).status == "failed"
    assert erp.creates == {reference: 1}
    assert JournalEntry.objects.get(reference=reference).status == "pending"
    assert JournalShare.objects.get(order_number="1001").entry.reference == reference  # the intent stays

    monkeypatch.setattr(bindings, "binding_save", real_save)
    run_journal(journal_integration)

    assert erp.creates == {reference: 1} and erp.finds == [reference]
    entry = JournalEntry.objects.get(reference=reference)
    ref = ExternalRef.objects.get(integration=journal_integration, kind="journal_transaction", source_id=reference)
    assert entry.status == "created" and entry.erp_number == ref.target_id == next(iter(erp.transactions))
    assert ref.data["found_by"] == "search"
    assert SyncRecord.objects.get(integration=journal_integration, flow="journal", source_id=reference).status == "ok"


def test_a_lost_answer_is_looked_up_by_the_resync_not_created_again(journal_integration, erp, resync):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    reference = f"KOPPLA-{DAY1}-SEK-SE25-1"
    erp.lose_answer.add(reference)

    run = run_journal(journal_integration)
    assert "may have arrived" in RecordLog.objects.get(run=run, source_id=reference).error

    resync(journal_integration, "journal", [reference])
    assert erp.creates == {reference: 1} and len(erp.transactions) == 1
    assert JournalEntry.objects.get(reference=reference).status == "created"


def test_a_late_order_of_a_journalled_day_goes_into_the_next_entry_of_that_day(journal_integration, erp):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    run_journal(journal_integration)
    queue(journal_integration, "1009", DAY1, "SEK", ("SE25", [("3001", "8.00")], "2.00"))

    run_journal(journal_integration)

    sent = erp.by_reference()
    assert sent[f"KOPPLA-{DAY1}-SEK-SE25-1"].order_numbers == ("1001",)
    late = sent[f"KOPPLA-{DAY1}-SEK-SE25-2"]
    assert late.order_numbers == ("1009",) and late.total == D("10.00")


def test_an_order_in_an_entry_is_not_requeued_nor_sent_again(journal_integration, erp):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    run_journal(journal_integration)

    entry = queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "999.00")], "249.75"))

    assert entry is not None and entry.reference == f"KOPPLA-{DAY1}-SEK-SE25-1"
    assert JournalShare.objects.get(order_number="1001").net == D("100.00")
    run_journal(journal_integration)
    assert len(erp.transactions) == 1


def test_reading_an_order_again_before_its_day_is_journalled_replaces_its_shares(journal_integration, erp):
    queue(
        journal_integration,
        "1001",
        DAY1,
        "SEK",
        ("SE25", [("3001", "100.00")], "25.00"),
        ("SE6", [("3002", "10.00")], "0.60"),
    )
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "120.00")], "30.00"))

    run_journal(journal_integration)

    assert list(erp.by_reference()) == [f"KOPPLA-{DAY1}-SEK-SE25-1"]
    assert erp.by_reference()[f"KOPPLA-{DAY1}-SEK-SE25-1"].total == D("150.00")


def test_a_bad_group_fails_alone_and_goes_once_fixed(journal_integration, erp, resync):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    queue(journal_integration, "1002", DAY1, "SEK", ("SE12", [("3003", "50.00")], "6.00"))  # no VAT account known
    queue(journal_integration, "1003", DAY1, "EUR", ("OSS-DE", [("3106", "84.03")], "15.97"))
    refused = f"KOPPLA-{DAY1}-EUR-OSS-DE-1"
    erp.problems[refused] = ["account 3106 is not active"]

    run = run_journal(journal_integration)

    failed = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    se12 = f"KOPPLA-{DAY1}-SEK-SE12-1"
    assert set(failed) == {se12, refused}
    assert "no account is known for the VAT of VAT category SE12" in failed[se12]
    assert "Sync › Sales journal VAT accounts" in failed[se12]
    assert "account 3106 is not active" in failed[refused] and "Nothing was written to Fake ERP" in failed[refused]
    assert list(erp.by_reference()) == [f"KOPPLA-{DAY1}-SEK-SE25-1"]
    assert not JournalEntry.objects.filter(reference__in=[se12, refused]).exists()  # no intent for a refused one
    assert JournalShare.objects.filter(entry__isnull=True).count() == 2

    JournalVatAccount.objects.create(integration=journal_integration, vat_category="SE12", account="2621")
    del erp.problems[refused]
    resync(journal_integration, "journal", [se12, refused])

    assert set(erp.by_reference()) == {f"KOPPLA-{DAY1}-SEK-SE25-1", se12, refused}
    assert lines_of(erp.by_reference()[se12])[1] == ("2621", D(0), D("6.00"), "SE12")


def test_a_refused_create_leaves_the_intent_for_the_resync(journal_integration, erp, resync):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    reference = f"KOPPLA-{DAY1}-SEK-SE25-1"
    erp.refuse[reference] = "The financial period 202611 is closed."

    run = run_journal(journal_integration)
    assert "financial period 202611 is closed" in RecordLog.objects.get(run=run, source_id=reference).error
    queue(journal_integration, "1002", DAY1, "SEK", ("SE25", [("3001", "8.00")], "2.00"))  # late: the next entry

    del erp.refuse[reference]
    resync(journal_integration, "journal", [reference])

    assert erp.by_reference()[reference].order_numbers == ("1001",)
    run_journal(journal_integration)
    assert erp.by_reference()[f"KOPPLA-{DAY1}-SEK-SE25-2"].order_numbers == ("1002",)


def test_without_a_receivable_account_every_group_fails_saying_so_and_nothing_is_written(journal_integration, erp):
    journal_integration.journal_receivable_account = ""
    journal_integration.save()
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))

    run = run_journal(journal_integration)

    log = RecordLog.objects.get(run=run)
    assert log.status == "failed"
    assert "no journal receivable account" in log.error and "Sync › Integrations" in log.error
    assert erp.creates == {} and not JournalEntry.objects.exists()


def test_today_is_not_journalled_until_it_is_over(journal_integration, erp):
    from sync.flows.vat_rules import local_today

    queue(journal_integration, "1001", local_today("SE"), "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    run = run_journal(journal_integration)
    assert run.done == 0 and erp.transactions == {}
    assert "No closed day" in run.message


def test_a_dry_run_shows_the_entry_and_writes_nothing(journal_integration, erp):
    queue(journal_integration, "1001", DAY1, "SEK", ("SE25", [("3001", "100.00")], "25.00"))
    run = run_journal(journal_integration, dry_run=True)
    log = RecordLog.objects.get(run=run)
    assert log.status == "dry_run" and [line["account"] for line in log.request["lines"]] == ["3001", "2611", "1580"]
    assert erp.creates == {} and not JournalEntry.objects.exists()


def test_an_erp_without_journal_entries_fails_the_run_with_the_reason(journal_integration, erp):
    erp.capabilities = frozenset()
    run = run_journal(journal_integration)
    assert run.status == "failed" and "cannot send sales journal entries to Fake ERP" in run.message


def test_references_read_back_with_dashes_in_the_vat_category():
    reference = journal_reference("2026-11-30", "EUR", "OSS-AT", 12)
    assert reference == "KOPPLA-2026-11-30-EUR-OSS-AT-12"
    assert reference_parse(reference) == ("2026-11-30", "EUR", "OSS-AT", 12)
    assert reference_parse("KOPPLA-2026-11-30-EUR-OSS-AT-x") is None
    assert reference_parse("INV-1") is None
