"""Operations: leases (locks across remote calls), number-series readings, notifications sent."""

from django.db import models
from django.utils import timezone

from config.models import TimeStampedModel
from integrations.models import Connection

from .integrations import Integration


class Lease(models.Model):
    """A named lock held across remote calls, without a transaction (see sync/leases.py).

    One row per key while it is held; the holder deletes it when done. A row
    whose `expires_at` has passed belongs to a holder that died and may be
    taken over.
    """

    key = models.CharField(max_length=255, unique=True, help_text="What is locked, e.g. customer:3:anna@example.com.")
    holder = models.CharField(max_length=100, help_text="Which worker holds it: host, process id, random part.")
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="After this moment another worker may take it over.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} (held by {self.holder} until {timezone.localtime(self.expires_at):%Y-%m-%d %H:%M:%S})"


class NumberSeriesCheck(TimeStampedModel):
    """A reading of an ERP number sequence: capacity left and overlap with other integrations."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="number_series_checks")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.CASCADE, related_name="number_series_checks"
    )
    numbering_id = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    start_number = models.CharField(max_length=30, blank=True)
    end_number = models.CharField(max_length=30, blank=True)
    last_number = models.CharField(max_length=30, blank=True)
    remaining = models.BigIntegerField(null=True, blank=True)
    overlaps_with = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    message = models.TextField(blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"
        indexes = [models.Index(fields=["connection", "numbering_id", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.connection.name} {self.numbering_id}"


class Notification(TimeStampedModel):
    """The last time people were told about one problem, so they are told at most once an hour."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200, help_text="Identity of the problem, e.g. run_failed:orders.")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    suppressed = models.PositiveIntegerField(default=0, help_text="Repeats not sent since the last message.")

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["integration", "key"], name="notification_unique_problem")]

    def __str__(self) -> str:
        return self.subject
