"""What can be checked is checked before the first remote write (chaos cases 6 and 8).

Each refused record names the limit and the value, and nothing was created in the ERP sandbox.
The sandbox refuses the same documents, so the tests with the precheck switched off show the
orphan customer the precheck prevents.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from integrations.visma_net.adapter import VismaNetErp
from sync.flows.base import RecordFailed
from sync.flows.erp_documents import invoice_precheck
from sync.flows.order_mapping import invoice_draft
from sync.models import Flow, RecordLog, SyncRun
from sync.services import flow_run
from tests.integrations.centra.conftest import order_node
from tests.sync.test_order_mapping import MAPPINGS, line, order


def shop_order(number: int, *, lines: int = 1, **changes) -> dict:
    """An order of `lines` lines of 2 × 100.00 SEK (25 % VAT incl.) + 59.00 shipping, of its own shopper."""
    node = order_node(number, status="SHIPPED")
    email = f"shopper{number}@example.se"
    node["customer"] = {**node["customer"], "email": email}
    node["billingAddress"] = {**node["billingAddress"], "email": email}
    node["lines"] = [{**node["lines"][0], "id": f"{number}{i:03d}"} for i in range(lines)]
    gross = Decimal(200 * lines + 59)
    node["grandTotal"] = {"value": str(gross), "currency": {"code": "SEK"}}
    node["totals"] = {**node["totals"], "grandTotal": {"value": str(gross)}, "taxIncluded": {"value": str(gross / 5)}}
    node.update(changes)
    return node


def run(integration, flow=Flow.ORDERS) -> SyncRun:
    return flow_run(integration=integration, flow=flow, trigger=SyncRun.Trigger.MANUAL)


def erp_objects() -> tuple[int, int, int]:
    return len(visma.customers()), visma.invoice_count(), visma.credit_note_count()


@pytest.fixture
def few_lines(settings):
    settings.VISMA_NET_LIMITS = {**settings.VISMA_NET_LIMITS, "document_lines": 10}


def test_the_sandbox_refuses_too_many_lines_and_without_the_precheck_a_customer_is_left_behind(
    flow_integration, few_lines, monkeypatch
):
    monkeypatch.setattr(VismaNetErp, "invoice_problems", lambda self, draft: [])  # the state before the fix
    centra.order_put(shop_order(7500, lines=12))

    result = run(flow_integration)

    log = RecordLog.objects.get(run=result, source_id="7500")
    assert "a document can have at most 10 lines, not 13" in log.error  # 12 order lines + shipping
    assert erp_objects() == (1, 0, 0)  # the orphan customer of chaos case 6


def test_an_order_with_more_lines_than_the_limit_fails_before_its_customer_is_created(flow_integration, few_lines):
    centra.order_put(shop_order(7500, lines=12))
    centra.order_put(shop_order(7501, lines=2))

    result = run(flow_integration)

    assert result.status == SyncRun.Status.PARTIAL and (result.ok_count, result.failed_count) == (1, 1)
    error = RecordLog.objects.get(run=result, source_id="7500").error
    assert error.startswith("Order 7500 cannot be invoiced as it is: the invoice has 13 lines, Koppla sends at most 10")
    assert "VISMA_NET_LIMITS['document_lines']" in error and "Nothing was written to Visma.net" in error
    assert erp_objects() == (1, 1, 0)  # only order 7501's customer and invoice


def test_a_ten_thousand_line_order_is_refused_with_the_default_limits():
    """Chaos case 6's order, at the default limits (no settings changed)."""
    big = order("SE", [line("10.00", 25)] * 10_000)

    with pytest.raises(RecordFailed) as refused:
        invoice_precheck(VismaNetErp.__new__(VismaNetErp), invoice_draft(big, MAPPINGS))  # no remote read

    assert "the invoice has 10,000 lines, Koppla sends at most 1,000 in one Visma.net document" in refused.value.message
    assert "the invoice request would be" in refused.value.message  # and larger than a request may be


def test_a_request_larger_than_the_limit_fails_before_anything_is_written(flow_integration, settings):
    settings.VISMA_NET_LIMITS = {**settings.VISMA_NET_LIMITS, "request_bytes": 3_000}
    centra.order_put(shop_order(7600, lines=12))

    result = run(flow_integration)

    error = RecordLog.objects.get(run=result, source_id="7600").error
    assert "the invoice request would be" in error and "at most 3,000 bytes" in error
    assert erp_objects() == (0, 0, 0)


def test_an_address_longer_than_the_erp_takes_fails_before_the_customer_is_created(flow_integration):
    long_street = "Storgatan 1, Gårdshuset, tredje våningen, Gårdshuset, tredje våningen"
    node = shop_order(7700)
    node["billingAddress"] = {**node["billingAddress"], "address1": long_street}
    centra.order_put(node)

    result = run(flow_integration)

    error = RecordLog.objects.get(run=result, source_id="7700").error
    assert (
        f"mainAddress.addressLine1 'Storgatan 1, Gårdshuset, tredje våningen…' has {len(long_street)} characters"
        in error
    )
    assert "Visma.net takes at most 50 (setting VISMA_NET_LIMITS['address_line'])" in error
    assert "Nothing was written to Visma.net" in error
    assert erp_objects() == (0, 0, 0)


