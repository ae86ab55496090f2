"""Notifications when a run fails or a record is dead-lettered: once per problem per hour."""

from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.utils import timezone

from sync import services
from sync.flows.base import RecordFailed
from sync.models import Notification
from sync.monitoring import problem_notify
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(integration, monkeypatch):
    integration.notify_emails = "ops@example.com,\nlead@example.com"
    integration.save()
    FakeFlow.failures = {}
    FakeFlow.processed = []
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)
    return integration


def test_a_failed_run_emails_the_contacts_with_a_link(watched, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(
        FakeFlow, "changed_since", lambda self, c: (_ for _ in ()).throw(RecordFailed("Centra token expired"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.flow_run(integration=watched, flow="orders", trigger="schedule")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com", "lead@example.com"]
    assert f"run #{run.pk} failed" in message.subject
    assert "Centra token expired" in message.body
    assert f"/admin/sync/syncrun/{run.pk}/change/" in message.body


def test_repeats_within_the_hour_are_not_sent_again(watched, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert problem_notify(integration=watched, key="run_failed:orders", subject="s", body="b")
        assert not problem_notify(integration=watched, key="run_failed:orders", subject="s", body="b")
        assert not problem_notify(integration=watched, key="run_failed:orders", subject="s", body="b")
        assert problem_notify(integration=watched, key="run_failed:stock", subject="other problem", body="b")
    assert len(mail.outbox) == 2
    row = Notification.objects.get(key="run_failed:orders")
    assert row.suppressed == 2
    Notification.objects.filter(pk=row.pk).update(last_sent_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        assert problem_notify(integration=watched, key="run_failed:orders", subject="s", body="b")
    assert "2 repeat(s)" in mail.outbox[-1].body


def test_a_dead_letter_is_announced_once(watched, settings, django_capture_on_commit_callbacks):
    settings.SYNC_MAX_ATTEMPTS = 1
    FakeFlow.failures = {
        "A": RecordFailed("Unknown payment method 'swish'"),
        "B": RecordFailed("Unknown payment method 'swish'"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.flow_run(integration=watched, flow="orders", trigger="schedule")
    assert len(mail.outbox) == 1  # two dead records of the same flow: one message
    assert "needs action" in mail.outbox[0].subject and "swish" in mail.outbox[0].body


@responses.activate
def test_chat_webhook_gets_the_message_and_its_failure_is_harmless(watched, django_capture_on_commit_callbacks):
    watched.notify_webhook_url = "https://chat.example.test/hooks/abc"
    watched.save()
    responses.post("https://chat.example.test/hooks/abc", json={"ok": True})
    with django_capture_on_commit_callbacks(execute=True):
        problem_notify(integration=watched, key="k1", subject="Orders flow broke", body="details")
    assert "Orders flow broke" in responses.calls[0].request.body.decode()
    responses.post("https://chat.example.test/hooks/abc", status=500)
    with django_capture_on_commit_callbacks(execute=True):
        problem_notify(integration=watched, key="k2", subject="again", body="x")  # no exception
    assert len(mail.outbox) == 2
