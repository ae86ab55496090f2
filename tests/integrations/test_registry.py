"""The registry (integrations/systems.py): clients, adapters, order statuses, sandbox URLs, webhook views."""

from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from config.errors import ApplicationError
from integrations import clients
from integrations.adapters import adapter_name, erp_for, shop_for, systems_with
from integrations.http import ConfigurationError
from integrations.systems import SYSTEMS, Role, System, order_status_choices, system_info
from sync import ports
from sync.services import number_series_check_run
from tests.factories import ConnectionFactory, IntegrationFactory


class FakeClient:
    def __init__(self, connection, **kwargs):
        self.connection, self.kwargs = connection, kwargs


@pytest.mark.parametrize("system", list(System))
def test_every_dotted_path_in_the_registry_imports(system):
    info = system_info(system)
    for path in filter(None, [info.adapter, info.client, info.webhook_view]):
        assert callable(import_string(path)), path


def test_client_for_builds_the_class_the_registry_names_with_the_default_clock(db, monkeypatch):
    connection = ConnectionFactory(system="centra")
    monkeypatch.setitem(SYSTEMS, System.CENTRA, replace(SYSTEMS[System.CENTRA], client=f"{__name__}.FakeClient"))
    monkeypatch.setattr(clients, "DEFAULT_CLOCK", "the test clock")
    client = clients.client_for(connection)
    assert isinstance(client, FakeClient) and client.connection == connection
    assert client.kwargs == {"clock": "the test clock"}


def test_client_for_a_system_without_a_client_says_so(db, monkeypatch):
    monkeypatch.setitem(SYSTEMS, System.EACCOUNTING, replace(SYSTEMS[System.EACCOUNTING], client=""))
    with pytest.raises(ConfigurationError, match="Visma eAccounting is not supported by this version of Koppla yet."):
        clients.client_for(ConnectionFactory(system="eaccounting"))


def test_adapters_come_from_the_registry(db):
    integration = IntegrationFactory()
    shop, erp = shop_for(integration), erp_for(integration)
    assert (shop.system, shop.display_name, erp.system, erp.display_name) == (
        "centra",
        "Centra",
        "visma_net",
        "Visma.net",
    )
    assert (adapter_name("visma_net", role=Role.ERP), adapter_name("fortnox", role=Role.ERP)) == (
        "Visma.net",
        "Fortnox",
    )


def test_capabilities_replace_system_names():
    assert systems_with(ports.NUMBER_SERIES, role=Role.ERP) == ["visma_net"]
    assert systems_with(ports.WEBHOOKS, role=Role.SHOP) == ["centra"]
    assert systems_with(ports.NUMBER_SERIES, role=Role.SHOP) == []


def test_the_number_series_check_refuses_an_erp_without_the_capability_in_the_same_words(db):
    integration = IntegrationFactory(erp=ConnectionFactory(system="fortnox", name="Books"))
    with pytest.raises(
        ApplicationError, match=r"Books \(Fortnox\) is Fortnox: only Visma.net number series are checked."
    ):
        number_series_check_run(integration=integration)


def test_sandbox_urls_follow_the_site_url():
    assert system_info("centra").sandbox_fields("http://127.0.0.1:8001/") == {
        "base_url": "http://127.0.0.1:8001/sandbox/centra/graphql"
    }
    assert system_info("visma_net").sandbox_fields("http://h") == {
        "base_url": "http://h/sandbox/visma-net/api",
        "token_url": "http://h/sandbox/visma-connect/connect/token",
        "authorize_url": "http://h/sandbox/visma-connect/connect/authorize",
    }


def test_order_statuses_are_the_shops_own(db, monkeypatch):
    assert [code for code, _ in order_status_choices()] == [
        *["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED"],  # Centra's
        *["Draft", "Ongoing", "Shipped", "Invoiced"],  # eAccounting's OrderApi.Status names
    ]
    assert order_status_choices("eaccounting")[-1] == ("Invoiced", "Invoiced")
    info = SYSTEMS[System.EACCOUNTING]
    monkeypatch.setitem(SYSTEMS, System.EACCOUNTING, replace(info, order_statuses=(("PAID", "Paid"),)))
    assert order_status_choices("eaccounting") == [("PAID", "Paid")]
    assert [code for code, _ in order_status_choices()] == ["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "PAID"]

    shop = ConnectionFactory(system="eaccounting", auth_type="oauth2_code")
    erp = ConnectionFactory(system="visma_net")
    IntegrationFactory.build(shop=shop, erp=erp, allowed_order_statuses=["PAID"]).full_clean(exclude=["name"])
    with pytest.raises(ValidationError) as exc:
        IntegrationFactory.build(shop=shop, erp=erp, allowed_order_statuses=["SHIPPED"]).full_clean(exclude=["name"])
    assert exc.value.message_dict["allowed_order_statuses"] == ["Pick one or more of: PAID."]


def test_centra_order_statuses_are_validated_from_the_registry(db):
    integration = IntegrationFactory.build(
        shop=ConnectionFactory(system="centra"),
        erp=ConnectionFactory(system="visma_net"),
        allowed_order_statuses=["SHIPPED", "NOPE"],
    )
    with pytest.raises(ValidationError) as exc:
        integration.full_clean(exclude=["name"])
    assert exc.value.message_dict["allowed_order_statuses"] == [
        "Pick one or more of: CONFIRMED, PENDING, PROCESSING, SHIPPED."
    ]
