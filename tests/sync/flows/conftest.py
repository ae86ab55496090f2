"""Flows run against both in-process sandboxes with the demo mappings, on a clock that never sleeps."""

import pytest

from tests.fakes import FakeClock


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    """Backoff, Retry-After and rate-limit waits of the flows' clients advance a fake clock instead of sleeping."""
    clock = FakeClock()
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", clock)
    return clock


@pytest.fixture
def erp_seeded(db):
    from integrations.visma_net import demo_data

    demo_data.seed()


@pytest.fixture
def flow_integration(db, centra_connection, visma_connection, erp_seeded):
    """An integration between the two sandbox connections with every demo mapping imported."""
    from mappings.services import import_problems, mapping_import
    from sync.demo import DEMO_MAPPING_FILES
    from sync.models import Integration
    from sync.services import integration_flows_ensure

    integration = Integration.objects.create(
        name="Flow test shop",
        shop=centra_connection,
        erp=visma_connection,
        home_country="SE",
        allowed_order_statuses=["CONFIRMED", "PROCESSING", "SHIPPED"],
        fee_writeoff_reason_code="PSPFEE",
        payment_cash_account="1580",
    )
    integration_flows_ensure(integration=integration)
    for table, path in DEMO_MAPPING_FILES:
        result = mapping_import(integration=integration, table=table, content=path.read_text(encoding="utf-8"))
        assert not import_problems(result), import_problems(result)
    return integration


@pytest.fixture
def resync(django_capture_on_commit_callbacks):
    """Resync records as the admin does; the queued run executes when the request's transaction commits."""
    from sync.services import records_resync

    def do(integration, flow, source_ids):
        with django_capture_on_commit_callbacks(execute=True):
            return records_resync(integration=integration, flow=flow, source_ids=list(source_ids))

    return do


# --------------------------------------------------------------------------- a shop of flat articles
@pytest.fixture
def article_shop(monkeypatch):
    """The centra system answers with the in-memory article shop (tests/sync/flows/fake_article_shop.py),
    reset; flows choose their article and customer paths by its capabilities."""
    from dataclasses import replace

    import integrations.adapters as adapters
    from tests.sync.flows.fake_article_shop import FakeArticleShop

    real = adapters.system_info

    def system_info(system):
        info = real(system)
        return (
            replace(info, adapter="tests.sync.flows.fake_article_shop.FakeArticleShop") if system == "centra" else info
        )

    monkeypatch.setattr(adapters, "system_info", system_info)
    FakeArticleShop.reset()
    return FakeArticleShop


@pytest.fixture
def article_integration(db, centra_connection, visma_connection, article_shop):
    """The Visma.net sandbox (empty catalogue) feeding the fake article shop."""
    from sync.models import Integration
    from sync.services import integration_flows_ensure

    integration = Integration.objects.create(
        name="Articles test", shop=centra_connection, erp=visma_connection, home_country="SE"
    )
    integration_flows_ensure(integration=integration)
    return integration
