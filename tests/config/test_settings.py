"""Settings come from the environment; production defaults are safe."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "SECRET_KEY": "x7#kq!2@pl9$zt4&vb8^mn3*cw6(jh1)rd5-fy0+gs7=ue2_ia4?ox9~lt3",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktb25seS1mb3ItdGhlLXRlc3Qtc3VpdGU=",
    "ALLOWED_HOSTS": "koppla.example.com",
}


def run_python(code: str, env: dict, settings: str = "config.settings.base") -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DEBUG",
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "ALLOWED_HOSTS",
            "EMAIL_URL",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
            "SITE_URL",
            "ADMINS",
            "SERVER_EMAIL",
            "DEFAULT_FROM_EMAIL",
        }
    }
    clean.update(env, DJANGO_SETTINGS_MODULE=settings, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def settings_of(env: dict, *names: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        f"print(json.dumps({{n: repr(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_safe():
    values = settings_of(
        PROD_ENV, "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"
    )
    assert values == {
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000",
    }


def test_database_url_selects_postgresql_and_sqlite_is_the_default():
    default = settings_of(PROD_ENV, "DATABASES")["DATABASES"]
    assert "django.db.backends.sqlite3" in default and "koppla.sqlite3" in default
    pg = settings_of({**PROD_ENV, "DATABASE_URL": "postgres://ops:pw@db.internal:5433/koppla"}, "DATABASES")[
        "DATABASES"
    ]
    assert "django.db.backends.postgresql" in pg and "db.internal" in pg and "5433" in pg


def test_env_values_reach_settings():
    values = settings_of(
        {
            **PROD_ENV,
            "DEBUG": "1",
            "ALLOWED_HOSTS": "a.example.com,b.example.com",
            "EMAIL_URL": "smtp://mail.example.com:2525",
        },
        "DEBUG",
        "ALLOWED_HOSTS",
        "EMAIL_HOST",
        "EMAIL_PORT",
    )
    assert values == {
        "DEBUG": "True",
        "ALLOWED_HOSTS": "['a.example.com', 'b.example.com']",
        "EMAIL_HOST": "'mail.example.com'",
        "EMAIL_PORT": "2525",
    }


def test_missing_secret_key_refuses_to_start():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_bad_encryption_key_fails_the_system_check():
    result = run_python(
        "import django, sys; django.setup(); from django.core.management import call_command; call_command('check')",
        {**PROD_ENV, "FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"},
    )
    assert result.returncode != 0
    assert "koppla.E001" in result.stderr


@pytest.mark.parametrize("debug", ["0"])
def test_check_deploy_is_clean_with_debug_off(debug):
    result = run_python(
        "import django; django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')",
        {**PROD_ENV, "DEBUG": debug},
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in (result.stdout + result.stderr)


def test_sandbox_is_never_mounted_in_production():
    result = run_python(
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sandbox/visma-net/api/v1/customer'); print('MOUNTED')\n"
        "except Resolver404:\n    print('ABSENT')",
        PROD_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ABSENT"


def test_admins_and_server_email_come_from_the_environment():
    default = settings_of(PROD_ENV, "ADMINS", "SERVER_EMAIL", "DEFAULT_EXCEPTION_REPORTER_FILTER")
    assert default["ADMINS"] == "[]" and default["SERVER_EMAIL"] == "'koppla@localhost'"
    assert "KopplaExceptionReporterFilter" in default["DEFAULT_EXCEPTION_REPORTER_FILTER"]
    values = settings_of(
        {
            **PROD_ENV,
            "ADMINS": '"Ops, Stockholm" <ops@example.com>, Eva Ek <eva@example.com>, dev@example.com,',
            "SERVER_EMAIL": "errors@koppla.example.com",
        },
        "ADMINS",
        "SERVER_EMAIL",
    )
    assert values == {
        "ADMINS": "[('Ops, Stockholm', 'ops@example.com'), ('Eva Ek', 'eva@example.com'), ('dev', 'dev@example.com')]",
        "SERVER_EMAIL": "'errors@koppla.example.com'",
    }


def test_an_admins_entry_that_is_not_an_address_refuses_to_start():
    result = run_python("import django; django.setup()", {**PROD_ENV, "ADMINS": "ops@example.com; dev@example.com"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: ADMINS=" in result.stderr and "is not an e-mail address" in result.stderr


@pytest.mark.parametrize("value", ["ops", "Ops ops@example.com", "a@b c", "<>", "ops@example.com>"])
def test_addresses_parse_names_the_entry_that_is_not_an_address(value):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import addresses_parse

    with pytest.raises(ImproperlyConfigured, match="is not an e-mail address"):
        addresses_parse(value)
    assert addresses_parse("root@localhost, ") == [("root", "root@localhost")]
