"""OAuth2 for connections (requests-oauthlib): consent, code exchange, client credentials, refresh.

Refresh happens under a row lock on the Connection (`select_for_update`) and
re-checks the token after taking the lock, so when several workers find the
token expired only one of them refreshes; the others use its result. That
matters for systems with single-use rotating refresh tokens (Fortnox, Visma
Connect): a second refresh with the same token would fail and lock us out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from config.storable import storable_text

from .auth import connection_secret_values
from .http import (
    AuthError,
    ConfigurationError,
    Redactor,
    RemoteDown,
    may_have_reached_server,
    record_response_hook,
    session_for,
)
from .models import Connection
from .systems import SYSTEMS, AuthType, System

logger = logging.getLogger("koppla.oauth")

# Refresh this long before the access token expires.
EXPIRY_MARGIN = timedelta(seconds=60)
# What storing a token answer writes on a Connection (and what a refresh copies back from the locked row).
TOKEN_FIELDS = ("access_token", "refresh_token", "refresh_token_issued_at", "token_expires_at", "status", "last_error")


class OAuthStateError(AuthError):
    """The callback's state does not match the one we sent: possible CSRF, refused."""


def _timeout() -> tuple[float, float]:
    return (float(getattr(settings, "HTTP_CONNECT_TIMEOUT", 5)), float(getattr(settings, "HTTP_READ_TIMEOUT", 30)))


def _session(connection: Connection, **kwargs) -> OAuth2Session:
    oauth = OAuth2Session(connection.client_id, **kwargs)
    # Same transport as every other call of this connection (in-process sandbox in tests),
    # and every token call recorded with secrets redacted.
    for prefix, adapter in session_for(f"connection:{connection.pk}", connection.base_url).adapters.items():
        oauth.mount(prefix, adapter)
    oauth.hooks["response"].append(
        record_response_hook(Redactor(lambda: connection_secret_values(connection)), system=connection.system)
    )
    return oauth


def _client_auth(connection: Connection, *, refresh: bool = False) -> dict:
    """How the client authenticates at the token endpoint: HTTP Basic (Fortnox) or in the body."""
    secret = connection.secret("client_secret")
    if not secret:
        raise ConfigurationError(f"{connection.name} has no OAuth2 client secret.", system=connection.system)
    if connection.system == System.FORTNOX:
        return {"auth": HTTPBasicAuth(connection.client_id, secret)}
    if refresh:  # refresh_token() sends its keyword arguments as body fields
        return {"client_id": connection.client_id, "client_secret": secret}
    return {"client_secret": secret, "include_client_id": True}


def _scopes(connection: Connection) -> list[str]:
    return connection.scopes.split() if connection.scopes else connection.info.default_scopes.split()


def _now() -> datetime:
    """The clock refresh-token ages are read on (tests replace it with a fake one)."""
    return timezone.now()


def _store(connection: Connection, token: dict, *, scopes: list[str] | None = None) -> Connection:
    connection.access_token = token["access_token"]
    if scopes is not None:  # a consent for chosen scopes: record what was granted (the answer's, else the asked)
        granted = token.get("scope") or []  # oauthlib hands the answer's "a b" over as a list
        connection.scopes = " ".join((granted.split() if isinstance(granted, str) else list(granted)) or scopes)
    if token.get("refresh_token"):
        if str(token["refresh_token"]) != str(connection.refresh_token or ""):
            connection.refresh_token_issued_at = _now()
        connection.refresh_token = token["refresh_token"]
    expires_in = token.get("expires_in")
    connection.token_expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
    connection.status = Connection.Status.CONNECTED
    connection.last_error = ""
    connection.save(update_fields=[*TOKEN_FIELDS, "updated_at", *(["scopes"] if scopes is not None else [])])
    return connection


def _fail(connection: Connection, exc: Exception, *, expired: bool) -> AuthError:
    message = getattr(exc, "description", None) or str(exc) or type(exc).__name__
    message = Redactor(lambda: connection_secret_values(connection)).text(message)
    status = Connection.Status.EXPIRED if expired else Connection.Status.ERROR
    text = storable_text(f"Token request failed: {message}" + (" Click Connect to authorise again." if expired else ""))
    Connection.objects.filter(pk=connection.pk).update(status=status, last_error=text, updated_at=timezone.now())
    connection.status, connection.last_error = status, text
    return AuthError(text, system=connection.system)


