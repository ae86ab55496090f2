"""A Centra → Fortnox integration whose order document is "sales_order": the demo shop's orders become Fortnox
orders (not invoices) whose total and VAT per rate are the shop's to the öre, exactly once.

Fortnox order rows take any VAT percentage (OrderRow VAT is a double in the spec), so the Finnish 25.5 %
orders an invoice refuses go through as orders; an order in a currency the company has not got is still
refused with the reason and nothing written.
"""

from collections import Counter
from decimal import Decimal

import pytest

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.centra.adapter import order_from_centra
from integrations.fortnox.client import FortnoxClient
from integrations.fortnox.sandbox import ORDER, invoice_vat_by_rate
from integrations.sandbox.models import SandboxObject
from sync import bindings
from sync.models import ExternalRef, Flow, OrderDocument, RecordLog, SyncRecord
from sync.services import flow_run
from tests.fakes import FakeClock

from .test_fortnox_accounting import FORTNOX_CURRENCIES, d, fortnox_integration  # noqa: F401 (fixture)


@pytest.fixture
def sales_orders(fortnox_integration):  # noqa: F811
    fortnox_integration.order_document = OrderDocument.SALES_ORDER
    fortnox_integration.full_clean()
    fortnox_integration.save()
    return fortnox_integration


def fortnox_orders() -> list[dict]:
    return list(SandboxObject.objects.filter(system="fortnox", kind=ORDER).values_list("data", flat=True))


def order_refs() -> Counter:
    return Counter(order["ExternalInvoiceReference1"] for order in fortnox_orders())


def vat_per_rate(order: dict) -> dict[Decimal, Decimal]:
    rows = {"InvoiceRows": order["OrderRows"]}
    return {rate.normalize(): vat for rate, (_net, vat) in invoice_vat_by_rate(rows).items() if vat}


def test_the_demo_shop_goes_to_fortnox_as_orders_with_the_shops_totals_and_vat_per_rate(sales_orders):
    centra_demo.seed()
    run = flow_run(integration=sales_orders, flow=Flow.ORDERS, trigger="manual")
    fortnox = FortnoxClient(sales_orders.erp, clock=FakeClock())
    failed = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    bound = dict(
        ExternalRef.objects.filter(integration=sales_orders, kind="sales_order").values_list("source_id", "target_id")
    )

    assert not ExternalRef.objects.filter(integration=sales_orders, kind="invoice").exists()
    checked = per_rate = finnish = 0
    for node in centra.orders(private=True):
        order = order_from_centra(node)
        if order.currency not in FORTNOX_CURRENCIES:
            assert order.number not in bound and "valuta" in failed[order.number], failed.get(order.number)
            assert fortnox.order_find(order.number) == []
            continue
        assert order.number in bound, (order.number, failed.get(order.number))
        document = fortnox.order_get(bound[order.number])
        assert document["ExternalInvoiceReference1"] == order.number
        assert (d(document["Total"]), document["Currency"]) == (order.grand_total, order.currency), order.number
        assert d(document["TotalVAT"]) == order.tax_total, order.number
        stated = {d(rate).normalize(): d(vat) for rate, vat in (node.get("_vatByRate") or {}).items() if d(vat)}
        if stated:
            per_rate += 1
            assert vat_per_rate(document) == stated, order.number
        else:
            assert sum(vat_per_rate(document).values(), Decimal(0)) == order.tax_total, order.number
        finnish += any(line.tax_percent == Decimal("25.5") for line in order.lines)
        checked += 1

    assert checked >= 300 and per_rate >= 20 and finnish >= 1
    assert sorted(order_refs().values(), reverse=True)[0] == 1  # one Fortnox order per shop order
    assert list(fortnox.invoice_list()) == []  # orders, not invoices
    assert run.failed_count == len(failed)


def test_a_crash_after_the_order_is_created_makes_no_second_one(sales_orders, monkeypatch, resync):
    centra_demo.seed(orders=12)
    real_save = bindings.binding_save
    crashed = []

    def crash_once_after_create(**kwargs):
        if (
            kwargs["kind"] == ExternalRef.Kind.SALES_ORDER
            and not crashed
            and "found_by" not in (kwargs.get("data") or {})
        ):
            crashed.append(kwargs["source_id"])
            raise SystemError("worker killed right after the remote create")
        return real_save(**kwargs)

    monkeypatch.setattr(bindings, "binding_save", crash_once_after_create)
    run = flow_run(integration=sales_orders, flow=Flow.ORDERS, trigger="manual")

    victim = crashed[0]
    failed = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    assert "worker killed" in failed[victim]
    assert all("valuta" in error for number, error in failed.items() if number != victim), failed  # the yen order
    assert not ExternalRef.objects.filter(integration=sales_orders, kind="sales_order", source_id=victim).exists()
    assert order_refs()[victim] == 1  # the order exists in Fortnox, unbound

    resync(sales_orders, "orders", [victim])

    assert order_refs()[victim] == 1
    ref = ExternalRef.objects.get(integration=sales_orders, kind="sales_order", source_id=victim)
    assert ref.data["found_by"] == "search" and ref.data["released"] is True
    assert SyncRecord.objects.get(integration=sales_orders, flow="orders", source_id=victim).status == "ok"
    assert max(order_refs().values()) == 1

    sent = order_refs()
    flow_run(integration=sales_orders, flow=Flow.ORDERS, trigger="manual")  # a later run sends nothing twice
    assert order_refs() == sent


def test_an_order_invoiced_before_the_setting_changed_is_not_sent_again_as_an_order(fortnox_integration):  # noqa: F811
    centra_demo.seed(orders=6)
    flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")
    invoiced = set(
        ExternalRef.objects.filter(integration=fortnox_integration, kind="invoice").values_list("source_id", flat=True)
    )
    assert invoiced

    fortnox_integration.order_document = OrderDocument.SALES_ORDER
    fortnox_integration.save()
    flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")

    assert not invoiced & set(order_refs())
