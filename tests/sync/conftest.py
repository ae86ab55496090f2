"""Fixtures shared by the engine tests of tests/sync."""

import pytest


@pytest.fixture
def fake_flow(monkeypatch):
    """Every flow run uses tests.sync.test_engine.FakeFlow, with no failures and nothing processed yet."""
    from sync import services
    from tests.sync.test_engine import FakeFlow

    FakeFlow.failures = {}
    FakeFlow.processed = []
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)
    return FakeFlow
