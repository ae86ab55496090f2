"""Refused pages: the admin's layout, the permission to ask for, one log line without a traceback."""

import logging

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from config.log_filters import ForbiddenWithoutTraceback, SkipForbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_user("clerk", password="clerk-password-123", is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def test_a_refused_admin_page_is_in_the_admins_layout_and_names_the_permission(staff_client):
    response = staff_client.get(reverse("admin:sync_payout_changelist"), HTTP_REFERER="http://testserver/admin/")

    html = response.content.decode()
    assert response.status_code == 403
    assert '<div id="site-name">' in html  # admin/base_site.html
    assert "You may not open this page" in html
    assert "Your account may not see the list of payouts." in html
    assert "“Can view payout”" in html and "(sync.view_payout)" in html
    assert "add you to the <strong>Operations</strong> group, which has it" in html
    assert f'href="{reverse("admin:index")}"' in html
    assert 'href="http://testserver/admin/">Back to the previous page' in html


def test_a_refused_page_does_not_offer_a_foreign_back_link(staff_client):
    response = staff_client.get(reverse("admin:sync_payout_changelist"), HTTP_REFERER="https://evil.example/")

    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_a_permission_the_operations_group_lacks_says_the_group_lacks_it_too(staff_client):
    Group.objects.get(name="Operations")  # exists, but does not hold change_connection
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory()
    response = staff_client.post(reverse("admin:integrations_connection_delete", args=[connection.pk]))

    html = response.content.decode()
    assert response.status_code == 403
    assert "“Can delete connection”" in html
    page = " ".join(html.split('id="content-main"')[1].split())
    assert "the <strong>Operations</strong> group does not have it" in page
    assert "add you to the" not in page


def test_a_refused_page_is_logged_once_without_a_traceback(staff_client, caplog):
    with caplog.at_level(logging.WARNING):
        response = staff_client.get(reverse("admin:sync_payout_changelist"))

    assert response.status_code == 403
    forbidden = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert len(forbidden) == 1
    assert forbidden[0].getMessage() == "Forbidden (Permission denied): /admin/sync/payout/"
    assert forbidden[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_log_filters_drop_the_traceback_and_the_servers_second_line():
    def record(status, exc_info=None):
        entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), exc_info)
        entry.status_code = status
        return entry

    try:
        raise PermissionError("no")
    except PermissionError:
        import sys

        forbidden = record(403, sys.exc_info())
    assert ForbiddenWithoutTraceback().filter(forbidden) and forbidden.exc_info is None
    server_error = record(500, ("x", "y", None))
    assert ForbiddenWithoutTraceback().filter(server_error) and server_error.exc_info is not None
    assert not SkipForbidden().filter(record(403)) and SkipForbidden().filter(record(404))


def test_admin_pages_carry_the_favicon_and_favicon_ico_redirects(admin_client, client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'rel="icon" href="/static/koppla/favicon.svg"' in html
    assert 'href="/static/koppla/favicon.png"' in client.get(reverse("admin:login")).content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/koppla/favicon.png"
    from django.contrib.staticfiles import finders

    assert finders.find("koppla/favicon.svg") and finders.find("koppla/favicon.png")


def test_a_refused_custom_admin_page_names_its_own_permission(staff_client):
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory()
    response = staff_client.post(reverse("admin:integrations_connection_test", args=[connection.pk]))

    html = response.content.decode()
    assert response.status_code == 403
    assert "Your account may not test connections." in html
    assert "“Can test connections”" in html and "(integrations.test_connection)" in html
    assert "Operations</strong> group, which has it" in html


def test_saving_a_row_one_may_only_view_asks_for_the_change_permission(staff_client):
    from django.contrib.auth.models import Permission

    from tests.factories import TaxZoneMappingFactory

    row = TaxZoneMappingFactory()
    staff_client.user.user_permissions.add(Permission.objects.get(codename="view_taxzonemapping"))
    response = staff_client.post(reverse("admin:mappings_taxzonemapping_change", args=[row.pk]), {})

    html = response.content.decode()
    assert response.status_code == 403
    assert "Your account may not change tax zones." in html
    assert "(mappings.change_taxzonemapping)" in html


def test_django_messages_reach_the_console_once_and_errors_still_mail_the_admins():
    from django.utils.log import AdminEmailHandler

    handlers = logging.getLogger("django").handlers
    # Django's default adds a console handler of its own (DEBUG): with the root's, every line printed twice.
    assert handlers and all(isinstance(handler, AdminEmailHandler) for handler in handlers)
    assert logging.getLogger("django").propagate
    assert any(isinstance(h, logging.StreamHandler) for h in logging.getLogger().handlers)
