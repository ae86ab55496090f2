from django.core.exceptions import ValidationError
from django.db import models

from config.models import TimeStampedModel

from .fields import EncryptedJSONField, EncryptedTextField
from .systems import AuthType, System, parse_rate_limit, system_info

# Keys a Connection may hold in `secrets`; the admin offers one write-only input for each.
SECRET_KEYS = {
    "client_secret": "OAuth2 client secret",
    "api_token": "API token",
    "webhook_secret": "Webhook signing secret",
}


class Connection(TimeStampedModel):
    """Credentials and endpoint of one remote system account.

    Secrets and tokens are encrypted at rest, never rendered by the admin and
    masked in repr(). Token refresh happens under a row lock (see services).
    `paused_until` is the remote's "wait", obeyed by every process (pauses.py).
    """

    class Status(models.TextChoices):
        NEW = "new", "Not connected yet"
        CONNECTED = "connected", "Connected"
        EXPIRED = "expired", "Credentials expired"
        ERROR = "error", "Error"

    name = models.CharField(max_length=100, unique=True)
    system = models.CharField(max_length=20, choices=System.choices)
    auth_type = models.CharField(max_length=30, choices=AuthType.choices)
    base_url = models.URLField(
        max_length=300, help_text="API root, e.g. https://api.finance.visma.net or the Centra GraphQL URL."
    )
    token_url = models.URLField(max_length=300, blank=True, help_text="OAuth2 token endpoint.")
    authorize_url = models.URLField(max_length=300, blank=True, help_text="OAuth2 consent page.")
    client_id = models.CharField(max_length=200, blank=True)
    tenant_id = models.CharField(max_length=200, blank=True, help_text="Company/tenant id for service apps.")
    scopes = models.CharField(max_length=500, blank=True)
    rate_limit = models.CharField(
        max_length=100,
        blank=True,
        help_text="Override the system's pace, e.g. '25/5s, 10000/1h'. Blank = system default.",
    )

    secrets = EncryptedJSONField(help_text="Encrypted; never shown.")
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True, help_text="When the access token expires.")
    refresh_token_issued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the stored refresh token was issued: one nearing the end of its life is renewed on a "
        "schedule even when no flow runs.",
    )
    credentials_expire_on = models.DateField(
        null=True, blank=True, help_text="When the API token (or refresh token) stops working; warned 7 days ahead."
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The remote asked us to wait (429 Retry-After or a rate-limit reset): nothing is sent before this.",
    )
    pause_reason = models.CharField(max_length=300, blank=True, help_text="The answer that asked for the pause.")

    class Meta:
        ordering = ["name"]
        permissions = [("test_connection", "Can test connections")]
        constraints = [
            models.CheckConstraint(condition=models.Q(system__in=System.values), name="connection_system_valid"),
            models.CheckConstraint(
                condition=models.Q(auth_type__in=AuthType.values), name="connection_auth_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_system_display()})"

    def __repr__(self) -> str:
        return f"<Connection {self.pk}: {self.name} [{self.system}]>"

    @property
    def info(self):
        return system_info(self.system)

    @property
    def role(self) -> str:
        return self.info.role

    @property
    def rate_limits(self) -> tuple[tuple[int, int], ...]:
        return parse_rate_limit(self.rate_limit) if self.rate_limit else self.info.rate_limits

    def secret(self, key: str) -> str:
        return self.secrets.get(key, "")

    def clean(self):
        errors = {}
        if self.system in System.values:
            info = system_info(self.system)
            if self.auth_type and self.auth_type not in info.auth_types:
                allowed = ", ".join(AuthType(a).label for a in info.auth_types)
                errors["auth_type"] = f"{self.get_system_display()} supports: {allowed}."
            if self.auth_type in (AuthType.OAUTH2_CODE, AuthType.OAUTH2_CLIENT_CREDENTIALS):
                if not self.token_url:
                    errors["token_url"] = "OAuth2 needs the token endpoint."
                if not self.client_id:
                    errors["client_id"] = "OAuth2 needs a client id."
            if self.auth_type == AuthType.OAUTH2_CODE and not self.authorize_url:
                errors["authorize_url"] = "The interactive flow needs the consent page URL."
            if (
                self.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS
                and self.system == System.VISMA_NET
                and not self.tenant_id
            ):
                errors["tenant_id"] = "Visma.net service apps need the tenant id."
            if (
                self.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS
                and self.system == System.FORTNOX
                and not self.tenant_id
            ):
                errors["tenant_id"] = (
                    "Fortnox service accounts need the tenant id: the DatabaseNumber of the company "
                    "(Fortnox › company information), known after the first consent with account type service."
                )
        if self.rate_limit:
            try:
                parse_rate_limit(self.rate_limit)
            except ValueError as exc:
                errors["rate_limit"] = str(exc)
        if errors:
            raise ValidationError(errors)


class RateLimitState(models.Model):
    """Shared pace of calls to one remote account (one row per window), see ratelimit.py."""

    key = models.CharField(max_length=200, unique=True)
    tat = models.FloatField(default=0.0, help_text="Theoretical arrival time (unix seconds) of the next free slot.")

    class Meta:
        verbose_name = "rate limit state"

    def __str__(self) -> str:
        return self.key
