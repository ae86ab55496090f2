"""Serve http://testserver/sandbox/… from the running Django process (tests, demo shell).

A `requests` transport adapter that hands the request to Django's test
client instead of a socket. The host `testserver` never resolves on a real
network, so production traffic can never take this path; it is mounted only
when settings.SANDBOX_ENABLED is on.
"""

from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .faults import INPROCESS_ENV, TIMEOUT_STATUS

PREFIX = "http://testserver/"


class InProcessAdapter(BaseAdapter):
    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        from django.test import Client

        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {INPROCESS_ENV: True}
        content_type = ""
        for name, value in request.headers.items():
            lower = name.lower()
            if lower == "content-type":
                content_type = value
            elif lower not in ("content-length", "host"):
                extra[f"HTTP_{name.upper().replace('-', '_')}"] = value
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        client = Client(raise_request_exception=True)
        django_response = client.generic(request.method, path, data=body, content_type=content_type, **extra)
        if django_response.status_code == TIMEOUT_STATUS:
            raise requests.ReadTimeout(f"Read timed out (sandbox fault) for {request.url}", request=request)

        response = requests.Response()
        response.status_code = django_response.status_code
        response.reason = django_response.reason_phrase
        response.headers = CaseInsensitiveDict(dict(django_response.items()))
        content = b"".join(django_response.streaming_content) if django_response.streaming else django_response.content
        response._content = content
        response.raw = BytesIO(content)
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        response.elapsed = timedelta(0)
        return response

    def close(self):
        pass


def mount_inprocess(session: requests.Session) -> None:
    session.mount(PREFIX, InProcessAdapter())
