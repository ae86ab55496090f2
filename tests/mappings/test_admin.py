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


def test_xlsx_imports_and_exports_through_the_admin(admin_client, integration_with_classes):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in (TAX_HEADER.strip().split(","), ["FR", "B2C", "EUB2C", "OSS", "OSS-FR", 3106]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    preview = admin_client.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {
            "integration": integration_with_classes.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("zones.xlsx", out.getvalue()),
        },
    )
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    form = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:mappings_taxzonemapping_process_import"), {n: form[n].value() for n in form.fields}
    )
    assert TaxZoneMapping.objects.get().sales_account == "3106"
    exported = admin_client.post(
        reverse("admin:mappings_taxzonemapping_export"), {"format": "1", "integration": integration_with_classes.pk}
    )
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert [c.value for c in sheet[2]] == ["FR", "B2C", "EUB2C", "OSS", "OSS-FR", "3106"]


def test_confirm_that_finds_problems_writes_nothing_and_says_why(admin_client, integration_with_classes):
    from mappings.models import CustomerClass

    preview = upload(admin_client, integration_with_classes, TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3106\n")
    CustomerClass.objects.filter(code="EUB2C").delete()  # changed by someone between preview and confirm
    form = preview.context["confirm_form"]
    done = admin_client.post(
        reverse("admin:mappings_taxzonemapping_process_import"),
        {n: form[n].value() for n in form.fields},
        follow=True,
    )
    html = done.content.decode()
    assert done.redirect_chain[-1][0] == reverse("admin:mappings_taxzonemapping_import")
    assert "Nothing was imported. Row 2, column customer_class (value &#x27;EUB2C&#x27;)" in html
    assert "Import finished" not in html and not TaxZoneMapping.objects.exists()


def test_unreadable_file_is_a_sentence_under_the_file_field(admin_client, integration_with_classes):
    response = admin_client.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {
            "integration": integration_with_classes.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("zones.xlsx", b"PK\x03\x04 not really a workbook"),
        },
    )
    assert response.context["form"].errors["import_file"] == [
        "The file is not an Excel .xlsx workbook that can be read: save it again as .xlsx."
    ]
    assert "encountered while trying to read file" not in response.content.decode()


def test_reimport_says_which_rows_are_new_and_which_unchanged(admin_client, integration_with_classes, eu_csv):
    def confirm(preview):
        form = preview.context["confirm_form"]
        data = {name: form[name].value() for name in form.fields}
        return admin_client.post(reverse("admin:mappings_taxzonemapping_process_import"), data, follow=True)

    first = confirm(upload(admin_client, integration_with_classes, eu_csv)).content.decode()
    assert "Import finished: 66 new, 0 updated and 0 unchanged tax zones." in first

    again = upload(admin_client, integration_with_classes, eu_csv)
    cells = re.findall(r'<td class="import-type">\s*(\w+)\s*</td>', again.content.decode())
    assert len(cells) == 66 and set(cells) == {"Unchanged"}
    assert "Import finished: 0 new, 0 updated and 66 unchanged tax zones." in confirm(again).content.decode()


@pytest.mark.parametrize(
    ("model", "header", "before", "after", "old", "new"),
    [
        (
            "taxzonemapping",
            TAX_HEADER.strip(),
            "SE,B2C,DOMESTIC,SE,MP1,3105",
            "SE,B2C,DOMESTIC,SE,MP1,3999",
            "3105",
            "3999",
        ),
        ("customerclass", "code,description", "EXPORT,Outside", "EXPORT,", "Outside", "(empty)"),
        (
            "paymentmethodmapping",
            "shop_method,erp_payment_method,erp_cash_account,description",
            "card,CARD,1930,",
            "card,KORT,1930,",
            "CARD",
            "KORT",
        ),
    ],
)
def test_the_preview_shows_a_changed_value_as_old_arrow_new(
    admin_client, integration_with_classes, model, header, before, after, old, new
):
    from mappings.resources import RESOURCES
    from mappings.services import mapping_import

    table = {resource._meta.model._meta.model_name: name for name, resource in RESOURCES.items()}[model]
    result = mapping_import(integration=integration_with_classes, table=table, content=f"{header}\n{before}\n")
    assert not result.has_errors() and not result.has_validation_errors(), getattr(result, "problems", None)

    html = upload(admin_client, integration_with_classes, f"{header}\n{after}\n", model=model).content.decode()
    expected = f'<del class="koppla-old">{old}</del> → <ins class="koppla-new">{new}</ins>'
    assert expected in html
    assert re.sub(r"<[^>]+>", "", expected) == f"{old} → {new}"  # readable as text too, not "{old}{new}"
    assert "A changed value shows as old → new." in html


def test_every_mapping_resource_previews_changes_as_old_arrow_new():
    from mappings.import_base import ReadableDiff
    from mappings.resources import RESOURCES

    assert RESOURCES and all(resource().get_diff_class() is ReadableDiff for resource in RESOURCES.values())
