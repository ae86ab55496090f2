"""The demo shop's orders sent as sales journal entries: the orders flow queues each order's shares (the same
mapping and VAT as its invoice), the journal flow sends each closed day's entries; totals and VAT per category
are the orders' to the smallest unit, and an order is booked once whatever the setting says later."""

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest

from integrations.adapters import erp_for
from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.centra.adapter import order_from_centra
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from mappings.selectors import mapping_set_load
from sync.flows.order_mapping import invoice_draft
from sync.flows.vat_rules import local_today
from sync.models import ExternalRef, Flow, JournalEntry, JournalShare, OrderDocument, RecordLog
from sync.services import flow_run
from tests.fakes import FakeJournalErp

ZERO = Decimal("0")


@pytest.fixture
def journal_integration(flow_integration):
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    # Set as the admin would once the ERP takes journal entries; the Visma.net sandbox here only reads VAT.
    flow_integration.order_document = OrderDocument.JOURNAL_ENTRY
    flow_integration.journal_receivable_account = "1580"
    flow_integration.save()
    return flow_integration


@pytest.fixture
def erp(monkeypatch):
    fake = FakeJournalErp()
    monkeypatch.setattr("sync.flows.journal.erp_for", lambda integration: fake)
    return fake


def queued_orders(integration) -> set[str]:
    return set(JournalShare.objects.filter(integration=integration).values_list("order_number", flat=True))


def test_orders_become_daily_entries_with_the_orders_totals_and_vat_per_category(journal_integration, erp):
    centra_demo.seed(orders=40)
    orders_run = flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")

    queued = queued_orders(journal_integration)
    assert len(queued) >= 30 and orders_run.ok_count == len(queued)
    assert not ExternalRef.objects.filter(integration=journal_integration, kind="invoice").exists()
    assert visma.invoices() == []
    log = RecordLog.objects.filter(run=orders_run, status="ok").first()
    share = JournalShare.objects.filter(order_number=log.source_id).first()
    assert f"Queued for the sales journal entry of {share.day.isoformat()}" in log.error

    # Each order's shares are its invoice draft's figures: the total and the VAT per category, exactly.
    rates = {category.id: category.rates for category in erp_for(journal_integration).vat_categories()}
    mappings = replace(mapping_set_load(integration=journal_integration), category_rates=rates)
    expected_gross = defaultdict(lambda: ZERO)  # currency → gross of the closed days
    expected_vat = defaultdict(lambda: ZERO)  # (day, currency, category) → VAT
    today = local_today("SE")
    for node in centra.orders():
        order = order_from_centra(node)
        if order.number not in queued:
            continue
        draft = invoice_draft(order, mappings)
        shares = JournalShare.objects.filter(integration=journal_integration, order_number=order.number)
        assert sum((s.gross for s in shares), ZERO) == draft.gross_total, order.number
        assert {s.vat_category: s.vat for s in shares if s.vat} == {
            t.vat_category: t.vat for t in draft.tax_details if t.vat
        }, order.number
        if draft.document_date < today:
            expected_gross[draft.currency] += draft.gross_total
            for t in draft.tax_details:
                expected_vat[(draft.document_date, draft.currency, t.vat_category)] += t.vat

    categories = set(JournalShare.objects.values_list("vat_category", flat=True))
    erp.vat_accounts = {category: "2611" for category in categories}
    run = flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")

    assert run.failed_count == 0 and run.ok_count == len(erp.transactions) >= 3
    gross = defaultdict(lambda: ZERO)
    vat = defaultdict(lambda: ZERO)
    seen_orders = defaultdict(int)
    for draft in erp.transactions.values():
        assert sum(line.debit for line in draft.lines) == sum(line.credit for line in draft.lines) == draft.total
        receivable = [line for line in draft.lines if line.account == "1580"]
        gross[draft.currency] += sum((line.debit - line.credit for line in receivable), ZERO)
        vat[(draft.transaction_date, draft.currency, draft.vat_category)] += sum(
            (line.credit for line in draft.lines if line.account == "2611"), ZERO
        )
        for number in draft.order_numbers:
            seen_orders[(number, draft.vat_category)] += 1
    assert dict(gross) == dict(expected_gross)
    assert {key: value for key, value in vat.items() if value} == {k: v for k, v in expected_vat.items() if v}
    assert set(seen_orders.values()) == {1}  # every order's share in one entry only
    assert not JournalShare.objects.filter(entry__isnull=True, day__lt=today).exists()


