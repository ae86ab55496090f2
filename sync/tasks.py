"""django-q2 entry points: load by id, call the service. Retries of records are the engine's."""

from django.contrib.auth import get_user_model

from .models import Integration, IntegrationFlow, SyncRun
from .services import flow_run


def flow_run_task(integration_id: int, flow: str, trigger: str, source_ids=None, requested_by_id=None) -> int:
    integration = Integration.objects.get(pk=integration_id)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = flow_run(integration=integration, flow=flow, trigger=trigger, source_ids=source_ids, requested_by=user)
    return run.pk


def flow_run_scheduled(integration_id: int, flow: str) -> int | None:
    """The schedule's entry point: runs only while the integration and the flow are on."""
    switch = (
        IntegrationFlow.objects.select_related("integration").filter(integration_id=integration_id, flow=flow).first()
    )
    if switch is None or not switch.enabled or not switch.integration.is_active:
        return None
    return flow_run(integration=switch.integration, flow=flow, trigger=SyncRun.Trigger.SCHEDULE).pk
