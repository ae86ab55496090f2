import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection

from integrations.models import Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

TOKEN = "centra-token-5f0c2a9e"
SECRET = "oauth-client-secret-77aa"


def raw_row(pk: int) -> dict:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT secrets, access_token, refresh_token FROM integrations_connection WHERE id = %s", [pk])
        secrets, access, refresh = cursor.fetchone()
    return {"secrets": secrets, "access_token": access, "refresh_token": refresh}


def test_secrets_and_tokens_are_encrypted_in_the_database_row():
    conn = ConnectionFactory(
        secrets={"api_token": TOKEN, "client_secret": SECRET},
        access_token="access-abc123",
        refresh_token="refresh-xyz789",
    )
    row = raw_row(conn.pk)
    for stored in row.values():
        assert stored.startswith("gAAAA")  # a Fernet token
    joined = " ".join(row.values())
    for plain in (TOKEN, SECRET, "access-abc123", "refresh-xyz789"):
        assert plain not in joined

    fresh = Connection.objects.get(pk=conn.pk)
    assert fresh.secret("api_token") == TOKEN
    assert fresh.access_token == "access-abc123"
    assert fresh.refresh_token == "refresh-xyz789"


def test_repr_and_str_never_show_secrets():
    conn = ConnectionFactory(secrets={"api_token": TOKEN}, access_token="access-abc123")
    conn = Connection.objects.get(pk=conn.pk)
    for text in (repr(conn), str(conn), repr(conn.secrets), repr(conn.access_token), repr(vars(conn))):
        assert TOKEN not in text
        assert "access-abc123" not in text


def test_empty_secrets_stay_empty():
    conn = ConnectionFactory()
    row = raw_row(conn.pk)
    assert row == {"secrets": "", "access_token": "", "refresh_token": ""}
    assert Connection.objects.get(pk=conn.pk).secrets == {}


def test_serialization_does_not_write_secrets():
    from django.core import serializers

    conn = ConnectionFactory(secrets={"api_token": TOKEN}, access_token="access-abc123")
    dumped = serializers.serialize("json", [Connection.objects.get(pk=conn.pk)])
    assert TOKEN not in dumped and "access-abc123" not in dumped and "gAAAA" not in dumped


@pytest.mark.parametrize(
    "fields, error_field",
    [
        ({"system": "centra", "auth_type": "oauth2_code"}, "auth_type"),
        ({"system": "visma_net", "auth_type": "oauth2_code", "client_id": ""}, "client_id"),
        ({"system": "visma_net", "auth_type": "oauth2_client_credentials", "tenant_id": ""}, "tenant_id"),
        ({"system": "visma_net", "auth_type": "oauth2_code", "authorize_url": ""}, "authorize_url"),
        ({"system": "centra", "auth_type": "api_token", "rate_limit": "fast"}, "rate_limit"),
    ],
)
def test_connection_validation(fields, error_field):
    conn = ConnectionFactory.build(**fields)
    with pytest.raises(ValidationError) as exc:
        conn.full_clean()
    assert error_field in exc.value.message_dict


def test_rate_limit_override_is_parsed():
    conn = ConnectionFactory.build(system="centra", rate_limit="10/5s, 500/1h")
    assert conn.rate_limits == ((10, 5), (500, 3600))
    assert ConnectionFactory.build(system="centra").rate_limits == ((20, 10), (10_000, 3_600))


def test_unknown_system_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectionFactory(system="magento")


def test_rotate_secrets_moves_rows_to_the_new_key(settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    conn = ConnectionFactory(secrets={"api_token": TOKEN}, access_token="access-abc123")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_secrets")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # old key dropped
    fresh = Connection.objects.get(pk=conn.pk)
    assert fresh.secret("api_token") == TOKEN and fresh.access_token == "access-abc123"
