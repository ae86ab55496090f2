"""Webhook deliveries as they came in: accepted, duplicate or rejected."""

from django.db import models

from config.models import TimeStampedModel

from .integrations import Integration


class WebhookEvent(TimeStampedModel):
    """One webhook delivery: verified (accepted), a repeat of an accepted one (duplicate), or not (rejected).

    `reason` says in one line why a delivery was rejected, or what was skipped in an accepted one;
    `notes` lists every skipped event (bad id, not an object) of an accepted delivery.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DUPLICATE = "duplicate", "Duplicate (already accepted)"
        REJECTED = "rejected", "Rejected"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhook_events")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, help_text="Events skipped in this delivery, one per line.")
    signature = models.CharField(max_length=128, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    enqueued = models.JSONField(default=dict, blank=True, help_text="Flow → source ids queued.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A signature is accepted once: a second delivery with it is a replay.
            models.UniqueConstraint(
                fields=["integration", "signature"],
                condition=models.Q(status="accepted"),
                name="webhookevent_signature_once",
            )
        ]

    def __str__(self) -> str:
        return f"Webhook {self.pk} ({self.get_status_display()})"
