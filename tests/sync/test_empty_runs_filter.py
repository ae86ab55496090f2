"""Sync runs list: empty scheduled runs are hidden by default, counted, and can be shown."""

import pytest
from django.urls import reverse

from tests.factories import IntegrationFactory, SyncRunFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:sync_syncrun_changelist")


@pytest.fixture
def runs():
    integration = IntegrationFactory()
    empty = [SyncRunFactory(integration=integration, trigger="schedule") for _ in range(3)]
    empty.append(SyncRunFactory(integration=integration, trigger="schedule", status="skipped"))
    busy = SyncRunFactory(integration=integration, trigger="schedule", total=2, done=2, ok_count=2)
    failed = SyncRunFactory(integration=integration, trigger="schedule", status="failed", message="ERP down")
    manual = SyncRunFactory(integration=integration, trigger="manual")  # asked for: listed even when empty
    return {"empty": empty, "shown": [busy, failed, manual]}


def listed(response) -> set[int]:
    return {run.pk for run in response.context["cl"].result_list}


def test_empty_scheduled_runs_are_hidden_by_default_and_counted(admin_client, runs):
    response = admin_client.get(URL)

    assert listed(response) == {run.pk for run in runs["shown"]}
    html = response.content.decode()
    assert "4 empty scheduled runs (nothing read, nothing changed) not listed" in html
    assert "empty_scheduled=show" in html
    assert "Hide (default)" in html


def test_the_user_can_show_them_or_list_only_them(admin_client, runs):
    every = admin_client.get(URL, {"empty_scheduled": "show"})
    only = admin_client.get(URL, {"empty_scheduled": "only"})

    assert listed(every) == {run.pk for run in runs["empty"] + runs["shown"]}
    assert "not listed" not in every.content.decode()
    assert listed(only) == {run.pk for run in runs["empty"]}


def test_the_hidden_count_follows_the_other_filters(admin_client, runs):
    response = admin_client.get(URL, {"status__exact": "skipped"})

    assert listed(response) == set()
    assert "1 empty scheduled run (nothing read, nothing changed) not listed" in response.content.decode()