def _lost_refresh(connection: Connection, exc: Exception) -> RemoteDown:
    """The refresh request may have reached the token endpoint but its answer was lost.

    With single-use rotating refresh tokens (Fortnox, Visma Connect) the stored refresh token is then
    probably spent and the new one is gone with the answer: say so where the operator looks, with the way out.
    """
    text = storable_text(
        f"The answer to a token refresh was lost ({type(exc).__name__}) after the request may have reached "
        f"{connection.name}'s token endpoint. Its refresh tokens are single-use: the stored one is probably spent. "
        "If the next call is refused (invalid_grant), click Connect to authorise again."
    )
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.ERROR, last_error=text, updated_at=timezone.now()
    )
    connection.status, connection.last_error = Connection.Status.ERROR, text
    return RemoteDown(text, system=connection.system, maybe_sent=True)


# --------------------------------------------------------------------------- interactive consent
def authorization_start(
    *, connection: Connection, redirect_uri: str, scopes: list[str] | None = None
) -> tuple[str, str]:
    """The consent URL to send the user to and the `state` to remember for the callback.

    scopes: the scopes to ask for (Fortnox: per flow, integrations.fortnox.consent); default the
    connection's scopes, else its system's.
    """
    if connection.auth_type != AuthType.OAUTH2_CODE:
        raise ConfigurationError(f"{connection.name} does not use the interactive OAuth2 flow.")
    if not connection.authorize_url or not connection.client_id:
        raise ConfigurationError(f"{connection.name} needs a consent URL and a client id.")
    oauth = _session(connection, redirect_uri=redirect_uri, scope=scopes or _scopes(connection))
    return oauth.authorization_url(connection.authorize_url)


@sensitive_variables()  # code, tokens and client secret live in this call's frames
def authorization_finish(
    *,
    connection: Connection,
    redirect_uri: str,
    callback_url: str,
    expected_state: str | None,
    state: str | None,
    scopes: list[str] | None = None,
) -> Connection:
    """Check `state`, exchange the code for tokens and store them encrypted.

    scopes: those authorization_start asked for; given, the granted ones are stored as the connection's scopes.
    """
    if not expected_state or not state or not constant_time_compare(expected_state, state):
        logger.warning("OAuth state mismatch for connection %s", connection.pk)
        raise OAuthStateError(
            "The answer from the consent page does not match the request we sent (state mismatch). "
            "Nothing was stored; click Connect again.",
            system=connection.system,
        )
    asked = scopes or _scopes(connection)
    oauth = _session(connection, redirect_uri=redirect_uri, state=expected_state, scope=asked)
    try:
        token = oauth.fetch_token(
            connection.token_url, authorization_response=callback_url, timeout=_timeout(), **_client_auth(connection)
        )
    except OAuth2Error as exc:
        raise _fail(connection, exc, expired=True) from exc
    except OSError as exc:
        raise RemoteDown(f"The token endpoint could not be reached: {type(exc).__name__}") from exc
    if connection.info.default_scopes and "offline_access" in asked and not token.get("refresh_token"):
        logger.warning("No refresh token for connection %s despite offline_access", connection.pk)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        return _store(locked, token, scopes=scopes)


# --------------------------------------------------------------------------- tokens
def _fetch_client_credentials(connection: Connection) -> dict:
    oauth = _session(connection, client=BackendApplicationClient(client_id=connection.client_id))
    if connection.system == System.FORTNOX:  # Fortnox service accounts name the tenant in a header
        extra = {"headers": {"TenantId": connection.tenant_id}} if connection.tenant_id else {}
    else:
        extra = {"tenant_id": connection.tenant_id} if connection.tenant_id else {}
    return oauth.fetch_token(
        connection.token_url, scope=_scopes(connection), timeout=_timeout(), **_client_auth(connection), **extra
    )


def _refresh(connection: Connection) -> dict:
    if not connection.refresh_token:
        raise AuthError(
            f"{connection.name} has no refresh token: click Connect to authorise again.", system=connection.system
        )
    oauth = _session(connection, token={"access_token": str(connection.access_token), "token_type": "Bearer"})
    return oauth.refresh_token(
        connection.token_url,
        refresh_token=str(connection.refresh_token),
        timeout=_timeout(),
        **_client_auth(connection, refresh=True),
    )


