import base64

import pytest
from django.test import Client
from django.utils import timezone

from integrations.fortnox import demo_data, sandbox
from integrations.fortnox.oauth_sandbox import client_register, token_issue
from integrations.models import Connection
from tests.fakes import FakeClock

API = "/sandbox/fortnox"
CLIENT_ID = "koppla-test"
CLIENT_SECRET = "fortnox-test-secret-5d1a"
SCOPES = "companyinformation customer article invoice order payment bookkeeping warehouse"


class Api:
    """The emulator through Django's test client, as a Fortnox client would call it."""

    def __init__(self, token: str):
        self.http = Client()
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.http.get(f"{API}{path}", params, **self._headers())

    def post(self, path: str, body: dict):
        return self.http.post(f"{API}{path}", body, content_type="application/json", **self._headers())

    def put(self, path: str, body: dict | None = None):
        return self.http.put(f"{API}{path}", body or {}, content_type="application/json", **self._headers())


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def seeded(db):
    return demo_data.seed()


@pytest.fixture
def tokens(seeded):
    client_register(CLIENT_ID, CLIENT_SECRET)
    return token_issue(client_id=CLIENT_ID, scope=SCOPES)


@pytest.fixture
def api(tokens):
    return Api(tokens["access_token"])


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(sandbox, "clock", fake.time)
    return fake


@pytest.fixture(autouse=True)
def _fortnox_rate_window_reset():
    sandbox.rate_limits_reset()
    yield
    sandbox.rate_limits_reset()


RECORDED_API = "https://fortnox.example"


def recorded_connection(*, token_valid_for: timezone.timedelta) -> Connection:
    """A connected Fortnox connection to RECORDED_API (answered by `responses`), its access token valid for
    `token_valid_for` (negative: already expired, so the first call refreshes it)."""
    return Connection.objects.create(
        name="Fortnox (recorded)",
        system="fortnox",
        auth_type="oauth2_code",
        base_url=RECORDED_API,
        token_url=f"{RECORDED_API}/oauth-v1/token",
        authorize_url=f"{RECORDED_API}/oauth-v1/auth",
        client_id="fortnox-client",
        secrets={"client_secret": "fortnox-secret"},
        access_token="access-1",
        refresh_token="refresh-1",
        token_expires_at=timezone.now() + token_valid_for,
        status="connected",
    )
