"""What the demo has seeded once, so that later starts leave the user's edits alone."""

from django.db import models


class DemoSeed(models.Model):
    """One part of the demo seeded into an integration ("integration", or a mapping table's name).

    Written by sync.demo when it seeds that part; while the row exists the demo
    never seeds the part again, so edits and deletions survive restarts
    (`make clean` starts from scratch).
    """

    integration = models.ForeignKey("sync.Integration", on_delete=models.CASCADE, related_name="demo_seeds")
    part = models.CharField(max_length=50, help_text="'integration' or a mapping table, e.g. tax_zones.")
    seeded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["integration", "part"], name="demo_seed_once_per_part")]

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.part}"
