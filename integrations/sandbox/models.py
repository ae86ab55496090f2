import json
import re

from django.db import models

# PostgreSQL's jsonb cannot hold U+0000, which real shops and ERPs store and send back. The
# emulators must too, so a NUL is stored as the noncharacter U+FDD0 and turned back on reading.
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
_ESCAPED_STAND_IN = re.compile(r"(?<!\\)((?:\\\\)*)\\ufdd0", re.IGNORECASE)
NUL_STAND_IN = "\ufdd0"


class NulKeepingEncoder(json.JSONEncoder):
    """JSON for a jsonb column: every NUL character becomes U+FDD0 (see NulKeepingDecoder)."""

    def encode(self, o):
        return _ESCAPED_NUL.sub(r"\1\\ufdd0", super().encode(o))


class NulKeepingDecoder(json.JSONDecoder):
    """Reads what NulKeepingEncoder wrote: U+FDD0 (raw, as PostgreSQL returns it, or escaped) is NUL again."""

    def decode(self, s, *args, **kwargs):
        if isinstance(s, str):
            s = _ESCAPED_STAND_IN.sub(r"\1\\u0000", s.replace(NUL_STAND_IN, "\\u0000"))
        return super().decode(s, *args, **kwargs)


class SandboxObject(models.Model):
    """One object of an emulated remote system (a customer, an order, a token…) as JSON."""

    system = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    data = models.JSONField(default=dict, encoder=NulKeepingEncoder, decoder=NulKeepingDecoder)
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
        GATEWAY_PAGE = "gateway_page", "HTML error page of a gateway (status code), before doing anything"

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