def test_the_sandbox_refuses_an_address_longer_than_the_limit(flow_integration, monkeypatch):
    """The emulator refuses what the precheck stops (so the precheck is what keeps the ERP clean)."""
    monkeypatch.setattr(VismaNetErp, "customer_problems", lambda self, draft: [])
    node = shop_order(7701)
    node["billingAddress"] = {**node["billingAddress"], "address1": "x" * 51}
    centra.order_put(node)

    result = run(flow_integration)

    error = RecordLog.objects.get(run=result, source_id="7701").error
    assert "mainAddress.addressLine1 is 51 characters long; the field takes at most 50." in error
    assert erp_objects() == (0, 0, 0)


def test_the_customers_flow_checks_a_customer_before_creating_it(flow_integration):
    centra.customer_put(
        {
            "id": "880",
            "email": "long@example.se",
            "updatedAt": "2026-03-02T10:00:00+00:00",
            "billingAddress": {"address1": "Storgatan 1", "zipCode": "114 55 000 000 000 000 00", "country": "SE"},
        }
    )

    result = run(flow_integration, Flow.CUSTOMERS)

    error = RecordLog.objects.get(run=result, source_id="880").error
    assert error.startswith("Customer long@example.se cannot be sent to Visma.net as it is: mainAddress.postalCode")
    assert "Visma.net takes at most 20" in error
    assert erp_objects() == (0, 0, 0)


def test_a_refund_with_more_lines_than_the_limit_creates_no_credit_note(flow_integration, settings):
    centra.order_put(shop_order(7800, lines=3))
    run(flow_integration)
    assert erp_objects() == (1, 1, 0)
    settings.VISMA_NET_LIMITS = {**settings.VISMA_NET_LIMITS, "document_lines": 2}
    lines = centra.order_get(7800)["lines"]
    centra.return_put(
        {
            "id": "9800",
            "createdAt": "2026-11-20T10:00:00+00:00",
            "updatedAt": "2026-11-20T10:00:00+00:00",
            "status": "COMPLETED",
            "refunded": True,
            "order": {"number": 7800},
            "currency": {"code": "SEK"},
            "lines": [
                {
                    "id": f"9800-{i}",
                    "quantity": 2,
                    "orderLine": {"id": ln["id"]},
                    "productSize": {"SKU": ln["productSize"]["SKU"]},
                    "unitPrice": {"value": 100.0},
                    "lineValue": {"value": 200.0},
                    "taxPercent": ln["taxPercent"],
                }
                for i, ln in enumerate(lines)
            ],
            "shippingCost": {"value": 0.0},
            "grandTotal": {"value": 600.0},
        }
    )

    result = run(flow_integration, Flow.REFUNDS)

    error = RecordLog.objects.get(run=result, source_id="9800").error
    assert error.startswith("Return 9800 (order 7800) cannot be credited as it is: the credit note has 3 lines")
    assert "at most 2" in error
    assert erp_objects() == (1, 1, 0)


def negative_order(number: int) -> dict:
    """5 × 200.00 and −2 × 255.36 (chaos case 8), + 59.00 shipping = 548.28 incl. 109.66 VAT."""
    node = shop_order(number)
    good = node["lines"][0]
    node["lines"] = [
        {**good, "quantity": 5, "lineValue": {"value": "1000.00"}},
        {
            **good,
            "id": f"{number}002",
            "quantity": -2,
            "unitPrice": {"value": "255.36"},
            "unitOriginalPrice": {"value": "255.36"},
            "lineValue": {"value": "-510.72"},
        },
    ]
    node["grandTotal"] = {"value": "548.28", "currency": {"code": "SEK"}}
    node["totals"] = {**node["totals"], "grandTotal": {"value": "548.28"}, "taxIncluded": {"value": "109.66"}}
    return node


def test_a_negative_quantity_is_refused_unless_the_integration_allows_it(flow_integration, resync):
    centra.order_put(negative_order(7900))

    result = run(flow_integration)

    error = RecordLog.objects.get(run=result, source_id="7900").error
    assert "Order 7900, line 2 'Merino T-shirt, Black (1001-BLK-M)': quantity -2 × 255.36\u00a0SEK is negative" in error
    assert "Allow negative quantities" in error
    assert erp_objects() == (0, 0, 0)

    flow_integration.allow_negative_quantities = True
    flow_integration.save()
    resync(flow_integration, Flow.ORDERS, ["7900"])

    [invoice] = visma.invoices()
    assert [line["quantity"] for line in invoice["invoiceLines"]][:2] == [5, -2]
    assert Decimal(str(invoice["amount"])) == Decimal("548.28")


def test_allow_negative_quantities_is_on_the_integration_admin_page(admin_client, flow_integration):
    html = admin_client.get(reverse("admin:sync_integration_change", args=[flow_integration.pk])).content.decode()

    assert 'name="allow_negative_quantities"' in html and "Send order and return lines with a negative" in html
