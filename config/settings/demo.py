"""Demo: everything on one machine with no accounts anywhere.

SQLite, console e-mail and the sandbox emulators mounted at /sandbox/. DEBUG is off, as in production,
so a wrong address shows Koppla's 404 page (and a refusal its 403 page) in the admin's layout rather than
Django's technical pages; WhiteNoise serves the static files that `runserver` serves only under DEBUG.
Every default here can still be overridden from the environment (e.g. DATABASE_URL, DEBUG=1).
"""

import os
from pathlib import Path

_BASE_DIR = Path(__file__).resolve().parents[2]
(_BASE_DIR / "var").mkdir(exist_ok=True)
_DEMO_DEFAULTS = {
    "DEBUG": "0",
    "SECRET_KEY": "demo-only-secret-key-not-for-production-5b1f0e4c9a7d3e2f8c6b",
    # A fixed demo key so the demo database stays readable across restarts.
    "FIELD_ENCRYPTION_KEYS": "ZGVtby1rZXktbm90LWZvci1wcm9kdWN0aW9uLXVzZSE=",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DATABASE_URL": f"sqlite:///{_BASE_DIR / 'var' / 'demo.sqlite3'}",
    "EMAIL_URL": "consolemail://",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SITE_URL": f"http://127.0.0.1:{os.environ.get('DEMO_PORT', '8000')}",
}
for _key, _value in _DEMO_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

from .base import *  # noqa: E402,F403
from .base import DATABASES, INSTALLED_APPS, LOGGING, MIDDLEWARE, _tune_sqlite, env  # noqa: E402

# The sandboxes speak plain http on localhost; oauthlib refuses that unless told.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

SANDBOX_ENABLED = True
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.sandbox"]

# Static files straight from the apps' static/ folders (no collectstatic), re-read when they change.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The emulated remote systems keep their state in a database of their own, so a
# flow holding a write transaction on ours never waits for the sandbox's writes.
DATABASES["sandbox"] = env.db("SANDBOX_DATABASE_URL", default=f"sqlite:///{_BASE_DIR / 'var' / 'demo-sandbox.sqlite3'}")
_tune_sqlite(DATABASES["sandbox"])
DATABASE_ROUTERS = ["integrations.sandbox.routers.SandboxRouter"]

DEMO_PORT = int(os.environ.get("DEMO_PORT", "8000"))

# Emulator behaviour: the sandboxes limit like the real systems do, and a
# "timeout" fault sleeps past the client's read timeout.
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=10.0)
SANDBOX_TIMEOUT_SECONDS = HTTP_READ_TIMEOUT + 2
SANDBOX_RATE_LIMITS = {"visma_net": (100, 10), "centra": (20, 10), "fortnox": (25, 5), "eaccounting": (600, 60)}

# The demo's console: the q2 cluster's own start/stop and per-task lines only from WARNING up
# (a failing task still shows); Koppla's runs are followed in the admin (Sync › Sync runs).
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "django-q": {"level": env("Q_LOG_LEVEL", default="WARNING")}}}
