"""A connected eAccounting connection to a recorded API (answered by `responses`), and its answer shapes."""

from datetime import timedelta

from django.utils import timezone

from integrations.models import Connection

API = "https://eaccounting.example/v2"
TOKEN_URL = "https://identity.example/connect/token"


def recorded_connection(*, token_valid_for: timedelta = timedelta(hours=1), name: str = "eAccounting (recorded)"):
    """Its access token valid for `token_valid_for` (negative: expired, so the first call refreshes it)."""
    return Connection.objects.create(
        name=name,
        system="eaccounting",
        auth_type="oauth2_code",
        base_url=API,
        token_url=TOKEN_URL,
        authorize_url="https://identity.example/connect/authorize",
        client_id="ea-client",
        scopes="ea:api offline_access ea:sales",
        secrets={"client_secret": "ea-secret-7781"},
        access_token="access-1",
        refresh_token="refresh-1",
        token_expires_at=timezone.now() + token_valid_for,
        status="connected",
    )


def page(records: list, *, number: int = 1, pages: int = 1, total: int | None = None, size: int = 50) -> dict:
    """A list answer: {Meta, Data} (spec CommonPaginationMetadata)."""
    return {
        "Meta": {
            "CurrentPage": number,
            "PageSize": size,
            "TotalNumberOfPages": pages,
            "TotalNumberOfResults": len(records) if total is None else total,
            "ServerTimeUtc": "2026-03-02T12:00:00Z",
        },
        "Data": records,
    }
