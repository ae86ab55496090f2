"""Telling people when something breaks: e-mail and an optional chat webhook, at most once an hour per problem."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.storable import storable_text
from integrations.adapters import adapter_name
from integrations.http import HttpClient, RemoteError, RetryPolicy
from integrations.systems import Role

from .models import Integration, Notification
from .record_names import record_label

logger = logging.getLogger("koppla.monitoring")

THROTTLE = timedelta(hours=1)
# A flow that stopped running stays stopped until someone acts: remind a few times a day, not every hour.
STALE_THROTTLE = timedelta(hours=6)


def admin_absolute_url(obj) -> str:
    opts = obj._meta
    return settings.SITE_URL + reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def _deliver(*, integration: Integration, subject: str, body: str, url: str) -> None:
    text = f"{body}\n\n{url}" if url else body
    recipients = integration.notify_recipients
    if recipients:
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        except OSError:
            logger.exception("Could not e-mail %s about: %s", recipients, subject)
    if integration.notify_webhook_url:
        client = HttpClient(
            system="notification",
            base_url=integration.notify_webhook_url,
            session_key="notification-webhook",
            policy=RetryPolicy(max_attempts=2, base_delay=1.0),
        )
        try:
            client.request("POST", integration.notify_webhook_url, json_body={"text": f"*{subject}*\n{text}"})
        except RemoteError:
            logger.exception("Could not post to the notification webhook of %s", integration)


def problem_notify(
    *, integration: Integration, key: str, subject: str, body: str, url: str = "", throttle: timedelta = THROTTLE
) -> bool:
    """Tell the integration's contacts about a problem unless they heard of it within `throttle` (an hour).

    Returns True when a message goes out (after the surrounding transaction commits).
    """
    now = timezone.now()
    # Problems quote remote and shop text: store it cleaned (config.storable), as every log is.
    key, subject, body, url = (
        storable_text(key)[:200],
        storable_text(subject, 300),
        storable_text(body),
        storable_text(url),
    )
    with transaction.atomic():
        row, _ = Notification.objects.select_for_update().get_or_create(
            integration=integration, key=key, defaults={"subject": subject}
        )
        row.subject, row.body, row.url = subject, body, url[:500]
        if row.last_sent_at and now - row.last_sent_at < throttle:
            row.suppressed += 1
            row.save(update_fields=["subject", "body", "url", "suppressed", "updated_at"])
            return False
        if row.suppressed:
            body = f"{body}\n\n({row.suppressed} repeat(s) of this problem were not sent separately.)"
        row.last_sent_at, row.suppressed = now, 0
        row.save(update_fields=["subject", "body", "url", "last_sent_at", "suppressed", "updated_at"])
    transaction.on_commit(lambda: _deliver(integration=integration, subject=subject, body=body, url=url))
    return True


def run_failed_notify(*, run) -> bool:
    return problem_notify(
        integration=run.integration,
        key=f"run_failed:{run.flow}",
        subject=f"[Koppla] {run.integration}: {run.get_flow_display()} run #{run.pk} failed",
        body=run.message or "The run failed.",
        url=admin_absolute_url(run),
    )


def dead_letter_notify(*, record) -> bool:
    return problem_notify(
        integration=record.integration,
        key=f"dead_letter:{record.flow}",
        subject=f"[Koppla] {record.integration}: {record_label(record)} needs action ({record.get_flow_display()})",
        body=f"It failed {record.attempts} time(s) and will not be retried automatically.\n\n{record.last_error}",
        url=admin_absolute_url(record),
    )


def number_series_notify(*, check) -> bool:
    """A customer number series is running low, has run out or overlaps another integration's."""
    integration = check.integration
    if check.overlaps_with:
        problem = "overlaps another integration's"
    elif check.remaining == 0:
        problem = "has run out"
    elif check.remaining is None:
        problem = "could not be checked"
    else:
        problem = "is running low"
    return problem_notify(
        integration=integration,
        key=f"number_series:{check.numbering_id}",
        subject=f"[Koppla] {integration}: customer number series {check.numbering_id} {problem}",
        body=(
            f"{check.message.rstrip('.')}.\n\nNumber series {check.numbering_id} in {check.connection}: "
            f"{check.start_number}–{check.end_number}, last used {check.last_number or '—'}, "
            f"{'unknown' if check.remaining is None else check.remaining} left. Extend the range or give the "
            f"integrations separate ranges in {adapter_name(check.connection.system, role=Role.ERP)} (Number series), "
            "or change the integration's customer number sequence under Integrations › Monitoring."
        ),
        url=admin_absolute_url(check),
    )


def flow_stale_notify(*, integration_flow, last_run_at) -> bool:
    """An enabled flow has not started a run for three of its intervals."""
    integration = integration_flow.integration
    when = f"since {timezone.localtime(last_run_at):%Y-%m-%d %H:%M}" if last_run_at else ""
    return problem_notify(
        integration=integration,
        key=f"flow_stale:{integration_flow.flow}",
        subject=f"[Koppla] {integration}: {integration_flow.get_flow_display()} "
        + (f"has not run {when}" if when else "has never run"),
        body=(
            f"The flow is switched on and scheduled every {integration_flow.interval_minutes} min, but "
            + (f"no run started {when}." if when else "it has never started a run.")
            + " Check that the q2 worker (manage.py qcluster) is running and that the flow's "
            "schedule exists under Django Q › Scheduled tasks; switching the flow off and on again recreates it."
        ),
        url=admin_absolute_url(integration_flow),
        throttle=STALE_THROTTLE,
    )
