"""django-q2 entry points: load by id, call the service. Retries of records are the engine's."""

from django.contrib.auth import get_user_model

from .followups import flow_followup_run
from .heartbeat import runs_interrupted_close
from .models import Integration, IntegrationFlow, SyncRun
from .services import flow_run, number_series_check_run
from .services import flows_stale_check as flows_stale_check_service


def flow_run_task(integration_id: int, flow: str, trigger: str, source_ids=None, requested_by_id=None) -> int:
    runs_interrupted_close()  # runs of a worker that died are closed before this one starts
    integration = Integration.objects.get(pk=integration_id)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = flow_run(integration=integration, flow=flow, trigger=trigger, source_ids=source_ids, requested_by=user)
    return run.pk


def flow_followup_task(integration_id: int, flow: str) -> int | None:
    """A follow-up run for the records queued while another run held the flow's lock."""
    runs_interrupted_close()
    integration = Integration.objects.get(pk=integration_id)
    run = flow_followup_run(integration=integration, flow=flow)
    return run.pk if run else None


def flow_run_scheduled(integration_id: int, flow: str) -> int | None:
    """The schedule's entry point: runs only while the integration and the flow are on."""
    switch = (
        IntegrationFlow.objects.select_related("integration").filter(integration_id=integration_id, flow=flow).first()
    )
    runs_interrupted_close()
    if switch is None or not switch.enabled or not switch.integration.is_active:
        return None
    return flow_run(integration=switch.integration, flow=flow, trigger=SyncRun.Trigger.SCHEDULE).pk


def number_series_check_all() -> str:
    """Daily: read every integration's customer number sequence; warn when low or overlapping."""
    checks = number_series_check_run()
    problems = [c for c in checks if c.status != "ok"]
    return f"{len(checks)} number series checked, {len(problems)} with a problem"


def flows_stale_check() -> str:
    """Hourly: tell people about enabled flows that have stopped running (and close runs whose worker died)."""
    runs_interrupted_close()
    stale = flows_stale_check_service()
    return f"{len(stale)} stale flow(s)" + (": " + ", ".join(str(f) for f in stale) if stale else "")


def refresh_tokens_renew() -> str:
    """Daily: renew OAuth2 refresh tokens nearing the end of their life though no flow used them (Fortnox)."""
    from integrations.oauth import refresh_tokens_renew as renew

    result = renew()
    text = f"{len(result.renewed)} refresh token(s) renewed"
    if result.failed:
        text += f", {len(result.failed)} failed: " + "; ".join(f"{name}: {why}" for name, why in result.failed.items())
    return text


def bulk_action_task(bulk_action_id: int) -> str:
    """An admin action confirmed on more rows than one chunk: handle them chunk by chunk (sync/bulk.py)."""
    from .bulk import bulk_action_execute, bulk_action_summary
    from .models import BulkAction

    bulk_action = bulk_action_execute(bulk_action=BulkAction.objects.get(pk=bulk_action_id))
    return f"{bulk_action.get_status_display()}: {bulk_action_summary(bulk_action)}"
