"""End to end against the Visma.net sandbox: the demo shop's orders as daily sales journal entries (GL batches),
their receivable debits and VAT credits the orders' to the smallest unit, exactly once across a crash."""

from collections import Counter
from decimal import Decimal

import pytest

from integrations.centra import demo_data as centra_demo
from integrations.http import record_calls
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync import bindings
from sync.models import ExternalRef, Flow, JournalEntry, JournalShare, JournalVatAccount, OrderDocument, RecordLog
from sync.services import flow_run

ZERO = Decimal("0")


@pytest.fixture
def journal_integration(flow_integration):
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    flow_integration.order_document = OrderDocument.JOURNAL_ENTRY
    flow_integration.journal_receivable_account = "1580"
    flow_integration.full_clean()  # Visma.net takes journal entries
    flow_integration.save()
    return flow_integration


def batches_by_reference() -> Counter:
    return Counter(batch["description"] for batch in visma.journal_transactions())


def side(batch: dict, account: str) -> Decimal:
    """Credit minus debit booked on `account` in a GL batch."""
    return sum(
        (
            Decimal(str(line["creditAmountInCurrency"])) - Decimal(str(line["debitAmountInCurrency"]))
            for line in batch["journalTransactionLines"]
            if line["accountNumber"] == account
        ),
        ZERO,
    )


def test_the_demo_shops_days_become_gl_batches_exactly_once(journal_integration, monkeypatch):
    centra_demo.seed(orders=20)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    for category in set(JournalShare.objects.values_list("vat_category", flat=True)):
        JournalVatAccount.objects.create(integration=journal_integration, vat_category=category, account="2611")

    real_save = bindings.binding_save
    crashed = []

    def crash_once(**kwargs):
        if kwargs["kind"] == ExternalRef.Kind.JOURNAL_TRANSACTION and not crashed:
            crashed.append(kwargs["source_id"])
            raise SystemError("worker killed right after the remote create")
        return real_save(**kwargs)

    monkeypatch.setattr(bindings, "binding_save", crash_once)
    run = flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")
    failed = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    assert list(failed) == crashed and run.ok_count >= 3

    flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")  # the pending one is found

    entries = list(JournalEntry.objects.filter(integration=journal_integration))
    assert entries and all(entry.status == "created" for entry in entries)
    assert set(batches_by_reference().values()) == {1}  # one batch per entry, the crashed one too
    batches = {batch["description"]: batch for batch in visma.journal_transactions()}
    assert set(batches) == {entry.reference for entry in entries}
    for entry in entries:
        batch = visma.document_get(visma.JOURNAL, entry.erp_number)
        assert batch["description"] == entry.reference and batch["currencyId"] == entry.currency
        assert -side(batch, "1580") == entry.gross  # the day's gross of the category, debited
        assert side(batch, "2611") == entry.vat
        shares = JournalShare.objects.filter(entry=entry)
        assert sum((s.gross for s in shares), ZERO) == entry.gross
    ref = ExternalRef.objects.get(integration=journal_integration, kind="journal_transaction", source_id=crashed[0])
    assert ref.data["found_by"] == "search"


def _vat_lines(batch: dict) -> list[dict]:
    return [line for line in batch["journalTransactionLines"] if line.get("vat")]


def test_without_a_mapping_row_the_vat_goes_to_the_account_visma_net_gives_read_once(journal_integration):
    centra_demo.seed(orders=20)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    assert not JournalVatAccount.objects.filter(integration=journal_integration).exists()
    payable = {vat["vatId"]: vat["glAccounts"]["vatPayableAccount"]["number"] for vat in visma._objects(visma.VAT)}
    assert payable["SE25"] == "2611" and payable["SE12"] == "2621" and payable["SE6"] == "2631"

    with record_calls() as calls:
        run = flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")

    assert run.failed_count == 0 and run.ok_count >= 3
    assert len([c for c in calls if c["url"].split("?")[0].endswith("/v1/vat")]) == 1  # once per run, not per entry
    for entry in JournalEntry.objects.filter(integration=journal_integration).exclude(vat=0):
        batch = visma.document_get(visma.JOURNAL, entry.erp_number)
        (line,) = _vat_lines(batch)
        assert line["accountNumber"] == payable[entry.vat_category]
        assert side(batch, payable[entry.vat_category]) == entry.vat


def test_a_mapping_row_overrides_the_account_visma_net_gives(journal_integration):
    centra_demo.seed(orders=20)
    flow_run(integration=journal_integration, flow=Flow.ORDERS, trigger="manual")
    category = sorted(set(JournalShare.objects.exclude(vat=0).values_list("vat_category", flat=True)))[0]
    JournalVatAccount.objects.create(integration=journal_integration, vat_category=category, account="2631")

    flow_run(integration=journal_integration, flow=Flow.JOURNAL, trigger="manual")

    entries = JournalEntry.objects.filter(integration=journal_integration, vat_category=category).exclude(vat=0)
    assert entries
    for entry in entries:
        batch = visma.document_get(visma.JOURNAL, entry.erp_number)
        assert [line["accountNumber"] for line in _vat_lines(batch)] == ["2631"]
        assert side(batch, "2631") == entry.vat
