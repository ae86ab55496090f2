"""Every cent and every VAT category over the whole demo shop, through both sandboxes.

The demo shop holds 320 generated orders (20 of them mixing VAT rates) and the named VAT cases:
mixed rates, Northern Ireland (consumer and business), Monaco, the Canary Islands and an order in
yen. Every order is invoiced and every refunded return credited; then the audit of
bench/vat_exactness.py compares both sandboxes: totals, VAT, VAT per category against the demo
shop's own VAT per rate, and zero on every account and VAT category after a full refund.
"""

import importlib.util
from pathlib import Path

from integrations.centra import demo_data as centra_demo
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync.models import ExternalRef, Flow, RecordLog
from sync.services import flow_run

BENCH = Path(__file__).resolve().parents[3] / "bench" / "vat_exactness.py"


def audit() -> dict:
    spec = importlib.util.spec_from_file_location("bench_vat_exactness", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.audit()


def test_the_demo_shop_has_no_vat_difference_and_full_refunds_net_to_zero(flow_integration):
    centra_demo.seed()
    PaymentMethodMapping.objects.create(
        integration=flow_integration, shop_method="swish", erp_payment_method="INVOICE", erp_cash_account="1930"
    )

    orders = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")
    refunds = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")

    errors = list(RecordLog.objects.filter(run__in=[orders, refunds], status="failed").values_list("error", flat=True))
    assert orders.failed_count == refunds.failed_count == 0, errors[:3]
    found = audit()
    assert found["invoices_checked"] == found["invoices_checked_per_category"] == found["orders_in_shop"] == 328
    assert (found["total"], found["vat_total"], found["vat_category"]) == ([], [], [])
    assert found["nonzero_after_full_refund"] == [] and found["orders_refunded_in_full"] >= 5
    assert found["mixed_rate_invoices"] >= 20 and found["credit_notes"] >= 20

    invoices = {inv["customerRefNumber"]: inv for inv in visma.invoices()}
    regime = {
        ref.source_id: (ref.data["regime"], ref.data["figures"]["tax"])
        for ref in ExternalRef.objects.filter(integration=flow_integration, kind="invoice", source_id__startswith="290")
    }
    assert regime["29004"][0] == "eu_b2c" and regime["29004"][1][0]["vat_category"] == "OSS-XI"
    assert regime["29005"][0] == "eu_b2b" and regime["29006"][1][0]["vat_category"] == "OSS-FR"
    assert regime["29007"][0] == "export"
    assert {t["vat_category"] for t in regime["29001"][1]} == {"SE6", "SE25"}
    assert (invoices["29008"]["currencyId"], invoices["29008"]["amount"], invoices["29008"]["vatTotal"]) == (
        "JPY",
        2499,
        417,
    )
