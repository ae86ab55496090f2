"""Test suite settings. DATABASE_URL selects PostgreSQL (CI); SQLite otherwise.

The sandbox emulators are installed; their tables share the test database so
each test's rollback also resets the emulated remote systems.
"""

import os
from pathlib import Path

_BASE_DIR = Path(__file__).resolve().parents[2]
(_BASE_DIR / "var").mkdir(exist_ok=True)
_TEST_DEFAULTS = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-secret-key-3c9f1a7e5b2d8c4f6a0e9b1d7c3f5a2e",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktb25seS1mb3ItdGhlLXRlc3Qtc3VpdGU=",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "DATABASE_URL": f"sqlite:///{_BASE_DIR / 'var' / 'test.sqlite3'}",
    "EMAIL_URL": "consolemail://",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SITE_URL": "http://testserver",
}
for _key, _value in _TEST_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

from .base import *  # noqa: E402,F403
from .base import INSTALLED_APPS  # noqa: E402

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

SANDBOX_ENABLED = True
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.sandbox"]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inline, in the caller's process and transaction.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# SQLite's in-memory test database is shared between threads with table locks that fail at once
# instead of waiting: the run heartbeat thread stays off there (tests drive it directly; on
# PostgreSQL it runs as in production).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    SYNC_HEARTBEAT_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
