"""The demo's console: a sandbox's deliberate 429 is an INFO line that says so; django-q only from WARNING."""

import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from config.log_filters import SANDBOX_NOTE
from tests.config.test_settings import run_python


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def collected():
    """Every record that reaches the handlers of `django.request` (through `django`) and `django.server`."""
    handler = Collect()
    loggers = [logging.getLogger("django"), logging.getLogger("django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


def _respond(path: str, status: int) -> None:
    request = RequestFactory().post(path)
    log_response("%s: %s", "reason", path, response=HttpResponse(status=status), request=request)


def test_a_sandbox_429_is_logged_at_info_and_says_it_is_the_sandbox_limiting(collected):
    _respond("/sandbox/visma-net/API/controller/api/v1/customer", 429)
    (record,) = collected
    assert record.levelno == logging.INFO and record.levelname == "INFO"
    assert record.getMessage().endswith(SANDBOX_NOTE)


def test_other_429s_and_a_sandbox_error_keep_their_level(collected):
    _respond("/webhooks/centra/1/", 429)
    _respond("/sandbox/centra/graphql", 500)
    assert [(r.levelno, r.getMessage().endswith(SANDBOX_NOTE)) for r in collected] == [
        (logging.WARNING, False),
        (logging.ERROR, False),
    ]


def test_the_development_servers_line_of_a_sandbox_429_is_info_too(collected):
    server = logging.getLogger("django.server")
    extra = {"status_code": 429, "request": object(), "server_time": "01/Dec/2026 10:15:00"}
    server.warning('"%s" %s %s', "POST /sandbox/centra/graphql HTTP/1.1", "429", "57", extra=extra)
    server.warning('"%s" %s %s', "GET /admin/nothing HTTP/1.1", "429", "57", extra=extra)
    assert [r.levelno for r in collected] == [logging.INFO, logging.WARNING]


def test_the_demo_logs_django_q_from_warning():
    code = "import django, logging; django.setup(); print(logging.getLogger('django-q').getEffectiveLevel())"
    result = run_python(code, {}, settings="config.settings.demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(logging.WARNING)
