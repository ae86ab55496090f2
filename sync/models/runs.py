"""Runs and records: one run of a flow (SyncRun), each attempt at a record (RecordLog), each record's state (SyncRecord)."""

from django.conf import settings
from django.db import models

from config.models import TimeStampedModel
from sync.record_names import record_label

from .integrations import Flow, Integration

# A scheduled run that read, wrote, skipped and failed nothing (most runs: "nothing new"); the runs list hides
# them by default (sync/run_filters.py) and two partial indexes below follow this very condition.
EMPTY_SCHEDULED_RUN = models.Q(
    trigger="schedule",
    status__in=["succeeded", "skipped"],
    total=0,
    ok_count=0,
    skipped_count=0,
    failed_count=0,
)


class SyncRun(TimeStampedModel):
    """One execution of one flow for one integration."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        WEBHOOK = "webhook", "Webhook"
        MANUAL = "manual", "Run now"
        RESYNC = "resync", "Resync"
        FOLLOW_UP = "follow_up", "Follow-up (records queued during another run)"
        BOOKING = "booking", "Booking (a payout's lines booked from the admin)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "OK"
        PARTIAL = "partial", "Finished with failed records"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        PAUSED = "paused", "Stopped: the remote asked us to wait"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="runs")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life of the worker running it; a run silent too long is taken over.",
    )
    current_source_id = models.CharField(
        max_length=100, blank=True, help_text="The record being processed right now (empty between records)."
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    ok_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    cursor_from = models.CharField(max_length=100, blank=True, help_text="Changes after this point were read.")
    cursor_to = models.CharField(max_length=100, blank=True, help_text="Where the next run starts reading.")
    message = models.TextField(
        "progress and notes",
        blank=True,
        help_text="While it runs: the pages and records read so far. Then: what it noted, "
        "or why it failed or was skipped.",
    )
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        indexes = [
            models.Index(fields=["integration", "flow", "-created_at"]),
            # The admin list at scale (sync/admin/runs.py): a status filter newest first, how many empty
            # scheduled runs the list hides, and the runs it shows by default (newest first, and their count).
            models.Index(fields=["status", "created_at", "id"], name="syncrun_status_created"),
            models.Index(fields=["created_at"], condition=EMPTY_SCHEDULED_RUN, name="syncrun_empty_scheduled"),
            models.Index(fields=["created_at", "id"], condition=~EMPTY_SCHEDULED_RUN, name="syncrun_worked_created"),
        ]
        constraints = [
            # The lock: at most one running run per integration and flow, enforced by the database.
            models.UniqueConstraint(
                fields=["integration", "flow"],
                condition=models.Q(status="running"),
                name="syncrun_one_running_per_flow",
            ),
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="syncrun_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class RecordLog(TimeStampedModel):
    """What happened to one record in one attempt: payload, remote calls, result."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        DRY_RUN = "dry_run", "Dry run (not sent)"
        WAITING = "waiting", "Waiting: the remote asked us to wait"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="records")
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="record_logs")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    source_id = models.CharField(max_length=100, help_text="Id of the record in the source system.")
    source_label = models.CharField(max_length=200, blank=True, help_text="e.g. order number, e-mail, SKU.")
    target_id = models.CharField(max_length=100, blank=True, help_text="Id created or updated in the target.")
    status = models.CharField(max_length=20, choices=Status.choices)
    attempt = models.PositiveSmallIntegerField(default=1)
    request = models.JSONField(null=True, blank=True, help_text="The payload mapped for the target.")
    response = models.JSONField(null=True, blank=True, help_text="What the target answered.")
    calls = models.JSONField(default=list, blank=True, help_text="Every remote call, secrets redacted.")
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When the record is retried.")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("resync_record", "Can resync records")]
        indexes = [
            models.Index(fields=["integration", "flow", "source_id"]),
            models.Index(fields=["status", "next_attempt_at"]),
            # The admin list at a million rows (sync/admin/records.py): newest first, a status filter newest
            # first, the key search by prefix (varchar_pattern_ops: LIKE 'x%' on PostgreSQL whatever the
            # collation; SQLite ignores the operator class), and the dashboard's live counts of a day
            # (sync/record_days.py) read from the index alone.
            models.Index(fields=["status", "created_at", "id"], name="recordlog_status_created"),
            models.Index(fields=["source_id"], opclasses=["varchar_pattern_ops"], name="recordlog_source_prefix"),
            models.Index(fields=["target_id"], opclasses=["varchar_pattern_ops"], name="recordlog_target_prefix"),
            models.Index(fields=["source_label"], opclasses=["varchar_pattern_ops"], name="recordlog_label_prefix"),
            models.Index(fields=["created_at"], include=["status", "integration", "flow"], name="recordlog_day_counts"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempt__gte=1), name="recordlog_attempt_min"),
        ]

    def __str__(self) -> str:
        return f"{record_label(self)}: {self.get_status_display()}"


class SyncRecord(TimeStampedModel):
    """The current state of one source record in one flow (RecordLog keeps every attempt).

    Failed records wait here for their next automatic attempt; after the last
    one they are dead letters until someone resyncs them.
    """

    class Status(models.TextChoices):
        OK = "ok", "OK"
        SKIPPED = "skipped", "Skipped"
        RETRYING = "retrying", "Failed, will retry"
        DEAD = "dead", "Failed, gave up (needs action)"
        QUEUED = "queued", "Queued for the next run"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="sync_records")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    source_id = models.CharField(max_length=100)
    source_label = models.CharField(max_length=200, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed attempts in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_log = models.ForeignKey(RecordLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "record"
        constraints = [
            models.UniqueConstraint(fields=["integration", "flow", "source_id"], name="syncrecord_unique"),
        ]
        indexes = [
            models.Index(fields=["integration", "flow", "status", "next_attempt_at"]),
            # The admin list at scale (sync/admin/records.py): newest first, a status filter newest first, the
            # "Failed" filter (retrying or dead) newest first, the key search by prefix (as RecordLog's).
            models.Index(fields=["updated_at", "id"], name="syncrecord_updated"),
            models.Index(fields=["status", "updated_at", "id"], name="syncrecord_status_updated"),
            models.Index(
                fields=["updated_at", "id"],
                condition=models.Q(status__in=["retrying", "dead"]),
                name="syncrecord_failing_updated",
            ),
            models.Index(fields=["source_id"], opclasses=["varchar_pattern_ops"], name="syncrecord_source_prefix"),
            models.Index(fields=["target_id"], opclasses=["varchar_pattern_ops"], name="syncrecord_target_prefix"),
            models.Index(fields=["source_label"], opclasses=["varchar_pattern_ops"], name="syncrecord_label_prefix"),
        ]

    def __str__(self) -> str:
        return record_label(self)
