from django.db import models


class TimeStampedModel(models.Model):
    """Audit timestamps shared by every Koppla model (shown read-only in the admin)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