def test_a_journalled_order_is_never_sent_again_as_a_share_an_invoice_or_a_credit_note(
    journal_integration, erp, resync
):
    centra_demo.seed(orders=40)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    erp.vat_accounts = {c: "2611" for c in set(JournalShare.objects.values_list("vat_category", flat=True))}
    flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")
    number = "29001"  # a book at 6 %, a T-shirt at 25 %: in two entries of its day
    entries = JournalEntry.objects.filter(shares__order_number=number, status=JournalEntry.Status.CREATED)
    assert entries.count() == 2

    resync(journal_integration, "orders", [number])
    log = RecordLog.objects.filter(flow="orders", source_id=number).latest("pk")
    assert log.status == "skipped" and "Already in sales journal entry " in log.error
    assert any(f"entry {entry.erp_number} ({entry.reference})" in log.error for entry in entries)

    journal_integration.order_document = OrderDocument.INVOICE
    journal_integration.save()
    resync(journal_integration, "orders", [number])
    log = RecordLog.objects.filter(flow="orders", source_id=number).latest("pk")
    assert log.status == "skipped" and "now sends invoices, but an order is sent once" in log.error
    assert number not in {invoice["customerRefNumber"] for invoice in visma.invoices()}

    flow_run(integration=journal_integration, flow=Flow.REFUNDS, trigger="manual")
    refund = RecordLog.objects.get(flow="refunds", source_id="9001")
    assert refund.status == "skipped" and "booked in sales journal entry" in refund.error
    assert "Book the refund in the ERP by hand" in refund.error


def test_an_invoiced_order_is_not_journalled_and_a_queued_one_leaves_the_journal_when_invoiced(
    journal_integration, erp, resync
):
    centra_demo.seed(orders=12)
    journal_integration.order_document = OrderDocument.INVOICE
    journal_integration.save()
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    invoiced = set(
        ExternalRef.objects.filter(integration=journal_integration, kind="invoice").values_list("source_id", flat=True)
    )
    assert invoiced

    journal_integration.order_document = OrderDocument.JOURNAL_ENTRY
    journal_integration.save()
    victim = sorted(invoiced)[0]
    resync(journal_integration, "orders", [victim])
    log = RecordLog.objects.filter(flow="orders", source_id=victim).latest("pk")
    assert log.status == "skipped" and "Already sent as invoice" in log.error
    assert victim not in queued_orders(journal_integration)


def test_an_order_no_longer_exported_leaves_the_journal_before_its_day_is_sent(journal_integration, resync):
    centra_demo.seed(orders=12)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    victim = sorted(queued_orders(journal_integration))[0]

    journal_integration.allowed_order_statuses = ["PENDING"]  # the order's status is no longer exported
    journal_integration.save()
    resync(journal_integration, "orders", [victim])

    log = RecordLog.objects.filter(flow="orders", source_id=victim).latest("pk")
    assert log.status == "skipped" and "share queued for the sales journal entry was withdrawn" in log.error
    assert victim not in queued_orders(journal_integration)


def test_an_order_changed_after_it_was_journalled_fails_naming_the_difference(journal_integration, erp, resync):
    centra_demo.seed(orders=40)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    erp.vat_accounts = {c: "2611" for c in set(JournalShare.objects.values_list("vat_category", flat=True))}
    flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")
    number = "29001"
    share = JournalShare.objects.filter(order_number=number, entry__status=JournalEntry.Status.CREATED).first()
    journalled_net = share.net
    # What was journalled differs from what the order maps to now (the order was edited in the shop since).
    JournalShare.objects.filter(pk=share.pk).update(net=share.net + 10)

    centra.order_set(number)  # the shop stamps the change: a normal run reads the order again
    sync_run = flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")

    log = RecordLog.objects.get(run=sync_run, source_id=number)
    assert log.status == "failed"
    assert f"Order {number} changed after it was booked in sales journal entry" in log.error
    assert f"{share.vat_category} net {share.net + 10:.2f} → {journalled_net:.2f}" in log.error
    assert "book the difference by hand" in log.error
    assert len(erp.transactions) == JournalEntry.objects.filter(integration=journal_integration).count()

    JournalShare.objects.filter(pk=share.pk).update(net=journalled_net)  # corrected: unchanged again
    resync(journal_integration, "orders", [number])
    log = RecordLog.objects.filter(flow="orders", source_id=number).latest("pk")
    assert log.status == "skipped" and "Already in sales journal entry" in log.error


def test_an_order_that_books_nothing_is_skipped_saying_so_and_queues_nothing(journal_integration, monkeypatch):
    centra_demo.seed(orders=3)
    # Every line free and no VAT: the invoice draft has no amount in any VAT category.
    monkeypatch.setattr("sync.flows.order_journal.shares_of", lambda draft: [])

    sync_run = flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")

    logs = RecordLog.objects.filter(run=sync_run)
    assert logs.exists() and set(logs.values_list("status", flat=True)) == {"skipped"}
    assert all("books nothing (no amount in any VAT category)" in log.error for log in logs)
    assert not queued_orders(journal_integration)
