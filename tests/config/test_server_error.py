"""The 500 page: Koppla's own words and layout, rendered without any context (as handler500 does)."""

import pytest
from django.template import loader
from django.test import Client
from django.urls import path

from config import urls as project_urls


def boom(request):
    raise RuntimeError("boom in a view")


urlpatterns = [*project_urls.urlpatterns, path("boom/", boom)]
handler500 = "django.views.defaults.server_error"


def test_the_500_template_renders_without_context_and_says_what_to_do():
    html = loader.get_template("500.html").render({})
    assert "Something went wrong on our side" in html
    assert "tell your administrator the time and the address" in html
    assert 'href="/admin/"' in html


@pytest.mark.urls("tests.config.test_server_error")
def test_an_error_in_a_view_shows_the_500_page_not_a_bare_line(settings, db):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "Server Error (500)" not in body
