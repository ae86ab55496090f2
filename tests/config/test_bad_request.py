"""A NUL character (%00) in an address: a 400 page naming the parameter, never a 500 from the database.

PostgreSQL refuses NUL in text ("PostgreSQL text fields cannot contain NUL (0x00) bytes"), so before the
middleware a search or filter value with %00 answered 500 on every list page, the libraries' included.
"""

import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def changelists():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_module_permission  # every registered list
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["q=%00", "q=abc%00def", "status__exact=%00", "%00=1"])
def test_a_nul_character_in_any_list_address_is_a_400_page_naming_the_parameter(staff, settings, query):
    settings.DEBUG = False
    for url in changelists():
        response = staff.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query, response.status_code)
        body = response.content.decode()
        assert "NUL character (%00)" in body
        assert 'href="/admin/"' in body  # in the admin's layout, with a way back


@pytest.mark.django_db
def test_the_400_page_names_the_parameter_and_keeps_the_rest_of_the_site_working(staff, settings):
    settings.DEBUG = False
    url = reverse("admin:sync_syncrun_changelist")
    response = staff.get(f"{url}?flow__exact=orders&q=x%00")
    assert response.status_code == 400
    assert "parameter “q”" in response.content.decode()
    assert staff.get(f"{url}?flow__exact=orders&q=x").status_code == 200


@pytest.mark.django_db
def test_a_nul_character_in_the_path_is_refused_too(staff, settings):
    settings.DEBUG = False
    response = staff.get("/admin/sync/syncrun/%00/change/")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_refused_nul_request_is_logged_once_without_a_traceback(staff, settings, caplog):
    """django.request attaches the BadRequest; the project's logger filter (config/log_filters.py) drops it."""
    settings.DEBUG = False
    import logging

    with caplog.at_level(logging.WARNING, logger="django.request"):
        staff.get(reverse("admin:sync_syncrun_changelist") + "?q=%00")
    [entry] = [r for r in caplog.records if r.name == "django.request"]
    assert entry.status_code == 400 and entry.exc_info is None and "NUL character" in entry.getMessage()
