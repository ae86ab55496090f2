import os
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ConnectionFactory, IntegrationFactory

SANDBOX = "http://testserver/sandbox"
VISMA_CLIENT_ID = "koppla-test"
VISMA_CLIENT_SECRET = "test-client-secret-0b7e"
VISMA_SCOPES = (
    "vismanet_erp_service_api:read vismanet_erp_service_api:create vismanet_erp_service_api:update offline_access"
)
CENTRA_TOKEN = "centra-sandbox-token-test-4411"
FORTNOX_CLIENT_ID = "koppla-test"
FORTNOX_CLIENT_SECRET = "fortnox-test-secret-5d1a"
FORTNOX_SCOPES = "companyinformation customer article invoice order payment bookkeeping warehouse"
EACCOUNTING_CLIENT_ID = "koppla-test"
EACCOUNTING_CLIENT_SECRET = "eaccounting-test-secret-93c2"
EACCOUNTING_SCOPES = "ea:api offline_access ea:sales"

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


@pytest.fixture(autouse=True)
def _sandbox_rate_limits_reset():
    from integrations.sandbox.faults import rate_limit_reset

    rate_limit_reset()
    yield
    rate_limit_reset()


@pytest.fixture
def visma_connection(db):
    """A connected Visma.net connection pointing at the in-process sandbox."""
    from integrations.models import Connection
    from integrations.visma_net.connect_sandbox import DEMO_TENANTS, client_register, token_issue

    client_register(VISMA_CLIENT_ID, VISMA_CLIENT_SECRET)
    token = token_issue(client_id=VISMA_CLIENT_ID, tenant_id=DEMO_TENANTS[0]["id"], scope=VISMA_SCOPES)
    return Connection.objects.create(
        name="Visma.net (sandbox)",
        system="visma_net",
        auth_type="oauth2_code",
        base_url=f"{SANDBOX}/visma-net/api",
        token_url=f"{SANDBOX}/visma-connect/connect/token",
        authorize_url=f"{SANDBOX}/visma-connect/connect/authorize",
        client_id=VISMA_CLIENT_ID,
        scopes=VISMA_SCOPES,
        secrets={"client_secret": VISMA_CLIENT_SECRET},
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
    )


@pytest.fixture
def fortnox_connection(db):
    """A connected Fortnox connection pointing at the in-process sandbox (its demo company seeded)."""
    from integrations.fortnox import demo_data
    from integrations.fortnox.oauth_sandbox import client_register, token_issue
    from integrations.models import Connection

    demo_data.seed()
    client_register(FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET)
    token = token_issue(client_id=FORTNOX_CLIENT_ID, scope=FORTNOX_SCOPES)
    return Connection.objects.create(
        name="Fortnox (sandbox)",
        system="fortnox",
        auth_type="oauth2_code",
        base_url=f"{SANDBOX}/fortnox",
        token_url=f"{SANDBOX}/fortnox/oauth-v1/token",
        authorize_url=f"{SANDBOX}/fortnox/oauth-v1/auth",
        client_id=FORTNOX_CLIENT_ID,
        scopes=FORTNOX_SCOPES,
        secrets={"client_secret": FORTNOX_CLIENT_SECRET},
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
    )


@pytest.fixture
def eaccounting_connection(db):
    """A connected Visma eAccounting connection pointing at the in-process sandbox (no demo data)."""
    from integrations.eaccounting.oauth_sandbox import client_register, token_issue
    from integrations.models import Connection

    client_register(EACCOUNTING_CLIENT_ID, EACCOUNTING_CLIENT_SECRET)
    token = token_issue(client_id=EACCOUNTING_CLIENT_ID, scope=EACCOUNTING_SCOPES)
    return Connection.objects.create(
        name="eAccounting (sandbox)",
        system="eaccounting",
        auth_type="oauth2_code",
        base_url=f"{SANDBOX}/eaccounting/v2",
        token_url=f"{SANDBOX}/eaccounting/identity/connect/token",
        authorize_url=f"{SANDBOX}/eaccounting/identity/connect/authorize",
        client_id=EACCOUNTING_CLIENT_ID,
        scopes=EACCOUNTING_SCOPES,
        secrets={"client_secret": EACCOUNTING_CLIENT_SECRET},
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
    )


@pytest.fixture
def centra_connection(db):
    """A Centra connection with a token the in-process sandbox accepts."""
    from integrations.centra.sandbox import api_token_register
    from integrations.models import Connection

    api_token_register(CENTRA_TOKEN)
    return Connection.objects.create(
        name="Centra (sandbox)",
        system="centra",
        auth_type="api_token",
        base_url=f"{SANDBOX}/centra/graphql",
        secrets={"api_token": CENTRA_TOKEN, "webhook_secret": "centra-webhook-secret-test"},
        status="connected",
    )
