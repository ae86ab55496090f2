"""Field rules in the orders flow, end to end on the Centra and Visma.net sandboxes: the invoice Visma.net stores
carries the mapped value, the record log shows the body as sent, and a rule that cannot apply sends nothing."""

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.visma_net import sandbox as visma
from mappings.models import FieldRule, PaymentMethodMapping
from sync.models import Flow, RecordLog
from sync.services import flow_run

ORDER = "29001"  # Swedish consumer: a book at 6 % and a T-shirt at 25 %


def rule(integration, **fields) -> FieldRule:
    rule = FieldRule(integration=integration, target="orders:invoice", **fields)
    rule.full_clean()
    rule.save()
    return rule


def send(integration, number=ORDER):
    centra_demo.seed(orders=3)
    PaymentMethodMapping.objects.get_or_create(
        integration=integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    return flow_run(integration=integration, flow=Flow.ORDERS, trigger="resync", source_ids=[number])


def invoice_of(number: str) -> dict | None:
    return next((inv for inv in visma.invoices() if inv.get("customerRefNumber") == number), None)


def test_a_rule_puts_the_mapped_value_in_the_invoice_visma_net_stores(flow_integration):
    rule(
        flow_integration,
        transform="concat",
        argument="Web order {number} for {billing.first_name} {billing.last_name}",
        target_path="invoiceText.value",
    )
    rule(flow_integration, transform="upper", target_path="invoiceLines.*.description.value")
    run = send(flow_integration)

    assert run.ok_count == 1, run.message
    node = centra.order_get(ORDER)
    first, last = node["billingAddress"]["firstName"], node["billingAddress"]["lastName"]
    invoice = invoice_of(ORDER)
    assert invoice["invoiceText"] == f"Web order {ORDER} for {first} {last}"
    descriptions = [line["description"] for line in invoice["invoiceLines"]]
    assert descriptions and all(text == text.upper() for text in descriptions)
    log = RecordLog.objects.get(run=run, source_id=ORDER)
    assert log.request["invoiceText"] == {"value": invoice["invoiceText"]}  # the body as sent, after the rules


def test_a_disabled_rule_or_one_whose_condition_fails_changes_nothing(flow_integration):
    rule(flow_integration, transform="constant", argument="never", target_path="invoiceText.value", enabled=False)
    rule(
        flow_integration,
        transform="constant",
        argument="never either",
        target_path="note.value",
        condition="billing.country = NO",
    )
    send(flow_integration)

    invoice = invoice_of(ORDER)
    assert invoice["invoiceText"] != "never" and invoice.get("note") != "never either"


def test_a_rule_that_cannot_apply_fails_the_record_and_nothing_is_sent(flow_integration):
    rule(
        flow_integration,
        transform="lookup",
        source_path="billing.country",
        argument="NO=Norway",
        target_path="note.value",
    )
    customers = len(visma.customers())
    run = send(flow_integration)

    log = RecordLog.objects.get(run=run, source_id=ORDER)
    assert log.status == "failed"
    assert "Field rule Orders / invoice #10 (note.value): the lookup table has no entry for 'SE'" in log.error
    assert "Nothing was sent" in log.error
    assert invoice_of(ORDER) is None and len(visma.customers()) == customers  # no invoice, no customer


# --------------------------------------------------------------------------- the admin's Preview page
def preview_page(client, integration, number=ORDER, target="orders:invoice"):
    from django.urls import reverse

    query = {"integration": integration.pk, "target": target, "order": number}
    return client.get(reverse("admin:mappings_fieldrule_preview"), query)


def test_the_preview_shows_the_body_before_and_after_with_the_changed_fields_marked(admin_client, flow_integration):
    centra_demo.seed(orders=3)
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    rule(flow_integration, transform="constant", argument="Previewed text", target_path="invoiceText.value")
    invoices = visma.invoice_count()

    page = preview_page(admin_client, flow_integration)

    assert page.status_code == 200
    preview = page.context["preview"]
    assert not preview.error, preview.error
    assert preview.before["invoiceText"]["value"] != "Previewed text"
    assert preview.after["invoiceText"]["value"] == "Previewed text"
    assert [row.path for row in preview.changed] == ["invoiceText.value"]
    html = " ".join(page.content.decode().split())
    assert '<tr class="koppla-changed" data-path="invoiceText.value">' in html
    assert "&quot;Previewed text&quot;" in html and "1 field changed by Field rule Orders / invoice #10" in html
    assert visma.invoice_count() == invoices  # nothing was sent


def test_the_preview_says_in_words_when_the_order_is_missing_or_a_rule_fails(admin_client, flow_integration):
    centra_demo.seed(orders=3)
    page = preview_page(admin_client, flow_integration, number="404404")
    assert "Order 404404 no longer exists in the shop." in page.content.decode()

    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    rule(
        flow_integration,
        transform="lookup",
        source_path="billing.country",
        argument="NO=Norway",
        target_path="note.value",
    )
    html = preview_page(admin_client, flow_integration).content.decode()
    assert 'id="koppla-preview-error"' in html and "the lookup table has no entry for &#x27;SE&#x27;" in html


def test_sales_order_rules_shape_the_sales_order_visma_net_stores(flow_integration):
    flow_integration.order_document = "sales_order"
    flow_integration.save(update_fields=["order_document"])
    sales = FieldRule(
        integration=flow_integration,
        target="orders:sales_order",
        transform="lookup",
        source_path="billing.country",
        argument="SE=Inrikes; *=Utrikes",
        target_path="description.value",
    )
    sales.full_clean()
    sales.save()
    rule(flow_integration, transform="constant", argument="not an invoice", target_path="invoiceText.value")

    run = send(flow_integration)

    assert run.ok_count == 1, run.message
    order = next(o for o in visma.sales_orders() if o.get("customerRefNo") == ORDER)
    assert order["description"] == "Inrikes"
    assert invoice_of(ORDER) is None  # invoice rules leave sales orders alone


def test_the_preview_works_when_the_integration_sends_sales_journal_entries(admin_client, flow_integration):
    centra_demo.seed(orders=3)
    PaymentMethodMapping.objects.get_or_create(
        integration=flow_integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )
    flow_integration.order_document = "journal_entry"
    flow_integration.journal_receivable_account = "1580"
    flow_integration.save()
    rule(flow_integration, transform="constant", argument="Previewed text", target_path="invoiceText.value")

    preview = preview_page(admin_client, flow_integration).context["preview"]

    assert not preview.error, preview.error
    assert preview.after["invoiceText"]["value"] == "Previewed text"
    assert any("sends orders as lines of sales journal entries" in note for note in preview.notes), preview.notes
