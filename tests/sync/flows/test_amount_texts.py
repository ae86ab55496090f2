"""Record logs show amounts as people read them: "1,249.00 SEK", never "1249.00", "Decimal('1249.00')" or "0.0100"."""

import re
from decimal import Decimal

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.centra.adapter import order_from_centra
from integrations.visma_net import sandbox as visma
from sync.models import Flow, RecordLog
from sync.money import money_text
from sync.services import flow_run
from tests.sync.flows.test_refunds_customers import add_swish, dtc_orders, return_node

AMOUNT = r"−?[\d,]+(?:\.\d+)?\u00a0[A-Z]{3}"  # an amount and its currency code, a no-break space between


def test_an_invoice_log_shows_its_totals_and_vat_per_category_with_the_currency(flow_integration):
    centra_demo.seed(orders=12)
    add_swish(flow_integration)

    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")

    logs = list(RecordLog.objects.filter(run=run, status="ok"))
    assert logs
    orders = {str(o["number"]): order_from_centra(o) for o in centra.orders()}
    for log in logs:
        order = orders[log.source_id]
        total = money_text(order.grand_total, order.currency)
        assert f"= {total} (VAT per category: " in log.error, log.error
        totals = re.search(rf"net ({AMOUNT}) \+ VAT ({AMOUNT}) = ({AMOUNT}) \(VAT per category: (.*?)\)\.", log.error)
        assert totals, log.error
        assert money_text(order.tax_total, order.currency) == totals.group(2)
        for category in totals.group(4).split("; "):
            assert re.fullmatch(rf"[\w-]+: {AMOUNT} \+ VAT {AMOUNT}", category), category
        assert "Decimal(" not in log.error


def test_a_credit_note_log_shows_its_totals_with_the_currency(flow_integration):
    centra_demo.seed(orders=40)
    add_swish(flow_integration)
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")
    node = dtc_orders(flow_integration, 1)[0]
    first = node["lines"][0]
    centra.return_put(return_node(node, "9001", lines=[(first, 1)], shipping=Decimal(0)))

    run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")

    log = RecordLog.objects.get(run=run, source_id="9001")
    assert log.status == "ok", log.error
    currency = node["grandTotal"]["currency"]["code"]
    note = next(n for n in visma.credit_notes() if n["customerRefNumber"] == "R9001")
    refunded = money_text(Decimal(str(first["unitPrice"]["value"])), currency)
    assert Decimal(str(note["amount"])) == Decimal(str(first["unitPrice"]["value"]))
    assert log.error.startswith(f"Credit note {log.target_id} (return 9001, order {node['number']}): net ")
    assert f" = {refunded} (VAT per category: " in log.error, log.error
