"""Request authentication per connection: a static bearer token or OAuth2 with refresh."""

from .http import ConfigurationError
from .models import Connection
from .systems import AuthType


class ApiTokenAuth:
    """Bearer API token (Centra Integration API). A 401 cannot be fixed by retrying."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def headers(self) -> dict[str, str]:
        token = self.connection.secret("api_token")
        if not token:
            raise ConfigurationError(
                f"{self.connection.name} has no API token: set it on the connection.", system=self.connection.system
            )
        return {"Authorization": f"Bearer {token}"}

    def refresh(self) -> bool:
        return False


class OAuthAuth:
    """OAuth2 access token, refreshed before expiry and once more after a 401."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def headers(self) -> dict[str, str]:
        from .oauth import access_token_get

        return {"Authorization": f"Bearer {access_token_get(connection=self.connection)}"}

    def refresh(self) -> bool:
        from .oauth import token_refresh

        token_refresh(connection=self.connection, force=True)
        return True


def auth_for(connection: Connection):
    if connection.auth_type == AuthType.API_TOKEN:
        return ApiTokenAuth(connection)
    return OAuthAuth(connection)


def connection_secret_values(connection: Connection) -> list[str]:
    """Every secret a log must never show for this connection."""
    return [str(v) for v in (connection.access_token, connection.refresh_token, *connection.secrets.values()) if v]
