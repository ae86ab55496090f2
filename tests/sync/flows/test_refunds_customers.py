"""Refunds → credit notes and customers → ERP customers, against both sandboxes."""

from decimal import Decimal

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.centra.adapter import order_from_centra
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync.models import ExternalRef, Flow, RecordLog
from sync.services import flow_run


def add_swish(integration):
    PaymentMethodMapping.objects.get_or_create(
        integration=integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )


def dtc_orders(integration, count):
    orders = [
        o
        for o in centra.orders()
        if o["status"] == "SHIPPED"
        and o["store"]["type"] == "DIRECT_TO_CONSUMER"
        and Decimal(str(o["totals"]["shipping"]["value"])) > 0
    ]
    assert len(orders) >= count
    return orders[:count]


def return_node(order: dict, return_id: str, *, lines: list[tuple[dict, int]], shipping: Decimal) -> dict:
    out_lines, total = [], Decimal(0)
    for index, (line, quantity) in enumerate(lines, start=1):
        unit = Decimal(str(line["unitPrice"]["value"]))
        value = unit * quantity
        total += value
        out_lines.append(
            {
                "id": f"{return_id}-{index}",
                "quantity": quantity,
                "orderLine": {"id": line["id"]},
                "productSize": {"SKU": line["productSize"]["SKU"]},
                "unitPrice": {"value": float(unit)},
                "lineValue": {"value": float(value)},
                "taxPercent": line["taxPercent"],
            }
        )
    total += shipping
    return {
        "id": return_id,
        "createdAt": "2026-11-20T10:00:00+00:00",
        "updatedAt": "2026-11-20T10:00:00+00:00",
        "status": "COMPLETED",
        "refunded": True,
        "order": {"number": order["number"]},
        "currency": {"code": order["grandTotal"]["currency"]["code"]},
        "lines": out_lines,
        "shippingCost": {"value": float(shipping)},
        "grandTotal": {"value": float(total)},
    }


def test_partial_and_full_refunds_become_credit_notes_that_net_the_invoice(flow_integration):
    centra_demo.seed(orders=40)
    add_swish(flow_integration)
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")
    partial_order, full_order = dtc_orders(flow_integration, 2)
    first = partial_order["lines"][0]
    centra.return_put(return_node(partial_order, "9001", lines=[(first, 1)], shipping=Decimal(0)))
    full_lines = [(line, line["quantity"]) for line in full_order["lines"]]
    shipping = Decimal(str(full_order["totals"]["shipping"]["value"]))
    centra.return_put(return_node(full_order, "9002", lines=full_lines, shipping=shipping))

    run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")

    failed = RecordLog.objects.filter(run=run, status="failed")
    assert not failed.filter(source_id__in=["9001", "9002"]).exists(), list(failed.values_list("error", flat=True))
    notes = {note["customerRefNumber"]: note for note in visma.credit_notes()}
    partial, full = notes["R9001"], notes["R9002"]
    assert Decimal(str(partial["amount"])) == Decimal(str(first["unitPrice"]["value"]))
    invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == str(full_order["number"]))
    assert Decimal(str(full["amount"])) == Decimal(str(invoice["amount"]))  # nets the invoice to zero
    assert full["customer"]["number"] == invoice["customer"]["number"]
    assert full["status"] == "Open" and partial["status"] == "Open"
    ref = ExternalRef.objects.get(integration=flow_integration, kind="credit_note", source_id="9002")
    assert ref.data["order_number"] == str(full_order["number"]) and ref.data["released"] is True

    count = visma.credit_note_count()
    again = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")
    assert visma.credit_note_count() == count and again.ok_count == 0


def test_refund_of_an_order_never_invoiced_fails_with_that_message(flow_integration):
    centra_demo.seed(orders=10)
    order = dtc_orders(flow_integration, 1)[0]
    centra.return_put(return_node(order, "9100", lines=[(order["lines"][0], 1)], shipping=Decimal(0)))

    run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")

    log = RecordLog.objects.get(run=run, source_id="9100")
    assert log.status == "failed"
    assert f"refunds order {order['number']}, which Koppla has not invoiced" in log.error
    assert not [n for n in visma.credit_notes() if n["customerRefNumber"] == "R9100"]


