"""The eAccounting demo's paid orders go to Visma.net as each of the three order documents (customer invoice,
sales order, sales journal entry) exactly once, across a crash between the remote create and its binding, with
the total the customer paid and the shop's VAT per VAT category. Sales order lines find their Visma.net item
through the products flow's ARTICLE bindings (ERP item → eAccounting article). Both sandboxes, no network."""

from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from integrations.eaccounting import sandbox as ea
from integrations.sandbox import store
from integrations.visma_net import sandbox as visma
from sync import bindings
from sync.demo import demo_seed
from sync.demo_eaccounting import DEMO_EACCOUNTING_INTEGRATION
from sync.models import ExternalRef, Flow, Integration, IntegrationFlow, JournalShare, RecordLog
from sync.services import flow_run

pytestmark = pytest.mark.django_db
D = Decimal
KINDS = {"invoice": ExternalRef.Kind.INVOICE, "sales_order": ExternalRef.Kind.SALES_ORDER}


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    from tests.fakes import FakeClock

    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", FakeClock())


@pytest.fixture
def integration() -> Integration:
    demo_seed(site_url="http://testserver", orders=5, connect=True)
    integration = Integration.objects.select_related("shop", "erp").get(name=DEMO_EACCOUNTING_INTEGRATION)
    IntegrationFlow.objects.filter(integration=integration, flow__in=["orders", "journal"]).update(enabled=True)
    return integration


def paid_orders() -> dict[str, dict]:
    """The eAccounting orders whose invoices are all paid, by order number (what 'only paid orders' sends)."""
    invoices = store.obj_list(ea.SYSTEM, ea.INVOICE)
    by_order = defaultdict(list)
    for invoice in invoices:
        if invoice.get("CreatedFromOrderId") and not invoice.get("IsCreditInvoice"):
            by_order[invoice["CreatedFromOrderId"]].append(invoice["PaymentStatus"] == 0)
    orders = store.obj_list(ea.SYSTEM, ea.ORDER)
    return {str(o["Number"]): o for o in orders if by_order.get(o["Id"]) and all(by_order[o["Id"]])}


def paid_total(order: dict) -> D:
    return sum((D(str(order.get(key) or 0)) for key in ("Amount", "VatAmount", "RoundingsAmount")), D(0))


def articles_as_visma_items(integration: Integration) -> None:
    """What the products flow leaves behind: each article an ERP item of the same number, bound ARTICLE."""
    for article in store.obj_list(ea.SYSTEM, ea.ARTICLE):
        visma.inventory_item_put(article["Number"], article["Name"], price=D("0"), stock=False)
        bindings.binding_save(
            integration=integration, kind=ExternalRef.Kind.ARTICLE, source_id=article["Number"], target_id=article["Id"]
        )
    for item in ("ROUNDING", "FREIGHT"):
        visma.inventory_item_put(item, item.title(), price=D("0"), stock=False)


REAL_SAVE = bindings.binding_save


def crash_once_after_create(monkeypatch, kind: str) -> list[str]:
    """Kill the worker once, right after the first remote create of `kind`, before its binding is saved."""
    real_save, crashed = REAL_SAVE, []

    def save(**kwargs):
        if kwargs["kind"] == kind and not crashed and "found_by" not in (kwargs.get("data") or {}):
            crashed.append(kwargs["source_id"])
            raise SystemError("worker killed right after the remote create")
        return real_save(**kwargs)

    monkeypatch.setattr(bindings, "binding_save", save)
    return crashed


@pytest.mark.parametrize("document", ["invoice", "sales_order"])
def test_each_paid_order_becomes_one_document_across_a_crash_with_the_shops_totals(
    integration, document, monkeypatch, resync
):
    integration.order_document = document
    integration.save()
    articles_as_visma_items(integration)
    paid = paid_orders()
    crashed = crash_once_after_create(monkeypatch, KINDS[document])

    run = flow_run(integration=integration, flow=Flow.ORDERS, trigger="manual")
    failed = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    assert list(failed) == crashed and "worker killed" in failed[crashed[0]], failed
    monkeypatch.setattr(bindings, "binding_save", REAL_SAVE)  # the worker is back
    resync(integration, "orders", crashed)
    flow_run(integration=integration, flow=Flow.ORDERS, trigger="manual")  # nothing new: all bound

    stored = visma.invoices() if document == "invoice" else visma.sales_orders()
    reference = "customerRefNumber" if document == "invoice" else "customerRefNo"
    made = Counter(doc.get(reference) for doc in stored)
    assert made == Counter(list(paid)), made  # each paid order once, the crashed one too, nothing else
    bound = ExternalRef.objects.filter(integration=integration, kind=KINDS[document])
    assert sorted(bound.values_list("source_id", flat=True)) == sorted(paid)
    for doc in stored:
        order = paid[doc[reference]]
        assert D(str(doc["amount" if document == "invoice" else "orderTotal"])) == paid_total(order), doc[reference]
        assert D(str(doc["vatTotal" if document == "invoice" else "taxTotal"])) == D(str(order["VatAmount"]))


def test_paid_orders_become_daily_journal_entries_once_across_a_crash(integration, monkeypatch, resync):
    integration.order_document = "journal_entry"
    integration.save()
    paid = paid_orders()
    flow_run(integration=integration, flow=Flow.ORDERS, trigger="manual")
    assert set(JournalShare.objects.filter(integration=integration).values_list("order_number", flat=True)) == set(
        paid
    )
    crashed = crash_once_after_create(monkeypatch, ExternalRef.Kind.JOURNAL_TRANSACTION)

    flow_run(integration=integration, flow=Flow.JOURNAL, trigger="manual")
    monkeypatch.setattr(bindings, "binding_save", REAL_SAVE)  # the worker is back
    resync(integration, "journal", crashed)
    flow_run(integration=integration, flow=Flow.JOURNAL, trigger="manual")

    batches = [b for b in visma.journal_transactions() if str(b.get("description", "")).startswith("KOPPLA-")]
    assert sorted(Counter(b["description"] for b in batches).values()) == [1] * len(batches)
    assert ExternalRef.objects.filter(integration=integration, kind="journal_transaction").count() == len(batches)
    lines = [line for batch in batches for line in batch["journalTransactionLines"]]

    def total(side: str, account: str | None = None) -> D:
        return sum(
            (D(str(x[f"{side}AmountInCurrency"] or 0)) for x in lines if account in (None, x["accountNumber"])), D(0)
        )

    assert total("debit") == total("credit")  # every entry balanced
    journalled = set(
        JournalShare.objects.filter(integration=integration, entry__isnull=False).values_list("order_number", flat=True)
    )
    assert journalled  # the closed days' paid orders (today's wait for their day to end)
    # the receivable carries what the customers paid (öre roundings included, booked outside VAT on 3740)
    receivable = integration.journal_receivable_account
    assert total("debit", receivable) - total("credit", receivable) == sum(
        (paid_total(paid[number]) for number in journalled), D(0)
    )
