"""The error-report filter: marked and secret-looking parameters are starred everywhere in a report."""

import sys

import pytest
from django.test import RequestFactory

from config.error_reports import KopplaExceptionReporter, KopplaExceptionReporterFilter, sensitive_get_parameters

STARS = KopplaExceptionReporterFilter.cleansed_substitute


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def report_text(request) -> str:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return KopplaExceptionReporter(request, *sys.exc_info(), is_email=True).get_traceback_text()


def test_secret_looking_parameters_are_starred_even_when_a_view_forgot_to_mark_them():
    request = RequestFactory().post(
        "/x/?access_token=at-in-query-1&page=2",
        {"my_api_key": "k-in-post-2", "Password": "pw-3", "code": "c-4", "name": "Kept"},
    )
    report = report_text(request)
    for secret in ("at-in-query-1", "k-in-post-2", "pw-3", "c-4"):
        assert secret not in report
    assert "Kept" in report and "page=2" in report
    assert f"access_token={STARS}" in report  # URL and QUERY_STRING keep their shape


def test_marked_get_parameters_are_starred_in_get_url_meta_and_request_reprs():
    seen = {}

    @sensitive_get_parameters("state")
    def view(request):
        seen["report"] = report_text(request)

    request = RequestFactory().get("/cb/?state=st-5&lang=sv", RAW_URI="/cb/?state=st-5&lang=sv")
    view(request)
    filter_ = KopplaExceptionReporterFilter()
    assert filter_.get_get_parameters(request)["state"] == STARS
    assert "st-5" not in filter_.cleanse_special_types(request, request)  # `request` in any frame
    assert "st-5" not in str(filter_.get_safe_request_meta(request))  # QUERY_STRING, RAW_URI
    assert "st-5" not in seen["report"] and "lang = 'sv'" in seen["report"]
    assert f"/cb/?state={STARS}&lang=sv" in seen["report"]


def test_with_debug_on_nothing_is_hidden(settings):
    settings.DEBUG = True
    request = RequestFactory().get("/x/?access_token=at-6")
    assert KopplaExceptionReporterFilter().get_get_parameters(request)["access_token"] == "at-6"
