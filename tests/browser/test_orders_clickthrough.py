"""The orders click-through of the README, in a real browser against a live server and the sandboxes."""

from collections import Counter

import pytest
from playwright.sync_api import expect

from integrations.visma_net import sandbox as visma
from sync.models import SyncRecord
from tests.browser.conftest import demo_exportable_orders

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_action(page, action: str) -> None:
    page.locator("#result_list tbody input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_enable_orders_run_now_fix_a_failed_record_and_resync(admin_page, live_server, demo):
    page, base = admin_page, live_server.url
    exportable = demo_exportable_orders(demo)
    swish = [str(o["number"]) for o in exportable if o["paymentMethod"]["uri"] == "swish"]

    # Switch the orders flow on, then run it now.
    page.goto(f"{base}/admin/sync/integrationflow/?flow__exact=orders&integration__id__exact={demo.pk}")
    run_action(page, "switch_on")
    expect(page.locator(".messagelist")).to_contain_text("Switched on 1 flow")
    run_action(page, "run_now")
    page.click("#koppla-confirm", timeout=120_000)
    expect(page.locator(".messagelist")).to_contain_text("Queued")

    # The run: progress and counts.
    page.goto(f"{base}/admin/sync/syncrun/?flow__exact=orders")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    expect(page.locator("#content")).to_contain_text("Finished with failed records")
    assert visma.invoice_count() == len(exportable) - len(swish)

    # Open a failed record: the error says what to fix and where.
    page.goto(f"{base}/admin/sync/syncrecord/?flow__exact=orders&status__in=retrying,dead")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    expect(page.locator("#content")).to_contain_text("unknown payment method 'swish'")
    expect(page.locator("#content")).to_contain_text("Mappings › Payment methods")
    record_url = page.url

    # Fix the mapping in the admin.
    page.goto(f"{base}/admin/mappings/paymentmethodmapping/add/")
    page.select_option("#id_integration", str(demo.pk))
    page.fill("#id_shop_method", "swish")
    page.fill("#id_erp_payment_method", "INVOICE")
    page.fill("#id_description", "Swish")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Resync the failed record from its page.
    page.goto(record_url)
    page.click("#koppla-resync", timeout=60_000)
    expect(page.locator(".messagelist")).to_contain_text("it succeeded")

    # Any other failed records of the same cause: the bulk action on the list.
    others = list(
        SyncRecord.objects.filter(integration=demo, flow="orders").exclude(status="ok").values_list("id", flat=True)
    )
    if others:
        page.goto(f"{base}/admin/sync/syncrecord/?flow__exact=orders&status__in=retrying,dead")
        page.locator("#action-toggle").check()
        page.select_option("select[name=action]", "resync_selected")
        page.click("button[name=index]")
        page.click("#koppla-confirm", timeout=60_000)
        expect(page.locator(".messagelist")).to_contain_text("Queued")

    refs = Counter(inv["customerRefNumber"] for inv in visma.invoices())
    assert set(refs) == {str(o["number"]) for o in exportable}
    assert max(refs.values()) == 1
    assert not SyncRecord.objects.filter(integration=demo, flow="orders").exclude(status="ok").exists()
