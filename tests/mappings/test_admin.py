"""CSV import through the admin: upload → preview (dry run) → confirm."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.models import TaxZoneMapping

from .conftest import TAX_HEADER

pytestmark = pytest.mark.django_db


def upload(client, integration, content: str, model: str = "taxzonemapping"):
    return client.post(
        reverse(f"admin:mappings_{model}_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("zones.csv", content.encode(), content_type="text/csv"),
        },
    )


def test_eu_csv_imports_through_preview_and_confirm(admin_client, integration_with_classes, eu_csv):
    preview = upload(admin_client, integration_with_classes, eu_csv)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview" in html and "OSS-FR" in html
    assert not TaxZoneMapping.objects.exists()  # preview is a dry run

    confirm_form = preview.context["confirm_form"]
    data = {name: field.value() for name, field in ((n, confirm_form[n]) for n in confirm_form.fields)}
    assert str(data["integration"]) == str(integration_with_classes.pk)
    done = admin_client.post(reverse("admin:mappings_taxzonemapping_process_import"), data, follow=True)
    assert done.status_code == 200
    assert TaxZoneMapping.objects.filter(integration=integration_with_classes).count() == 66  # with XI B2B and B2C
    assert "Import finished" in done.content.decode()


def test_bad_file_preview_lists_rows_and_offers_no_confirm(admin_client, integration_with_classes):
    content = TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3106\nXX,B2C,EUB2C,OSS,OSS-XX,3106\nDE,B2C,EUB2C,,OSS-DE,3106\n"
    response = upload(admin_client, integration_with_classes, content)
    html = response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert "Some rows failed to validate" in html
    problems = re.findall(r'<li class="import-error-li">(.*?)</li>', html)
    assert problems == [
        "Row 3, column country (value &#x27;XX&#x27;): &#x27;XX&#x27; is not an ISO 3166-1 alpha-2 country code "
        "or XI (Northern Ireland); use &#x27;*&#x27; for rest of world.",
        "Row 4, column vat_zone (empty): this field cannot be blank.",
    ]
    assert not TaxZoneMapping.objects.exists()


def test_wrong_column_is_reported_without_traceback(admin_client, integration_with_classes):
    response = upload(admin_client, integration_with_classes, "country,customer_type,zone\nSE,B2C,SE\n")
    html = response.content.decode()
    assert "Unknown column(s): zone" in html
    assert "FileFormatError" not in html and "traceback" not in html
    assert "Nothing was imported" in html
    assert not TaxZoneMapping.objects.exists()


def test_import_form_requires_an_integration(admin_client, integration_with_classes, eu_csv):
    response = admin_client.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {"format": "0", "import_file": SimpleUploadedFile("z.csv", eu_csv.encode())},
    )
    assert response.status_code == 200
    assert "integration" in response.context["form"].errors


def test_export_gives_the_chosen_integrations_rows_in_import_columns(admin_client, integration_with_classes, eu_csv):
    upload_and_confirm = upload(admin_client, integration_with_classes, eu_csv)
    form = upload_and_confirm.context["confirm_form"]
    admin_client.post(
        reverse("admin:mappings_taxzonemapping_process_import"), {n: form[n].value() for n in form.fields}
    )
    response = admin_client.post(
        reverse("admin:mappings_taxzonemapping_export"), {"format": "0", "integration": integration_with_classes.pk}
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows å, ä, ö right
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == TAX_HEADER.strip()
    assert len(lines) == 67
