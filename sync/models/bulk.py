"""The record of one admin action run on many rows (a "bulk action"): what, on which rows, by whom, how far."""

from django.conf import settings
from django.db import models

from config.models import TimeStampedModel


class BulkAction(TimeStampedModel):
    """One admin action confirmed on a selection, worked through in chunks.

    `object_ids` are the primary keys of the rows selected when the user
    confirmed (the changelist's filter applied in that request), as strings;
    `done` of `total` of them have been handled so far. `handler` is the dotted
    path of the function that handles one chunk (sync/bulk_handlers.py).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        PARTIAL = "partial", "Done, with problems"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=200, help_text="The action, as the list page names it.")
    action = models.CharField(max_length=100, help_text="The action's name in the admin.")
    model_label = models.CharField(max_length=100, help_text="The rows' model, e.g. sync.syncrecord.")
    handler = models.CharField(max_length=200, help_text="The function that handles one chunk of rows.")
    result_text = models.CharField(
        max_length=300, blank=True, help_text="What is said when it is done; {count} is what the chunks counted."
    )
    selection = models.CharField(max_length=500, help_text="What was selected, in words.")
    filters = models.CharField(max_length=2000, blank=True, help_text="The list page's query string (filter, search).")
    object_ids = models.JSONField(default=list, help_text="Primary keys of the selected rows, as strings.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Rows handled so far.")
    count = models.PositiveIntegerField(default=0, help_text="What the chunks counted (e.g. records queued).")
    problems = models.PositiveIntegerField(default=0, help_text="Rows or chunks that could not be handled.")
    message = models.TextField(blank=True, help_text="The result, and every problem in one sentence each.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="bulkaction_done_le_total")
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.PARTIAL, self.Status.FAILED)
