"""The datamapper in a real browser, on the demo's eAccounting → Visma.net integration: a user adds a field rule
(the invoice text ← the customer's name in capitals), previews it on a real eAccounting order, runs the orders
flow with Run now and finds the mapped text on the invoice the Visma.net sandbox stored."""

import pytest
from playwright.sync_api import expect

from integrations.sandbox.models import SandboxObject
from integrations.visma_net import sandbox as visma
from mappings.models import FieldRule
from sync.demo_eaccounting import DEMO_EACCOUNTING_INTEGRATION
from sync.models import Integration, RecordLog

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORDER = "1"  # Anna Svensson's order in the eAccounting demo company: invoiced and paid
MAPPED = "ANNA SVENSSON"


def test_a_field_rule_added_and_previewed_shapes_the_invoice_the_orders_flow_sends(admin_page, live_server, demo):
    page, base = admin_page, live_server.url
    integration = Integration.objects.get(name=DEMO_EACCOUNTING_INTEGRATION)

    # Add the rule: Orders / invoice, invoiceText.value ← upper(customer_name).
    page.goto(f"{base}/admin/mappings/fieldrule/add/")
    page.select_option("#id_integration", str(integration.pk))
    page.select_option("#id_target", "orders:invoice")
    page.fill("#id_source_path", "customer_name")
    page.select_option("#id_transform", "upper")
    page.fill("#id_target_path", "invoiceText.value")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    rule = FieldRule.objects.get(integration=integration)
    assert (rule.target, rule.transform, rule.target_path) == ("orders:invoice", "upper", "invoiceText.value")

    # Preview it on a real order read from the eAccounting sandbox: the text changes, nothing is sent.
    page.goto(f"{base}/admin/mappings/fieldrule/preview/?integration={integration.pk}&target=orders:invoice")
    page.fill("#id_order", ORDER)
    page.click("#koppla-preview")
    expect(page.locator("#koppla-preview-summary")).to_contain_text("1 field changed")
    changed = page.locator('#koppla-preview-table tr.koppla-changed[data-path="invoiceText.value"]')
    expect(changed.locator("td.koppla-after")).to_have_text(f'"{MAPPED}"')  # shown as JSON
    expect(changed.locator("td.koppla-before")).not_to_have_text(f'"{MAPPED}"')
    assert not visma.invoices()

    # Switch the orders flow on and run it now.
    page.goto(f"{base}/admin/sync/integrationflow/?flow__exact=orders&integration__id__exact={integration.pk}")
    page.locator("#result_list tbody input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "switch_on")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("Switched on 1 flow")
    page.locator("#result_list tbody input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "run_now")
    page.click("button[name=index]")
    page.click("#koppla-confirm", timeout=120_000)
    expect(page.locator(".messagelist")).to_contain_text("Queued")

    # The invoice the Visma.net sandbox stored carries the mapped text; the record log shows the body as sent.
    [invoice] = [i for i in visma.invoices() if i["customerRefNumber"] == ORDER]
    assert invoice["invoiceText"] == MAPPED
    others = [i for i in visma.invoices() if i["customerRefNumber"] != ORDER]
    assert others and all(i["invoiceText"] == i["invoiceText"].upper() for i in others)
    stored = SandboxObject.objects.get(system="visma_net", kind="invoice", data__customerRefNumber=ORDER)
    page.goto(f"{base}/admin/sandbox/sandboxobject/{stored.pk}/change/")
    expect(page.locator("#content")).to_contain_text(f'"invoiceText": "{MAPPED}"')
    log = RecordLog.objects.filter(integration=integration, flow="orders", request__invoiceText__value=MAPPED)
    assert log.count() == 1
    page.goto(f"{base}/admin/sync/recordlog/{log.get().pk}/change/")
    expect(page.locator("#content")).to_contain_text(MAPPED)
