import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sync.models import ExternalRef, Flow, SyncRun
from sync.services import integration_flows_ensure
from tests.factories import ConnectionFactory, ExternalRefFactory, IntegrationFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


def test_one_running_run_per_integration_and_flow():
    run = SyncRunFactory(status="running", flow="orders")
    SyncRunFactory(integration=run.integration, status="running", flow="stock")  # another flow: fine
    SyncRunFactory(integration=run.integration, status="succeeded", flow="orders")  # finished: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(integration=run.integration, flow="orders", trigger="schedule", status="running")


def test_external_ref_is_unique_per_integration_kind_and_source():
    ref = ExternalRefFactory(kind="invoice", source_id="order-1")
    ExternalRefFactory(integration=ref.integration, kind="customer", source_id="order-1")
    ExternalRefFactory(kind="invoice", source_id="order-1")  # other integration
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalRef.objects.create(
            integration=ref.integration, kind="invoice", source_id="order-1", target_id="X", synced_at=ref.synced_at
        )


def test_external_ref_needs_a_target():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalRefFactory(target_id="")


def test_integration_checks_connection_roles_and_statuses():
    erp = ConnectionFactory(system="visma_net")
    integration = IntegrationFactory.build(
        shop=erp, erp=ConnectionFactory(system="centra"), allowed_order_statuses=["NOPE"]
    )
    with pytest.raises(ValidationError) as exc:
        integration.full_clean()
    assert {"shop", "erp", "allowed_order_statuses"} <= set(exc.value.message_dict)


def test_every_integration_gets_one_switch_per_flow():
    integration = IntegrationFactory()
    flows = integration_flows_ensure(integration=integration)
    assert sorted(f.flow for f in flows) == sorted(Flow.values)
    assert not any(f.enabled for f in flows)
    assert len(integration_flows_ensure(integration=integration)) == len(Flow.values)  # idempotent
