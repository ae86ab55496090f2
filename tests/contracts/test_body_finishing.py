"""Every ERP adapter sends the body its body hook returns (integrations.adapters.BodyFinishing): field rules
change what reaches the ERP, and the `*_request` a record log shows is that same body."""

import pytest

from integrations.adapters import BodyFinishing
from tests.contracts.test_erp_port import ERP_FACTS, customer

NAME_FIELD = {"visma_net": ("name", "value"), "fortnox": ("Customer", "Name")}


@pytest.fixture
def facts(erp_port):
    return ERP_FACTS[erp_port.system]


def renamed(body: dict, system: str, name: str) -> dict:
    outer, inner = NAME_FIELD[system]
    return {**body, outer: {**body[outer], inner: name}}


def test_the_body_hook_shapes_what_is_sent_and_what_the_request_shows(erp_port, facts):
    assert isinstance(erp_port, BodyFinishing)
    seen = []

    def hook(kind, body):
        seen.append(kind)
        return renamed(body, erp_port.system, "Renamed By Rule")

    erp_port.body_hook = hook
    draft = customer(facts, email="hooked@example.se")

    request = erp_port.customer_request(draft)
    number = erp_port.customer_create(draft)

    outer, inner = NAME_FIELD[erp_port.system]
    assert request[outer][inner] == "Renamed By Rule"
    found = erp_port.customer_find_by_email("hooked@example.se")
    assert [(c.number, c.name) for c in found] == [(number, "Renamed By Rule")]
    assert seen == ["customer", "customer"]


def test_without_a_hook_the_body_goes_as_built(erp_port, facts):
    draft = customer(facts, email="plain@example.se")
    assert erp_port.body_hook is None
    erp_port.customer_create(draft)
    assert [c.name for c in erp_port.customer_find_by_email("plain@example.se")] == ["Port Test"]
