"""Admin actions: Run now, switch flows (schedules follow), resync, retry failed; confirmation first."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django_q.models import Schedule

from sync import services
from sync.flows.base import RecordFailed
from sync.models import IntegrationFlow, RecordLog, SyncRecord, SyncRun
from sync.tasks import flow_run_scheduled
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_runner(monkeypatch):
    FakeFlow.processed = []
    FakeFlow.failures = {}
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)


def orders_switch(integration) -> IntegrationFlow:
    return IntegrationFlow.objects.get(integration=integration, flow="orders")


def post_action(client, url, action, ids, confirm=False):
    data = {"action": action, "_selected_action": [str(i) for i in ids]}
    if confirm:
        data["confirm"] = "yes"
    return client.post(url, data, follow=confirm)


def test_switching_a_flow_on_creates_its_schedule_and_off_removes_it(admin_client, integration):
    switch = orders_switch(integration)
    url = reverse("admin:sync_integrationflow_changelist")
    post_action(admin_client, url, "switch_on", [switch.pk])
    schedule = Schedule.objects.get(name=f"koppla:{integration.pk}:orders")
    assert schedule.func == "sync.tasks.flow_run_scheduled" and schedule.minutes == switch.interval_minutes
    post_action(admin_client, url, "switch_off", [switch.pk])
    assert not Schedule.objects.filter(name__startswith=f"koppla:{integration.pk}:").exists()


def test_scheduled_task_skips_switched_off_flows(integration):
    assert flow_run_scheduled(integration.pk, "orders") is None
    orders_switch(integration).__class__.objects.filter(pk=orders_switch(integration).pk).update(enabled=True)
    run_id = flow_run_scheduled(integration.pk, "orders")
    assert SyncRun.objects.get(pk=run_id).trigger == "schedule"


def test_run_now_asks_for_confirmation_then_runs(admin_client, integration, django_capture_on_commit_callbacks):
    switch = orders_switch(integration)
    services.integration_flow_update(integration_flow=switch, enabled=True)
    url = reverse("admin:sync_integrationflow_changelist")
    page = post_action(admin_client, url, "run_now", [switch.pk])
    assert page.status_code == 200 and b"Run these flows now?" in page.content
    assert not SyncRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = post_action(admin_client, url, "run_now", [switch.pk], confirm=True)
    assert "Queued" in done.content.decode()
    run = SyncRun.objects.get()
    assert run.trigger == "manual" and run.status == "succeeded" and run.done == 5
    assert run.requested_by.username == "admin"


def test_run_now_on_a_switched_off_flow_says_why(admin_client, integration):
    switch = orders_switch(integration)
    done = post_action(
        admin_client, reverse("admin:sync_integrationflow_changelist"), "run_now", [switch.pk], confirm=True
    )
    assert "is off: switch it on first" in done.content.decode()
    assert not SyncRun.objects.exists()


def test_resync_from_record_logs_and_retry_failed_of_a_run(
    admin_client, integration, django_capture_on_commit_callbacks
):
    services.integration_flow_update(integration_flow=orders_switch(integration), enabled=True)
    FakeFlow.failures = {"B": RecordFailed("No tax-zone mapping for country FR / B2C"), "C": RecordFailed("x")}
    first = services.flow_run(integration=integration, flow="orders", trigger="manual")
    assert first.failed_count == 2
    FakeFlow.failures = {}
    FakeFlow.processed = []

    log_b = RecordLog.objects.get(source_id="B")
    url = reverse("admin:sync_recordlog_changelist")
    assert b"Resync these records?" in post_action(admin_client, url, "resync_selected", [log_b.pk]).content
    with django_capture_on_commit_callbacks(execute=True):
        post_action(admin_client, url, "resync_selected", [log_b.pk], confirm=True)
    assert FakeFlow.processed == ["B"]
    assert SyncRecord.objects.get(source_id="B").status == "ok"

    FakeFlow.processed = []
    with django_capture_on_commit_callbacks(execute=True):
        done = post_action(
            admin_client, reverse("admin:sync_syncrun_changelist"), "retry_failed", [first.pk], confirm=True
        )
    assert "Queued 1 failed record" in done.content.decode()
    assert FakeFlow.processed == ["C"]  # B already succeeded


def test_failed_record_review_lists_dead_letters_and_resyncs_them(
    admin_client, integration, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_MAX_ATTEMPTS = 1
    FakeFlow.failures = {"E": RecordFailed("Unknown currency 'PLN': add it in Mappings › Currencies")}
    services.flow_run(integration=integration, flow="orders", trigger="manual")
    record = SyncRecord.objects.get(source_id="E")
    listing = admin_client.get(reverse("admin:sync_syncrecord_changelist"), {"status__exact": "dead"})
    html = listing.content.decode()
    assert "Mappings › Currencies" in html and "Failed, gave up" in html
    FakeFlow.failures = {}
    with django_capture_on_commit_callbacks(execute=True):
        post_action(
            admin_client, reverse("admin:sync_syncrecord_changelist"), "resync_selected", [record.pk], confirm=True
        )
    record.refresh_from_db()
    assert record.status == "ok"


def test_ops_can_run_and_resync_but_viewers_cannot(client, integration):
    ops = User.objects.create_user("ops", password="ops-password-123", is_staff=True)
    ops.groups.add(Group.objects.get(name="Operations"))
    client.force_login(ops)
    page = client.get(reverse("admin:sync_integrationflow_changelist"))
    assert b"Run now" in page.content
    viewer = User.objects.create_user("viewer", password="viewer-password-1", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_integrationflow"))
    client.force_login(viewer)
    page = client.get(reverse("admin:sync_integrationflow_changelist"))
    assert page.status_code == 200 and b"Run now" not in page.content