def _fresh(connection: Connection) -> bool:
    return bool(
        connection.access_token
        and connection.token_expires_at
        and connection.token_expires_at - EXPIRY_MARGIN > timezone.now()
    )


@sensitive_variables()
def token_refresh(*, connection: Connection, force: bool = False) -> Connection:
    """Get a new access token unless another worker just did; updates `connection` in place.

    force=True: the remote refused the current token (401) even though it looks fresh.
    """
    seen_token = str(connection.access_token or "")
    failure = None
    lost = None
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        someone_else_refreshed = str(locked.access_token or "") != seen_token
        if _fresh(locked) and (not force or someone_else_refreshed):
            token = None
        else:
            try:
                if locked.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS:
                    token = _fetch_client_credentials(locked)
                else:
                    token = _refresh(locked)
            except OAuth2Error as exc:
                failure = (exc, True)
            except AuthError as exc:
                failure = (exc, True)
            except OSError as exc:
                if locked.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS or not may_have_reached_server(exc):
                    raise RemoteDown(
                        f"The token endpoint of {connection.name} could not be reached: {type(exc).__name__}",
                        system=connection.system,
                    ) from exc
                lost = exc
            else:
                _store(locked, token)
    if lost is not None:
        raise _lost_refresh(connection, lost) from lost
    if failure:
        raise _fail(connection, failure[0], expired=failure[1]) from failure[0]
    for name in TOKEN_FIELDS:
        setattr(connection, name, getattr(locked, name))
    return connection


@sensitive_variables()
def access_token_get(*, connection: Connection) -> str:
    """A valid access token, refreshed first when missing or about to expire."""
    if not _fresh(connection):
        if (
            connection.auth_type == AuthType.OAUTH2_CODE
            and not connection.refresh_token
            and not connection.access_token
        ):
            raise AuthError(f"{connection.name} is not connected yet: click Connect.", system=connection.system)
        token_refresh(connection=connection)
    return str(connection.access_token)


# --------------------------------------------------------------------------- refresh-token upkeep
@dataclass
class TokenRenewal:
    """What one `refresh_tokens_renew` pass did: connection names renewed, and failures (name → message)."""

    renewed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def refresh_token_renewal_due(connection: Connection, *, now: datetime) -> bool:
    """Whether the connection's refresh token is half its system's `refresh_token_days` old (or of unknown age)."""
    days = SYSTEMS[System(connection.system)].refresh_token_days
    if not days or connection.auth_type != AuthType.OAUTH2_CODE or not connection.refresh_token:
        return False
    issued = connection.refresh_token_issued_at
    return issued is None or now - issued >= timedelta(days=days) / 2


def refresh_tokens_renew() -> TokenRenewal:
    """Renew every connected refresh token nearing the end of its life, though no flow has used it.

    For systems whose refresh tokens run out unused (registry `refresh_token_days`, e.g. Fortnox):
    one at least half that old is renewed by a refresh (token_refresh: under the connection's row
    lock; a worker that refreshed meanwhile wins and nothing more is sent). Connections not yet connected
    or whose credentials expired (they wait for Connect) are left alone. A connection that fails
    is marked as token_refresh marks it (status and last error, "click Connect…") and the others
    go on. The daily schedule "koppla:ops:refresh_tokens_renew" runs this (sync.tasks).
    """
    result = TokenRenewal()
    now = _now()
    days = {str(system) for system, info in SYSTEMS.items() if info.refresh_token_days}
    candidates = Connection.objects.filter(system__in=days, auth_type=AuthType.OAUTH2_CODE).exclude(
        status__in=[Connection.Status.NEW, Connection.Status.EXPIRED]  # never connected, or waiting for Connect
    )
    for connection in candidates.order_by("pk"):
        if not refresh_token_renewal_due(connection, now=now):
            continue
        try:
            token_refresh(connection=connection, force=True)
        except (AuthError, RemoteDown) as exc:
            result.failed[connection.name] = str(exc)
            logger.warning("Refresh token of %s not renewed: %s", connection.name, exc)
        else:
            result.renewed.append(connection.name)
    return result
