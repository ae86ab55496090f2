"""A wrong address shows Koppla's 404 page in the admin's layout, in the demo too (never Django's DEBUG page)."""

import pytest
from django.urls import reverse

from tests.config.test_settings import run_python

pytestmark = pytest.mark.django_db


def test_a_wrong_address_shows_the_404_page_in_the_admins_layout(admin_client):
    response = admin_client.get("/admin/no-such-page/", HTTP_REFERER="http://testserver/admin/sync/payout/")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<div id="site-name">' in html and "Page not found" in html  # admin/base_site.html
    assert "There is no page at <code>/admin/no-such-page/</code>" in html
    assert f'href="{reverse("admin:index")}">Back to the admin\'s start page' in html
    assert 'href="http://testserver/admin/sync/payout/">Back to the previous page' in html


def test_the_404_page_offers_no_foreign_back_link_and_escapes_the_address(client):
    response = client.get("/<b>x</b>", HTTP_REFERER="https://evil.example/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "evil.example" not in html and "<b>x</b>" not in html


def test_the_demo_shows_the_404_page_and_still_serves_static_files(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.test import Client\n"
        "client = Client()\n"
        "page = client.get('/no-such-page/')\n"
        "css = client.get('/static/sync/koppla-lists.css')\n"
        "admin_css = client.get('/static/admin/css/base.css')\n"
        "print(settings.DEBUG, page.status_code, 'Page not found' in page.content.decode(),\n"
        "      'site-name' in page.content.decode(), css.status_code, admin_css.status_code)\n"
    )
    result = run_python(
        code, {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}, settings="config.settings.demo"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "404", "True", "True", "200", "200"], result.stdout + result.stderr
