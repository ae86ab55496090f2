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


# Payout formats of the settlement-file tests (a module may define its own under the same name).
@pytest.fixture
def generic():
    from sync.models import PayoutFormat
    from sync.payouts.services import payout_format_from_preset

    return payout_format_from_preset(name="Generic PSP", preset=PayoutFormat.Preset.GENERIC)


@pytest.fixture
def adyen():
    from sync.models import PayoutFormat
    from sync.payouts.services import payout_format_from_preset

    return payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)


@pytest.fixture
def stripe():
    from sync.models import PayoutFormat
    from sync.payouts.services import payout_format_from_preset

    return payout_format_from_preset(name="Stripe", preset=PayoutFormat.Preset.STRIPE)
