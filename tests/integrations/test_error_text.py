"""Remote errors are readable text, never a raw HTML page (gateway 413/502 pages in front of an API)."""

import pytest
import requests
import responses

from integrations.centra.client import centra_error_message
from integrations.error_text import MAX_MESSAGE_CHARS, MAX_PAGE_TEXT_CHARS, error_text, page_text
from integrations.http import RemoteDown, RemoteError, record_calls
from integrations.visma_net.client import visma_error_message
from tests.integrations.test_http import BASE, make_client

NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
CLOUD_502 = (
    """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html lang="en-US"><head>
<title>api.finance.visma.net | 502: Bad gateway</title>
<style>body { font-family: sans-serif }</style>
<script>window.dataLayer = [];</script>
</head><body><div id="cf-wrapper"><h1><span>Bad gateway</span> <span>Error code 502</span></h1>
<p>The web server reported a bad gateway error.</p>"""
    + ("<p>padding text " * 2000)
    + "</div></body></html>"
)


def test_a_gateway_page_becomes_its_title_without_the_repeated_status():
    assert error_text(NGINX_413, status=413, content_type="text/html") == "Request Entity Too Large (HTTP 413)"


def test_a_page_is_recognised_without_a_content_type_and_scripts_and_styles_are_ignored():
    message = error_text(CLOUD_502, status=502)
    assert message == "api.finance.visma.net | 502: Bad gateway (HTTP 502)"
    assert "<" not in message and "dataLayer" not in message


def test_without_a_title_the_first_heading_then_the_text_is_used():
    assert error_text("<html><body><h1>Service\n  Unavailable</h1><p>x</p></body></html>", status=503) == (
        "Service Unavailable (HTTP 503)"
    )
    assert error_text("<html><body><p>Try   again\tlater</p></body></html>", status=503) == "Try again later (HTTP 503)"
    assert error_text("<html></html>", status=502, reason="Bad Gateway") == "Bad Gateway (HTTP 502)"


def test_plain_text_is_collapsed_and_cut_and_an_empty_body_gives_the_reason():
    long = "word " * 500
    message = error_text(long, status=500)
    assert len(message) == MAX_MESSAGE_CHARS and message.endswith("…") and "  " not in message
    assert error_text("", status=502, reason="Bad Gateway") == "Bad Gateway (HTTP 502)"
    assert error_text("Gateway\n\ntimeout", status=504) == "Gateway timeout"


def test_what_a_log_keeps_of_a_page_is_cut_text():
    kept = page_text(CLOUD_502)
    assert kept.startswith(f"(HTML page of {len(CLOUD_502)} characters, shown as text) api.finance.visma.net")
    assert "<" not in kept and "window.dataLayer" not in kept
    assert len(kept) < MAX_PAGE_TEXT_CHARS + 100


@responses.activate
@pytest.mark.parametrize(
    "status, page, cls, message",
    [
        (413, NGINX_413, RemoteError, "Request Entity Too Large (HTTP 413)"),
        (502, CLOUD_502, RemoteDown, "api.finance.visma.net | 502: Bad gateway (HTTP 502)"),
    ],
)
def test_the_http_layer_raises_a_readable_message_and_logs_no_markup(status, page, cls, message):
    responses.post(f"{BASE}/v2/customerinvoice", body=page, status=status, content_type="text/html")

    with record_calls() as calls, pytest.raises(cls) as raised:
        make_client().request("POST", "/v2/customerinvoice", json_body={"a": 1})

    assert type(raised.value) is cls and raised.value.message == message
    assert isinstance(raised.value.body, str) and "<" not in raised.value.body
    assert len(raised.value.body) < MAX_PAGE_TEXT_CHARS + 100
    assert "<" not in calls[-1]["response_body"]


@pytest.mark.parametrize("parser", [visma_error_message, centra_error_message])
def test_each_clients_own_error_parser_reads_a_page_as_a_sentence(parser):
    response = requests.Response()
    response.status_code, response.reason = 413, "Request Entity Too Large"
    response._content = NGINX_413.encode()
    response.headers["Content-Type"] = "text/html"

    assert parser(response) == "Request Entity Too Large (HTTP 413)"
