"""Build the HTTP layer for a connection and pick the client class of its system."""

from django.utils.module_loading import import_string

from .auth import auth_for, connection_secret_values
from .http import (
    SYSTEM_CLOCK,
    Clock,
    ConfigurationError,
    ErrorParser,
    HttpClient,
    Redactor,
    RetryPolicy,
    WaitReader,
    default_error_parser,
)
from .models import Connection
from .pauses import ConnectionPause
from .ratelimit import RateLimiter, endpoint_template
from .systems import system_info


def http_client_for(
    connection: Connection,
    *,
    error_parser: ErrorParser = default_error_parser,
    clock: Clock = SYSTEM_CLOCK,
    policy: RetryPolicy | None = None,
    base_url: str | None = None,
    wait_reader: WaitReader | None = None,
) -> HttpClient:
    """The resilient HTTP client of a connection: auth, shared rate limit and pause, redaction.

    The rate limit is one budget for the connection, or one per endpoint when the registry says the
    system counts per endpoint (`rate_limit_per_endpoint`, e.g. eAccounting). `wait_reader` reads a
    wait a 429 names only in its body (used when it has no Retry-After header)."""
    per_endpoint = system_info(connection.system).rate_limit_per_endpoint
    return HttpClient(
        system=connection.system,
        base_url=base_url or connection.base_url,
        session_key=f"connection:{connection.pk}",
        auth=auth_for(connection),
        limiter=RateLimiter(
            f"connection:{connection.pk}",
            connection.rate_limits,
            clock=clock,
            bucket_of=endpoint_template if per_endpoint else None,
        ),
        pause=ConnectionPause(connection, clock=clock),
        policy=policy or RetryPolicy(),
        clock=clock,
        error_parser=error_parser,
        redactor=Redactor(lambda: connection_secret_values(connection)),
        wait_reader=wait_reader,
    )


# The clock flows' clients wait with (backoff, Retry-After, rate limit). Tests swap in a fake one.
DEFAULT_CLOCK: Clock = SYSTEM_CLOCK


def client_for(connection: Connection, **kwargs):
    """The API client of the connection's system, the class the registry names (integrations/systems.py)."""
    kwargs.setdefault("clock", DEFAULT_CLOCK)
    path = system_info(connection.system).client
    if path:
        return import_string(path)(connection, **kwargs)
    raise ConfigurationError(
        f"{connection.get_system_display()} is not supported by this version of Koppla yet.", system=connection.system
    )
