"""Orders shop → Visma.net invoices, end to end against both sandboxes."""

from collections import Counter
from decimal import Decimal

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.centra.adapter import order_from_centra
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping, TaxZoneMapping
from sync.models import ExternalRef, Flow, RecordLog, SyncRecord
from sync.services import flow_run


def run_orders(integration, trigger="manual"):
    return flow_run(integration=integration, flow=Flow.ORDERS, trigger=trigger)


def add_swish(integration):
    PaymentMethodMapping.objects.create(
        integration=integration, shop_method="swish", erp_payment_method="INVOICE", erp_cash_account="1930"
    )


def invoice_by_order() -> dict[str, dict]:
    invoices = visma.invoices()
    refs = Counter(inv["customerRefNumber"] for inv in invoices)
    duplicates = [ref for ref, count in refs.items() if count > 1]
    assert not duplicates, f"orders invoiced twice: {duplicates}"
    return {inv["customerRefNumber"]: inv for inv in invoices}


def exportable(integration) -> list[dict]:
    return [o for o in centra.orders() if o["status"] in integration.allowed_order_statuses]


def test_orders_become_released_invoices_with_totals_to_the_cent(flow_integration):
    centra_demo.seed(orders=60)
    add_swish(flow_integration)

    run = run_orders(flow_integration)

    orders = exportable(flow_integration)
    assert run.status == "succeeded", run.message
    assert run.ok_count == len(orders) and run.failed_count == 0
    invoices = invoice_by_order()
    assert set(invoices) == {str(o["number"]) for o in orders}
    for node in orders:
        order = order_from_centra(node)
        invoice = invoices[order.number]
        assert invoice["status"] == "Open", invoice["referenceNumber"]
        assert Decimal(str(invoice["amount"])) == order.grand_total, order.number
        ref = ExternalRef.objects.get(integration=flow_integration, kind="invoice", source_id=order.number)
        assert ref.target_id == invoice["referenceNumber"] and ref.data["released"] is True


def test_a_second_run_creates_nothing_and_logs_nothing(flow_integration):
    centra_demo.seed(orders=20)
    add_swish(flow_integration)
    run_orders(flow_integration)
    invoices, customers = visma.invoice_count(), len(visma.customers())

    second = run_orders(flow_integration)

    assert visma.invoice_count() == invoices
    assert len(visma.customers()) == customers
    assert second.ok_count == 0 and second.done == 0


def test_customers_are_found_by_email_before_one_is_created(flow_integration):
    centra_demo.seed(orders=60)
    add_swish(flow_integration)
    run_orders(flow_integration)

    emails = Counter(c["mainContact"]["email"].lower() for c in visma.customers() if c.get("mainContact"))
    assert emails and max(emails.values()) == 1
    invoices = invoice_by_order()
    by_email = {}
    for node in exportable(flow_integration):
        order = order_from_centra(node)
        number = invoices[order.number]["customer"]["number"]
        assert by_email.setdefault(order.customer_email.lower(), number) == number


def test_unmapped_payment_method_fails_alone_and_resync_after_fixing_the_mapping_succeeds(flow_integration, resync):
    centra_demo.seed(orders=320)
    swish = [o for o in exportable(flow_integration) if o["paymentMethod"]["uri"] == "swish"]
    assert swish, "the demo data has orders paid with an unmapped method"
    run = run_orders(flow_integration)

    failed = SyncRecord.objects.filter(integration=flow_integration, flow="orders").exclude(status="ok")
    assert sorted(r.source_id for r in failed) == sorted(str(o["number"]) for o in swish)
    log = RecordLog.objects.filter(run=run, status="failed").first()
    assert "unknown payment method 'swish'" in log.error and "Mappings › Payment methods" in log.error
    assert run.ok_count == len(exportable(flow_integration)) - len(swish)

    add_swish(flow_integration)
    resync(flow_integration, "orders", [r.source_id for r in failed])

    assert not SyncRecord.objects.filter(integration=flow_integration, flow="orders").exclude(status="ok").exists()
    assert set(invoice_by_order()) == {str(o["number"]) for o in exportable(flow_integration)}


def test_every_demo_order_is_invoiced_to_the_cent(flow_integration):
    """B2B reverse charge at 0 %, B2C at destination rates, domestic and non-EU export, all currencies."""
    centra_demo.seed(orders=320)
    add_swish(flow_integration)

    run = run_orders(flow_integration)

    assert run.failed_count == 0, list(
        RecordLog.objects.filter(run=run, status="failed").values_list("error", flat=True)
    )
    invoices = invoice_by_order()
    regimes = Counter()
    for node in exportable(flow_integration):
        order = order_from_centra(node)
        invoice = invoices[order.number]
        assert Decimal(str(invoice["amount"])) == order.grand_total, order.number
        assert invoice["currencyId"] == order.currency
        regime = ExternalRef.objects.get(integration=flow_integration, kind="invoice", source_id=order.number).data[
            "regime"
        ]
        regimes[regime] += 1
        if regime in ("eu_b2b", "export"):
            assert Decimal(str(invoice["vatTotal"])) == 0, order.number
    assert set(regimes) >= {"domestic", "eu_b2c", "eu_b2b", "export"}, regimes


def test_unmapped_country_invalid_vat_number_and_remote_400_fail_with_specific_messages(flow_integration):
    centra_demo.seed(orders=80)
    add_swish(flow_integration)
    orders = exportable(flow_integration)
    german = [
        o
        for o in orders
        if o["shippingAddress"]["country"]["code"] == "DE" and not o["billingAddress"].get("vatNumber")
    ]
    assert german
    TaxZoneMapping.objects.filter(integration=flow_integration, country="DE", customer_type="B2C").delete()
    bad_vat = next(
        o
        for o in orders
        if o["shippingAddress"]["country"]["code"] == "FR" and not o["billingAddress"].get("vatNumber")
    )
    bad_vat["billingAddress"]["vatNumber"] = "FR12"
    bad_vat["billingAddress"]["companyName"] = "Broken VAT SARL"
    centra.order_put(bad_vat)
    SandboxFault.objects.create(
        system="visma_net", endpoint=r"POST .*/v2/customerinvoice", kind="server_error", status_code=400, remaining=1
    )

    run = run_orders(flow_integration)

    errors = dict(RecordLog.objects.filter(run=run, status="failed").values_list("source_id", "error"))
    for node in german:
        assert "no tax-zone mapping for country Germany (DE) / B2C" in errors[str(node["number"])]
    assert "VAT number" in errors[str(bad_vat["number"])]
    remote = [e for e in errors.values() if "refused it" in e]
    assert len(remote) == 1
    assert run.ok_count == len(orders) - len(german) - 2


def test_a_resync_of_an_invoiced_order_skips_it_and_keeps_it_ok(flow_integration, resync):
    centra_demo.seed(orders=10)
    add_swish(flow_integration)
    run_orders(flow_integration)
    record = SyncRecord.objects.filter(integration=flow_integration, flow="orders", status="ok").first()

    resync(flow_integration, Flow.ORDERS, [record.source_id])

    record.refresh_from_db()
    assert record.status == "ok"
    assert record.last_log.status == "skipped" and record.last_log.error.startswith("Already invoiced as")
