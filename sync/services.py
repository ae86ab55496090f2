from django.db import transaction

from .models import DEFAULT_INTERVALS, Flow, Integration, IntegrationFlow


@transaction.atomic
def integration_flows_ensure(*, integration: Integration) -> list[IntegrationFlow]:
    """Give the integration one (disabled) switch per flow it does not have yet."""
    existing = set(integration.flows.values_list("flow", flat=True))
    IntegrationFlow.objects.bulk_create(
        [
            IntegrationFlow(integration=integration, flow=flow, interval_minutes=DEFAULT_INTERVALS[flow])
            for flow in Flow
            if flow not in existing
        ]
    )
    return list(integration.flows.all())
