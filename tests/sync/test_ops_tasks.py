"""Operations checks: their schedules, the stale-flow alarm and the q2 entry points."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from sync import tasks
from sync.models import IntegrationFlow, Notification, SyncRun
from sync.services import OPS_SCHEDULES, flows_stale_check, integration_schedules_sync, ops_schedules_ensure
from tests.factories import SyncRunFactory

pytestmark = pytest.mark.django_db


def test_ops_schedules_are_created_once():
    ops_schedules_ensure()
    ops_schedules_ensure()

    schedules = {s.name: s for s in Schedule.objects.filter(name__startswith="koppla:ops:")}
    assert set(schedules) == set(OPS_SCHEDULES)
    check = schedules["koppla:ops:number_series_check"]
    assert (check.func, check.schedule_type, check.repeats) == (
        "sync.tasks.number_series_check_all",
        Schedule.DAILY,
        -1,
    )
    stale = schedules["koppla:ops:flows_stale_check"]
    assert (stale.func, stale.schedule_type) == ("sync.tasks.flows_stale_check", Schedule.HOURLY)
    for schedule in schedules.values():  # the functions exist where the schedule says
        module, _, name = schedule.func.rpartition(".")
        assert callable(getattr(tasks, name)) and module == "sync.tasks"


def test_a_changed_ops_schedule_is_put_back():
    ops_schedules_ensure()
    Schedule.objects.filter(name="koppla:ops:flows_stale_check").update(schedule_type=Schedule.ONCE, repeats=0)
    ops_schedules_ensure()
    schedule = Schedule.objects.get(name="koppla:ops:flows_stale_check")
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.HOURLY, -1)


def test_saving_an_integrations_schedules_ensures_the_ops_schedules(integration):
    integration_schedules_sync(integration=integration)
    assert Schedule.objects.filter(name__startswith="koppla:ops:").count() == len(OPS_SCHEDULES)


@pytest.fixture
def watched(integration):
    integration.notify_emails = "ops@example.com"
    integration.save()
    return integration


def enable(integration, flow, *, interval=5, since=timedelta(hours=2)) -> IntegrationFlow:
    IntegrationFlow.objects.filter(integration=integration, flow=flow).update(
        enabled=True, interval_minutes=interval, updated_at=timezone.now() - since
    )
    return IntegrationFlow.objects.get(integration=integration, flow=flow)


def ran(integration, flow, ago: timedelta) -> SyncRun:
    run = SyncRunFactory(integration=integration, flow=flow)
    SyncRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - ago)
    return run


def test_a_flow_that_stopped_running_is_announced_once(watched, django_capture_on_commit_callbacks):
    enable(watched, "orders", interval=5)
    ran(watched, "orders", timedelta(minutes=40))  # 3 × 5 min have passed
    enable(watched, "stock", interval=15)
    ran(watched, "stock", timedelta(minutes=20))  # within 3 × 15 min: fine
    ran(watched, "products", timedelta(days=3))  # switched off: never stale

    with django_capture_on_commit_callbacks(execute=True):
        stale = flows_stale_check()
        again = flows_stale_check()

    assert [f.flow for f in stale] == ["orders"] and [f.flow for f in again] == ["orders"]
    assert len(mail.outbox) == 1  # throttled: the hourly repeat is not sent
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"] and "has not run since" in message.subject
    assert "q2 worker" in message.body and "every 5 min" in message.body
    assert Notification.objects.get(key="flow_stale:orders").suppressed == 1


def test_the_reminder_comes_again_after_the_throttle(watched, django_capture_on_commit_callbacks):
    enable(watched, "orders", interval=5)
    with django_capture_on_commit_callbacks(execute=True):
        flows_stale_check()
        Notification.objects.filter(key="flow_stale:orders").update(last_sent_at=timezone.now() - timedelta(minutes=90))
        flows_stale_check()  # 90 minutes later: still within the stale throttle
        Notification.objects.filter(key="flow_stale:orders").update(last_sent_at=timezone.now() - timedelta(hours=7))
        flows_stale_check()
    assert len(mail.outbox) == 2
    assert "has never run" in mail.outbox[0].subject  # a flow switched on that never ran


def test_a_flow_of_a_switched_off_integration_is_not_stale(watched):
    enable(watched, "orders", interval=5)
    watched.is_active = False
    watched.save()
    assert flows_stale_check() == []
    assert not Notification.objects.exists()


def test_the_tasks_call_the_services(watched, monkeypatch):
    enable(watched, "orders", interval=5)
    assert tasks.flows_stale_check().startswith("1 stale flow(s): ")
    monkeypatch.setattr(tasks, "number_series_check_run", lambda: [])
    assert tasks.number_series_check_all() == "0 number series checked, 0 with a problem"
