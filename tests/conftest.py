import os

import pytest

from tests.factories import ConnectionFactory, IntegrationFactory

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """postgres/browser tests skip where their service is missing, unless CI requires it."""
    pg = "postgres" in os.environ.get("DATABASE_URL", "")
    browser = os.path.exists(CHROMIUM)
    if os.environ.get("KOPPLA_REQUIRE_POSTGRES") == "1" and not pg:
        raise pytest.UsageError("KOPPLA_REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL.")
    if os.environ.get("KOPPLA_REQUIRE_BROWSER") == "1" and not browser:
        raise pytest.UsageError(f"KOPPLA_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium).")
    for item in items:
        if "postgres" in item.keywords and not pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "browser" in item.keywords and not browser:
            item.add_marker(pytest.mark.skip(reason=f"needs Debian's chromium at {CHROMIUM}"))


@pytest.fixture
def integration(db):
    return IntegrationFactory()


@pytest.fixture
def shop_connection(db):
    return ConnectionFactory(system="centra")
