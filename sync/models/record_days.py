"""The daily aggregate of record logs: how many attempts each closed day had, per integration, flow and status.

The dashboard's chart and its 7-day counts read closed days here instead of counting a million logs. Rows are
made only by sync/record_days.py (record_days_fill), one INSERT ... SELECT per day, never by the sync engine:
the aggregate does not depend on how or where logs are written.
"""

from django.db import models

from .integrations import Flow, Integration
from .runs import RecordLog


class RecordDay(models.Model):
    """The record logs of one closed day (the site's TIME_ZONE) of one integration's flow in one status."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    day = models.DateField()
    status = models.CharField(max_length=20, choices=RecordLog.Status.choices)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = "records per day"
        verbose_name_plural = "records per day"
        constraints = [
            models.UniqueConstraint(fields=["day", "integration", "flow", "status"], name="recordday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.flow} {self.status}: {self.count}"


class RecordDayFill(models.Model):
    """A day whose RecordDay rows are made (also a day without any log has one): each day is counted once."""

    day = models.DateField(primary_key=True)
    filled_at = models.DateTimeField()

    class Meta:
        verbose_name = "records per day, day counted"

    def __str__(self) -> str:
        return f"{self.day} (counted {self.filled_at:%Y-%m-%d %H:%M})"
