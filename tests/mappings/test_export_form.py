"""The mapping tables' Export page: the integration preselected like on Import; a blank choice says why."""

import pytest
from django.urls import reverse

from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

EXPORT = "admin:mappings_taxzonemapping_export"


def test_export_page_preselects_the_only_integration(admin_client, integration):
    page = admin_client.get(reverse(EXPORT))

    assert page.status_code == 200
    assert page.context["form"]["integration"].value() == integration.pk


def test_export_page_preselects_the_integration_the_list_is_filtered_on(admin_client, integration):
    other = IntegrationFactory()

    page = admin_client.get(reverse(EXPORT), {"integration__id__exact": other.pk})

    assert str(page.context["form"]["integration"].value()) == str(other.pk)
    assert f'<option value="{other.pk}" selected>' in page.content.decode()


def test_export_page_preselects_nothing_when_several_integrations_and_no_filter(admin_client, integration):
    IntegrationFactory()

    page = admin_client.get(reverse(EXPORT))

    assert page.context["form"]["integration"].value() is None


def test_export_submitted_without_integration_says_why(admin_client, integration):
    IntegrationFactory()

    response = admin_client.post(reverse(EXPORT), {"format": "0"})

    assert response.status_code == 200  # the form again, no file
    assert "Choose the integration whose rows to export." in response.content.decode()
    assert "This field is required" not in response.content.decode()