def test_customers_flow_creates_then_updates_only_what_changed(flow_integration):
    centra_demo.seed(orders=30)
    run = flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger="manual")
    shoppers = {c["email"].lower() for c in centra.customers()}
    assert run.failed_count == 0, list(
        RecordLog.objects.filter(run=run, status="failed").values_list("error", flat=True)
    )
    erp_emails = {c["mainContact"]["email"].lower() for c in visma.customers() if c.get("mainContact")}
    assert shoppers <= erp_emails
    count = len(visma.customers())

    node = centra.customers()[0]
    node["lastName"] = "Renamed"
    node["billingAddress"]["lastName"] = "Renamed"
    node["billingAddress"]["city"] = "Lund"
    node["updatedAt"] = "2099-01-01T00:00:00+00:00"
    centra.customer_put(node)
    second = flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger="manual")

    assert len(visma.customers()) == count
    assert second.ok_count == 1
    number = ExternalRef.objects.get(
        integration=flow_integration, kind="customer", source_id=node["email"].lower()
    ).target_id
    customer = next(c for c in visma.customers() if c["number"] == number)
    assert customer["mainAddress"]["city"] == "Lund"


def test_orders_flow_reuses_customers_the_customers_flow_created(flow_integration):
    centra_demo.seed(orders=20)
    add_swish(flow_integration)
    flow_run(integration=flow_integration, flow=Flow.CUSTOMERS, trigger="manual")
    before = {c["number"] for c in visma.customers()}

    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")

    known = {c["email"].lower() for c in centra.customers()}
    exportable = [o for o in centra.orders() if o["status"] in flow_integration.allowed_order_statuses]
    unknown_emails = {order_from_centra(o).customer_email.lower() for o in exportable} - known
    created = [c for c in visma.customers() if c["number"] not in before]
    assert len(created) == len(unknown_emails)
    for node in exportable:
        order = order_from_centra(node)
        if order.customer_email.lower() in known:
            invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == order.number)
            assert invoice["customer"]["number"] in before


def ledger(documents_with_signs) -> dict:
    """Net per (account, VAT category) and VAT per VAT id over Visma.net documents, each with its sign."""
    totals: dict = {}
    for document, sign in documents_with_signs:
        for line in document.get("invoiceLines") or document.get("lines") or []:
            key = (line["account"]["number"], line["vatCode"]["id"])
            totals[key] = totals.get(key, Decimal(0)) + sign * Decimal(str(line["amountInCurrency"]))
        for detail in document["taxDetails"]:
            key = ("VAT", detail["taxId"])
            totals[key] = totals.get(key, Decimal(0)) + sign * Decimal(str(detail["vatAmount"]))
    return totals


def test_documents_bound_before_figures_were_stored_are_read_back_from_the_erp(flow_integration):
    """An invoice and a partial credit note bound by an earlier Koppla (no figures on their bindings): the
    refund of the rest reads both from Visma.net, as booked, and invoice and credit notes net to zero."""
    centra_demo.seed(orders=40)
    add_swish(flow_integration)
    flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")
    returned = {str(r["order"]["number"]) for r in centra.returns()}
    order = next(
        o
        for o in centra.orders()
        if str(o["number"]) not in returned
        if o["status"] == "SHIPPED"
        and o["store"]["type"] == "DIRECT_TO_CONSUMER"
        and len(o["lines"]) > 1
        and not o["discountsApplied"]
        and Decimal(str(o["totals"]["shipping"]["value"]))
    )
    first, rest = order["lines"][0], order["lines"][1:]
    centra.return_put(return_node(order, "9101", lines=[(first, first["quantity"])], shipping=Decimal(0)))
    first_run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")
    assert RecordLog.objects.filter(run=first_run, source_id="9101", status="ok").exists(), list(
        RecordLog.objects.filter(run=first_run).values_list("source_id", "status", "error")
    )
    for ref in ExternalRef.objects.filter(integration=flow_integration, kind__in=["invoice", "credit_note"]):
        ref.data = {k: v for k, v in ref.data.items() if k not in ("figures", "vat_zone")}
        ref.save()
    shipping = Decimal(str(order["totals"]["shipping"]["value"]))
    last = return_node(order, "9102", lines=[(line, line["quantity"]) for line in rest], shipping=shipping)
    last["updatedAt"] = centra.stamp()  # refunded after the first run read the returns
    centra.return_put(last)

    run = flow_run(integration=flow_integration, flow=Flow.REFUNDS, trigger="manual")

    assert not RecordLog.objects.filter(run=run, status="failed").exists(), list(
        RecordLog.objects.filter(run=run, status="failed").values_list("error", flat=True)
    )
    invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == str(order["number"]))
    notes = [n for n in visma.credit_notes() if n["customerRefNumber"] in ("R9101", "R9102")]
    assert len(notes) == 2, list(RecordLog.objects.filter(run=run).values_list("source_id", "status", "error"))
    balance = ledger([(invoice, 1), *((note, -1) for note in notes)])
    assert set(balance.values()) == {Decimal(0)}, balance
