"""Mappings › Field rules in the admin: adding a rule (checked against the spec), import and export like the
other mapping tables. The Preview page is tested on the sandboxes in tests/sync/flows/test_field_rules_flow.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.models import FieldRule
from mappings.services import import_problems, mapping_export, mapping_import
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

HEADER = "target,position,transform,source_path,target_path,argument,condition,enabled\n"
ROWS = (
    'Orders / invoice,10,concat,,invoiceText.value,"Order {number}, {billing.first_name} {billing.last_name}",,1\n'
    "orders:invoice,20,lookup,billing.country,note.value,SE=Sverige; *=Export,billing.company empty,yes\n"
    "orders:customer,10,upper,,name.value,,,0\n"
)


def add_form(integration, **changes) -> dict:
    data = {
        "integration": integration.pk,
        "target": "orders:invoice",
        "position": "",
        "source_path": "customer_email",
        "transform": "copy",
        "argument": "",
        "target_path": "invoiceText.value",
        "condition": "",
        "enabled": "on",
    }
    data.update(changes)
    return data


def test_a_rule_added_in_the_admin_is_saved_after_the_last_one(admin_client, integration):
    url = reverse("admin:mappings_fieldrule_add")
    response = admin_client.post(url, add_form(integration))
    assert response.status_code == 302, response.content.decode()[:2000]
    response = admin_client.post(url, add_form(integration, target_path="note.value"))
    assert response.status_code == 302
    assert list(FieldRule.objects.values_list("position", "target_path")) == [
        (10, "invoiceText.value"),
        (20, "note.value"),
    ]
    listing = admin_client.get(reverse("admin:mappings_fieldrule_changelist")).content.decode()
    assert "invoiceText.value" in listing and "Preview on an order" in listing


def test_the_admin_refuses_a_target_the_spec_lacks_and_names_the_nearest(admin_client, integration):
    response = admin_client.post(
        reverse("admin:mappings_fieldrule_add"), add_form(integration, target_path="invoiceTxt.value")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not FieldRule.objects.exists()
    assert "has no field &#x27;invoiceTxt&#x27;" in html and "nearest: invoiceText" in html


def test_the_admin_refuses_a_bad_template_with_the_reason(admin_client, integration):
    response = admin_client.post(
        reverse("admin:mappings_fieldrule_add"),
        add_form(integration, transform="concat", source_path="", argument="{billing.first_name"),
    )
    assert "is not closed" in response.content.decode() and not FieldRule.objects.exists()


def test_import_through_preview_and_confirm(admin_client, integration):
    preview = admin_client.post(
        reverse("admin:mappings_fieldrule_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("rules.csv", (HEADER + ROWS).encode(), content_type="text/csv"),
        },
    )
    assert preview.status_code == 200 and not FieldRule.objects.exists()
    confirm = preview.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    done = admin_client.post(reverse("admin:mappings_fieldrule_process_import"), data, follow=True)
    assert "Import finished: 3 new" in done.content.decode()
    rules = {(r.target, r.position): r for r in FieldRule.objects.filter(integration=integration)}
    assert rules[("orders:invoice", 10)].argument == "Order {number}, {billing.first_name} {billing.last_name}"
    assert rules[("orders:invoice", 20)].condition == "billing.company empty"
    assert rules[("orders:customer", 10)].enabled is False


def test_an_import_with_a_target_the_spec_lacks_writes_nothing_and_names_the_row(integration):
    bad = HEADER + ROWS + "orders:invoice,30,constant,,invoiceTxt.value,x,,1\n"
    problems = import_problems(mapping_import(integration=integration, table="field_rules", content=bad))
    assert len(problems) == 1 and problems[0].startswith("Row 5, column target_path (value 'invoiceTxt.value')")
    assert "nearest: invoiceText" in problems[0]
    assert not FieldRule.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_imports_back_to_the_same_rules(integration, file_format):
    assert not import_problems(mapping_import(integration=integration, table="field_rules", content=HEADER + ROWS))
    exported = mapping_export(integration=integration, table="field_rules", file_format=file_format)
    other = IntegrationFactory()
    name = f"rules.{file_format}"
    result = mapping_import(integration=other, table="field_rules", content=exported, file_name=name)
    assert not import_problems(result)

    def rows(of):
        return sorted(
            FieldRule.objects.filter(integration=of).values_list(
                "target", "position", "transform", "source_path", "target_path", "argument", "condition", "enabled"
            )
        )

    assert rows(other) == rows(integration) and len(rows(other)) == 3
    again = mapping_import(integration=other, table="field_rules", content=exported, file_name=name)
    assert again.totals["skip"] == 3  # unchanged rows are left as they are
