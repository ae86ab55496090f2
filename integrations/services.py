from django.db import transaction

from .models import Connection


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
