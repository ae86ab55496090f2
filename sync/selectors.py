from django.db.models import Count, OuterRef, Q, Subquery

from .models import Integration, IntegrationFlow, SyncRecord, SyncRun


def integration_flows_with_state(*, integration: Integration | None = None):
    """IntegrationFlow rows annotated with their last run and the records waiting for action."""
    last_run = SyncRun.objects.filter(integration=OuterRef("integration"), flow=OuterRef("flow")).order_by(
        "-created_at"
    )
    failing = (
        SyncRecord.objects.filter(
            integration=OuterRef("integration"),
            flow=OuterRef("flow"),
            status__in=[SyncRecord.Status.RETRYING, SyncRecord.Status.DEAD],
        )
        .values("flow")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = IntegrationFlow.objects.select_related("integration").annotate(
        last_run_id=Subquery(last_run.values("pk")[:1]),
        last_run_status=Subquery(last_run.values("status")[:1]),
        last_run_at=Subquery(last_run.values("created_at")[:1]),
        failing_records=Subquery(failing[:1]),
    )
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    return queryset


def record_counts(*, integration: Integration, flow: str) -> dict[str, int]:
    return dict(
        SyncRecord.objects.filter(integration=integration, flow=flow)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def runs_active():
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING)


def failing_records(*, integration: Integration | None = None):
    queryset = SyncRecord.objects.filter(Q(status=SyncRecord.Status.RETRYING) | Q(status=SyncRecord.Status.DEAD))
    return queryset.filter(integration=integration) if integration else queryset
