"""Playwright (Python) driving Debian's chromium against a live Koppla server.

Browser tests need /usr/bin/chromium and PostgreSQL (the live server's threads
write concurrently, which SQLite's shared in-memory test database does not take):
every module here sets `pytestmark = [pytest.mark.browser, pytest.mark.postgres, ...]`.
"""

import os

import pytest

from tests.conftest import CHROMIUM

LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the test thread for the whole
    # session; the ORM calls of the tests and their fixtures are still
    # synchronous and safe, so Django's async guard is lifted while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


BROWSER_DEMO_ORDERS = 24


@pytest.fixture
def demo(live_server, settings):
    """The demo integration, seeded against the live server's own sandboxes (a smaller shop than `make demo`)."""
    from sync.demo import demo_seed

    settings.SITE_URL = live_server.url
    return demo_seed(site_url=live_server.url, orders=BROWSER_DEMO_ORDERS, connect=True)


def demo_login(page, base_url: str):
    """Log in as the demo's admin user; returns the page on the admin index."""
    from sync.demo import DEMO_PASSWORD, DEMO_USERNAME

    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", DEMO_USERNAME)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
    return page


def demo_exportable_orders(demo) -> list[dict]:
    """The sandbox shop's orders the demo integration exports, at least one paid with Swish: the method
    the demo's mapping leaves out on purpose, so the walk-through has a failed record to fix."""
    from integrations.centra import sandbox as centra

    exportable = [o for o in centra.orders() if o["status"] in demo.allowed_order_statuses]
    if not any(o["paymentMethod"]["uri"] == "swish" for o in exportable):
        exportable[0]["paymentMethod"]["uri"] = "swish"
        centra.order_put(exportable[0])
    return exportable


@pytest.fixture
def admin_page(page, live_server, demo):
    return demo_login(page, live_server.url)
