"""Refresh-token upkeep: a Fortnox refresh token nearing the end of its life is renewed by the daily
schedule though no flow runs (single-use rotation through the sandbox's token endpoint)."""

from datetime import UTC, datetime, timedelta

import pytest
from django_q.models import Schedule

from integrations import oauth
from integrations.fortnox.oauth_sandbox import refresh_grant_count
from integrations.models import Connection
from integrations.systems import system_info
from sync import tasks
from sync.services import ops_schedules_ensure

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


class Days:
    """A fake clock for refresh-token ages: starts at T0, moved on by hand."""

    def __init__(self):
        self.moment = T0

    def __call__(self) -> datetime:
        return self.moment

    def later(self, **delta) -> None:
        self.moment = T0 + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = Days()
    monkeypatch.setattr(oauth, "_now", fake)
    return fake


@pytest.fixture
def fortnox(fortnox_connection):
    Connection.objects.filter(pk=fortnox_connection.pk).update(refresh_token_issued_at=T0)
    return Connection.objects.get(pk=fortnox_connection.pk)


def test_fortnox_refresh_tokens_are_trusted_for_the_shorter_documented_life():
    assert system_info("fortnox").refresh_token_days == 31
    assert system_info("visma_net").refresh_token_days == 0  # renewed on every use, nothing to keep alive


def test_a_refresh_token_is_left_alone_until_half_its_life_and_renewed_after(clock, fortnox):
    old_refresh = str(fortnox.refresh_token)
    clock.later(days=15, hours=11)

    assert oauth.refresh_tokens_renew().renewed == []
    assert refresh_grant_count() == 0

    clock.later(days=15, hours=12)
    result = oauth.refresh_tokens_renew()

    assert (result.renewed, result.failed) == ([fortnox.name], {})
    assert refresh_grant_count() == 1
    renewed = Connection.objects.get(pk=fortnox.pk)
    assert str(renewed.refresh_token) != old_refresh
    assert renewed.refresh_token_issued_at == T0 + timedelta(days=15, hours=12)
    assert renewed.status == Connection.Status.CONNECTED
    assert oauth.refresh_tokens_renew().renewed == []  # the new one is young: nothing more is sent
    assert refresh_grant_count() == 1


def test_a_renewed_refresh_token_still_works_and_the_old_one_is_spent(clock, fortnox):
    clock.later(days=20)
    oauth.refresh_tokens_renew()

    oauth.token_refresh(connection=Connection.objects.get(pk=fortnox.pk), force=True)

    assert refresh_grant_count() == 2 and Connection.objects.get(pk=fortnox.pk).status == "connected"


def test_a_refresh_token_of_unknown_age_is_renewed(clock, fortnox):
    Connection.objects.filter(pk=fortnox.pk).update(refresh_token_issued_at=None)

    assert oauth.refresh_tokens_renew().renewed == [fortnox.name]
    assert Connection.objects.get(pk=fortnox.pk).refresh_token_issued_at == T0


def test_a_refused_renewal_is_reported_on_its_connection_and_the_others_are_renewed(clock, fortnox):
    second = Connection.objects.get(pk=fortnox.pk)
    second.pk, second.name = None, "Fortnox (second company)"
    second.save()  # the same refresh token twice: the first renewal spends it, the second is refused
    clock.later(days=16)

    result = oauth.refresh_tokens_renew()

    assert result.renewed == [fortnox.name]
    assert list(result.failed) == ["Fortnox (second company)"]
    failed = Connection.objects.get(name="Fortnox (second company)")
    assert failed.status == Connection.Status.EXPIRED
    assert "Invalid refresh token" in failed.last_error and "Click Connect" in failed.last_error
    assert tasks.refresh_tokens_renew() == "0 refresh token(s) renewed"  # an expired one waits for Connect


def test_other_systems_and_unconnected_connections_are_not_touched(clock, fortnox, visma_connection):
    from integrations.visma_net.connect_sandbox import refresh_grant_count as visma_grants

    Connection.objects.filter(pk=visma_connection.pk).update(refresh_token_issued_at=T0 - timedelta(days=400))
    Connection.objects.filter(pk=fortnox.pk).update(status=Connection.Status.EXPIRED)
    clock.later(days=40)

    assert tasks.refresh_tokens_renew() == "0 refresh token(s) renewed"
    assert (refresh_grant_count(), visma_grants()) == (0, 0)


def test_the_renewal_runs_daily_from_the_ops_schedules():
    ops_schedules_ensure()

    schedule = Schedule.objects.get(name="koppla:ops:refresh_tokens_renew")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "sync.tasks.refresh_tokens_renew",
        Schedule.DAILY,
        -1,
    )
