"""The mapping tables' Export page: the integration preselected like on Import; a blank choice says why."""

import re

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


def test_the_export_format_defaults_to_csv_without_a_blank_choice(admin_client, integration):
    page = admin_client.get(reverse(EXPORT))

    assert page.context["form"]["format"].value() == "0"
    [select] = re.findall(r'<select name="format".*?</select>', page.content.decode(), re.S)
    assert re.findall(r'<option value="(\d*)"( selected)?>', select) == [("0", " selected"), ("1", "")]


def test_the_form_as_the_page_sends_it_exports_the_preselected_integration_as_csv(admin_client, integration):
    from mappings.models import CustomerClass

    CustomerClass.objects.create(integration=integration, code="EUB2C", description="EU consumers")
    form = admin_client.get(reverse("admin:mappings_customerclass_export")).context["form"]
    data = {name: form[name].value() for name in ("resource", "format", "integration")}

    response = admin_client.post(reverse("admin:mappings_customerclass_export"), data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").splitlines() == ["code,description", "EUB2C,EU consumers"]


def test_submitting_nothing_at_all_says_what_is_missing(admin_client, integration):
    IntegrationFactory()

    response = admin_client.post(reverse(EXPORT), {})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    form = response.context["form"]
    assert form.errors == {
        "integration": ["Choose the integration whose rows to export."],
        "format": ["Choose the file format: csv or xlsx."],
    }
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Nothing was exported. Choose the file format: csv or xlsx. Choose the integration whose rows to export."
    ]


def test_a_missing_format_alone_is_named(admin_client, integration):
    response = admin_client.post(reverse(EXPORT), {"resource": "0", "integration": integration.pk})

    assert response.context["form"].errors == {"format": ["Choose the file format: csv or xlsx."]}
    assert "Nothing was exported. Choose the file format: csv or xlsx." in response.content.decode()


def test_import_export_and_payout_import_share_one_preselection(admin_client, integration):
    from sync.selectors import integration_preselected

    other = IntegrationFactory()
    assert integration_preselected(query={"integration__id__exact": str(other.pk)}) == other.pk
    assert integration_preselected(query={"integration": str(other.pk)}) == other.pk
    assert integration_preselected(query={"integration__id__exact": "abc"}) is None  # two integrations: no guess
    assert integration_preselected(query={"integration__id__exact": "987654"}) is None  # a deleted one

    for url in (reverse(EXPORT), reverse("admin:mappings_taxzonemapping_import"), reverse("admin:sync_payout_import")):
        page = admin_client.get(url, {"integration__id__exact": other.pk})
        assert str(page.context["form"]["integration"].value()) == str(other.pk), url
