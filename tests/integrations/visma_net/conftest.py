import pytest

from integrations.http import RetryPolicy
from integrations.visma_net import demo_data
from integrations.visma_net.client import VismaNetClient
from tests.fakes import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def seeded(db):
    """The demo company in the Visma.net emulator."""
    return demo_data.seed()


@pytest.fixture
def client(visma_connection, seeded, clock):
    """A client of the seeded in-process sandbox that never really sleeps."""
    return VismaNetClient(
        visma_connection, clock=clock, policy=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, jitter=0.0)
    )
