"""Production settings: every value comes from the environment (django-environ).

Defaults are the safe ones: DEBUG off, HTTPS enforced, secure cookies, HSTS.
Required variables (no default): SECRET_KEY, FIELD_ENCRYPTION_KEYS.
`config.settings.demo` and `config.settings.test` set developer defaults and import this.
"""

from email.utils import getaddresses
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys (urlsafe base64, 32 bytes) for secrets at rest. The first key
# encrypts; every key decrypts, so a new key can be put first and the old one
# kept until `manage.py rotate_secrets` has re-encrypted the rows.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

INSTALLED_APPS = [
    "config.apps.KopplaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "import_export",
    "integrations",
    "sync",
    "mappings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.bad_request.RejectNulCharacters",  # after auth: the 400 page is in the admin's layout
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'koppla.sqlite3'}"),
}


def _tune_sqlite(db: dict) -> None:
    # Web server, q2 worker and sandbox write concurrently: WAL lets readers run
    # beside the writer, IMMEDIATE takes the write lock at BEGIN so two writers
    # queue (up to `timeout` seconds) instead of failing with "database is locked".
    if db["ENGINE"] == "django.db.backends.sqlite3":
        options = db.setdefault("OPTIONS", {})
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 30)
    else:
        db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        db.setdefault("CONN_HEALTH_CHECKS", True)


_tune_sqlite(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True
# Dates as "2026-12-01 10:15" (config/formats/en/formats.py), in TIME_ZONE, which the admin's header names.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the favicon
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# --- security (safe by default; `manage.py check --deploy` is clean with DEBUG off)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
CSRF_FAILURE_VIEW = "config.forbidden.csrf_failure"  # a refused form as a page in the admin's layout
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- e-mail (monitoring notifications go through Django's backend)
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="koppla@localhost")


def addresses_parse(value: str, *, variable: str = "ADMINS") -> list[tuple[str, str]]:
    """`"Ops <ops@example.com>, dev@example.com"` → [("Ops", "ops@example.com"), ("dev", "dev@example.com")].

    Comma-separated e-mail addresses, each plain or as `Name <address>` (RFC 5322, as in an
    e-mail To: header; quote a name that holds a comma); a plain address is named by its local
    part. Raises ImproperlyConfigured naming the entry that is not an address.
    """
    value = ",".join(part for part in value.split(",") if part.strip())  # "a@b.se," is fine
    if not value:
        return []
    parsed = []
    for name, address in getaddresses([value]):
        local, _, domain = address.partition("@")
        # `address in value`: the parser joins "a@b c" into "a@bc"; an address must be written as is.
        if not (local and domain) or " " in address or address not in value or "@" in name:
            raise ImproperlyConfigured(
                f"{variable}={value!r}: {address or name or 'an entry'!r} is not an e-mail address "
                "(comma-separated, each a@b.example or 'Name <a@b.example>')"
            )
        parsed.append((name or local, address))
    return parsed


# Who gets the error e-mails of server errors (Django's AdminEmailHandler, DEBUG off), and
# from which address. Request data marked sensitive is replaced by stars in those e-mails.
ADMINS = addresses_parse(env("ADMINS", default=""))
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = env("EMAIL_SUBJECT_PREFIX", default="[Koppla] ")
# Error reports also star GET parameters, secret-looking names and the query in URLs.
DEFAULT_EXCEPTION_REPORTER = "config.error_reports.KopplaExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.KopplaExceptionReporterFilter"
# Public base URL used in links inside notifications (e.g. https://koppla.example.com).
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- sync runs (sync/heartbeat.py, sync/flows/paging.py): a running run beats every
# SYNC_HEARTBEAT_SECONDS; one silent for SYNC_RUN_STALE_SECONDS (its worker died) is taken
# over by the next run. Full runs re-read SYNC_CURSOR_OVERLAP_SECONDS before their cursor
# (late commits, records stamped in the cursor's second, remote clocks that drift).
SYNC_RUN_STALE_SECONDS = env.int("SYNC_RUN_STALE_SECONDS", default=180)
SYNC_HEARTBEAT_SECONDS = env.int("SYNC_HEARTBEAT_SECONDS", default=30)
SYNC_CURSOR_OVERLAP_SECONDS = env.int("SYNC_CURSOR_OVERLAP_SECONDS", default=120)

# --- task queue: django-q2 with the ORM broker. It redelivers a task whose worker
# died (Redis would lose it). retry > timeout so a slow task is not run twice;
# failures are acknowledged because per-record retries are ours (RecordLog), not the queue's.
Q_CLUSTER = {
    "name": "koppla",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_TIMEOUT", default=1800) + 600,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 5000,
    "poll": 1,
    "label": "Task queue",
}

# --- django-import-export: importing needs "change", exporting needs "view".
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# --- webhooks: a larger body is refused (413) before it is read; Centra sends ids only.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1_048_576)

# --- remote calls
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=5.0)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=30.0)
# What Koppla sends to Visma.net in one write, checked before a record's first write. Koppla's
# conservative defaults, not documented API limits: integrations/visma_net/limits.py says where
# each number comes from and lists the field lengths that can be set here too.
VISMA_NET_LIMITS = {
    "document_lines": env.int("VISMA_NET_MAX_DOCUMENT_LINES", default=1000),
    "request_bytes": env.int("VISMA_NET_MAX_REQUEST_BYTES", default=1_000_000),
}

# Visma eAccounting has no freight field on an order: rows of these article numbers are its shipping
# (integrations/eaccounting/reading.py). Comma-separated, compared without case.
EACCOUNTING_FREIGHT_ARTICLES = env.str("EACCOUNTING_FREIGHT_ARTICLES", default="FRAKT,FREIGHT,SHIPPING")

# The built-in sandbox emulators are mounted only where a settings module turns
# them on (demo, test); never in production.
SANDBOX_ENABLED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each 403 is logged once, without a traceback (config/log_filters.py).
    "filters": {
        "forbidden_without_traceback": {"()": "config.log_filters.ForbiddenWithoutTraceback"},
        "skip_forbidden": {"()": "config.log_filters.SkipForbidden"},
        # A sandbox emulator's deliberate 429 is logged at INFO, saying so (demo and tests only mount them).
        "sandbox_rate_limit_as_info": {"()": "config.log_filters.SandboxRateLimitAsInfo"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "server": {"class": "logging.StreamHandler", "formatter": "server"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) is left out: the root's prints each line once.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["forbidden_without_traceback", "sandbox_rate_limit_as_info"]},
        # As Django's default for the development server, less the 403 lines django.request already logged.
        "django.server": {
            "handlers": ["server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["skip_forbidden", "sandbox_rate_limit_as_info"],
        },
    },
}
