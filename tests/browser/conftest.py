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


@pytest.fixture
def admin_page(page, live_server, demo):
    from sync.demo import DEMO_PASSWORD, DEMO_USERNAME

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", DEMO_USERNAME)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
