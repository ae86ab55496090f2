from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from config.storable import storable_text

from .http import AuthError, ConfigurationError, ConnectionPaused, RemoteError
from .models import Connection
from .pauses import pause_message


@transaction.atomic
def connection_secrets_update(*, connection: Connection, changes: dict[str, str | None]) -> Connection:
    """Set (value) or remove (None) secrets of a connection; other secrets stay as they are."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    secrets = dict(connection.secrets)
    for key, value in changes.items():
        if value is None:
            secrets.pop(key, None)
        else:
            secrets[key] = value
    connection.secrets = secrets
    connection.save(update_fields=["secrets", "updated_at"])
    return connection


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    message: str


def connection_test(*, connection: Connection) -> ConnectionTestResult:
    """Call a cheap read on the remote and record the outcome on the connection."""
    from .clients import client_for

    try:
        summary = client_for(connection).ping()
    except ConnectionPaused as exc:  # the remote asked us to wait: say so, the connection itself is fine
        return ConnectionTestResult(
            False, f"{pause_message(system=exc.system, until=exc.until)} ({exc.reason or exc.message})"
        )
    except RemoteError as exc:
        status = Connection.Status.EXPIRED if isinstance(exc, AuthError) else Connection.Status.ERROR
        message = storable_text(exc.message if isinstance(exc, AuthError | ConfigurationError) else str(exc))
        Connection.objects.filter(pk=connection.pk).update(
            status=status, last_error=message, last_checked_at=timezone.now(), updated_at=timezone.now()
        )
        return ConnectionTestResult(False, message)
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.CONNECTED, last_error="", last_checked_at=timezone.now(), updated_at=timezone.now()
    )
    return ConnectionTestResult(True, summary)
