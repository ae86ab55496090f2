"""Connect the Visma.net connection through the sandbox's consent page, then test both connections."""

import pytest
from playwright.sync_api import expect

from integrations.models import Connection

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_connect_visma_net_through_the_consent_page_and_test_both_connections(admin_page, live_server, demo):
    page, base = admin_page, live_server.url
    erp = demo.erp
    Connection.objects.filter(pk=erp.pk).update(access_token="", refresh_token="", status="new")
    old_token = erp.access_token

    page.goto(f"{base}/admin/integrations/connection/{erp.pk}/change/")
    page.click("#koppla-connect")
    expect(page.locator("h1")).to_contain_text("Visma Connect")
    page.click("button.approve")

    expect(page.locator(".messagelist")).to_contain_text("is connected")
    erp.refresh_from_db()
    assert erp.access_token and erp.access_token != old_token
    assert erp.refresh_token and erp.token_expires_at is not None
    assert erp.access_token not in page.content()

    page.click("#koppla-test-connection")
    expect(page.locator(".messagelist .success")).to_contain_text("customer class")

    page.goto(f"{base}/admin/integrations/connection/{demo.shop.pk}/change/")
    page.click("#koppla-test-connection")
    expect(page.locator(".messagelist .success")).to_be_visible()
