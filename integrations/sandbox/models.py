from django.db import models


class SandboxObject(models.Model):
    """One object of an emulated remote system (a customer, an order, a token…) as JSON."""

    system = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["system", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "kind", "key"], name="sandboxobject_unique")]
        indexes = [models.Index(fields=["system", "kind", "id"])]

    def __str__(self) -> str:
        return f"{self.system} {self.kind} {self.key}"


class SandboxCounter(models.Model):
    """A number sequence of an emulated system (invoice numbers, customer numbers…)."""

    system = models.CharField(max_length=20)
    name = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="sandboxcounter_unique")]

    def __str__(self) -> str:
        return f"{self.system} {self.name} = {self.value}"


class SandboxFault(models.Model):
    """A fault the emulator injects into matching requests, switchable from the admin."""

    class Kind(models.TextChoices):
        SERVER_ERROR = "server_error", "5xx before doing anything"
        RATE_LIMIT = "rate_limit", "429 with Retry-After"
        TIMEOUT = "timeout", "Timeout before doing anything"
        TIMEOUT_AFTER_WRITE = "timeout_after_write", "Timeout after the write happened"
        SLOW = "slow", "Slow response"

    system = models.CharField(max_length=20, help_text="visma_net, centra or visma_connect.")
    endpoint = models.CharField(
        max_length=200,
        default=".*",
        help_text="Regular expression matched against 'METHOD /path' (REST) or the GraphQL operation name.",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    probability = models.FloatField(default=1.0, help_text="0..1: share of matching requests that fail.")
    remaining = models.PositiveIntegerField(null=True, blank=True, help_text="Fire this many times; blank = no limit.")
    status_code = models.PositiveSmallIntegerField(default=503)
    retry_after = models.PositiveIntegerField(default=1, help_text="Seconds, for 429.")
    delay_seconds = models.FloatField(default=2.0, help_text="For slow responses.")
    enabled = models.BooleanField(default=True)
    fired = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system", "id"]

    def __str__(self) -> str:
        return f"{self.system} {self.endpoint}: {self.get_kind_display()}"
