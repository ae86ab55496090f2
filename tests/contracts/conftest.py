"""Port contract suites run against every adapter the registry names, each through its sandbox.

`erp_port` and `shop_port` are parametrised over integrations.systems.SYSTEMS: every system with
an adapter in that role. Each needs a connected sandbox connection fixture, named in
SANDBOX_CONNECTIONS (tests/conftest.py defines them) and seeded by SANDBOX_SEEDS; a new system's
adapter is done when the suites pass against its sandbox.
"""

import pytest

from integrations.systems import SYSTEMS, Role
from tests.fakes import FakeClock

# system → the fixture of a connected connection to its in-process sandbox
SANDBOX_CONNECTIONS = {
    "visma_net": "visma_connection",
    "centra": "centra_connection",
    "fortnox": "fortnox_connection",
    "eaccounting": "eaccounting_connection",
}


def _seed_visma_net():
    from integrations.visma_net import demo_data

    demo_data.seed()


def _seed_fortnox():
    from integrations.fortnox import demo_data

    demo_data.seed()


# system → what puts its sandbox's demo data in place (master data the suites rely on)
SANDBOX_SEEDS = {"visma_net": _seed_visma_net, "fortnox": _seed_fortnox}


def systems_with(role: Role) -> list[str]:
    return [str(system) for system, info in SYSTEMS.items() if info.role == role and info.adapter]


@pytest.fixture
def port_clock(monkeypatch):
    """Waits (backoff, Retry-After, rate limits) advance a fake clock instead of sleeping."""
    clock = FakeClock()
    monkeypatch.setattr("integrations.clients.DEFAULT_CLOCK", clock)
    return clock


def _adapter(request, system: str, role: Role):
    from integrations.adapters import adapter_for

    assert system in SANDBOX_CONNECTIONS, f"{system} has an adapter but no sandbox connection fixture for the suite"
    connection = request.getfixturevalue(SANDBOX_CONNECTIONS[system])
    SANDBOX_SEEDS.get(system, lambda: None)()
    return adapter_for(connection, role=role)


@pytest.fixture(params=systems_with(Role.ERP))
def erp_port(request, db, port_clock):
    """An ErpPort adapter connected to its system's sandbox (one test run per ERP)."""
    return _adapter(request, request.param, Role.ERP)


@pytest.fixture(params=systems_with(Role.SHOP))
def shop_port(request, db, port_clock):
    """A ShopPort adapter connected to its system's sandbox (one test run per shop)."""
    return _adapter(request, request.param, Role.SHOP)
