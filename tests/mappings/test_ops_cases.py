"""The ops cases for mapping files (fixtures/ops, each with its .expected.txt): Excel's CSVs, formula-safe
exports and import permissions, through the service, the admin and the commands."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from mappings.models import CustomerClass, PaymentMethodMapping, TaxZoneMapping
from mappings.services import import_problems, mapping_export, mapping_import
from mappings.tabular import FileReadError, ReadOptions

pytestmark = pytest.mark.django_db

OPS = Path(__file__).resolve().parent / "fixtures" / "ops"


def case(name: str) -> bytes:
    return (OPS / name).read_bytes()


def upload(client, integration, name: str, model: str, **extra):
    return client.post(
        reverse(f"admin:mappings_{model}_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile(name, case(name), content_type="text/csv"),
            **extra,
        },
    )


def confirm(client, preview, model: str):
    form = preview.context["confirm_form"]
    return client.post(
        reverse(f"admin:mappings_{model}_process_import"), {n: form[n].value() for n in form.fields}, follow=True
    )


@pytest.fixture
def with_class(integration):
    CustomerClass.objects.create(integration=integration, code="EUB2C")
    return integration


def zones(integration):
    return sorted(
        TaxZoneMapping.objects.filter(integration=integration).values_list(
            "country", "customer_type", "customer_class__code", "vat_zone", "vat_category", "sales_account"
        )
    )


SEMICOLON_ZONES = [("DE", "B2C", "EUB2C", "OSS", "OSS-DE", "3106"), ("FR", "B2C", "EUB2C", "OSS", "OSS-FR", "3106")]


# -- case 02: a semicolon CSV with BOM (Swedish/Dutch Excel) is imported like the comma file -----------
def test_02_semicolon_file_imports_through_the_service_the_admin_and_the_command(with_class, admin_client):
    result = mapping_import(integration=with_class, table="tax_zones", content=case("02_tax_zones_semicolon.csv"))
    assert import_problems(result) == [] and zones(with_class) == SEMICOLON_ZONES
    TaxZoneMapping.objects.all().delete()

    preview = upload(admin_client, with_class, "02_tax_zones_semicolon.csv", "taxzonemapping")
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert "Import finished: 2 new" in confirm(admin_client, preview, "taxzonemapping").content.decode()
    assert zones(with_class) == SEMICOLON_ZONES
    TaxZoneMapping.objects.all().delete()

    call_command("import_mappings", "tax_zones", str(OPS / "02_tax_zones_semicolon.csv"), integration=with_class.name)
    assert zones(with_class) == SEMICOLON_ZONES


def test_02_a_chosen_delimiter_that_does_not_fit_names_the_columns_it_saw(with_class):
    content = case("02_tax_zones_semicolon.csv")
    result = mapping_import(
        integration=with_class, table="tax_zones", content=content, options=ReadOptions(delimiter="comma")
    )
    assert import_problems(result) == [
        "Line 1, the header row: Unknown column(s): country;customer_type;customer_class;vat_zone;vat_category;"
        "sales_account. Missing column(s): country, customer_type, customer_class, vat_zone, vat_category, "
        "sales_account. Expected columns: country, customer_type, customer_class, vat_zone, vat_category, "
        "sales_account."
    ]
    assert not TaxZoneMapping.objects.exists()


# -- case 03: a Windows-1252 file: a clear message, never a traceback; read when the encoding is chosen --
NOT_UTF8 = (
    "The file is not UTF-8 text (line 2 has the byte 0x96). In Excel use File › Save As › 'CSV UTF-8 (Comma "
    "delimited)', or choose the file's encoding (e.g. Windows-1252) when importing."
)


def test_03_cp1252_file_is_refused_by_the_command_with_a_sentence(integration):
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_mappings",
            "payment_methods",
            str(OPS / "03_payment_methods_cp1252.csv"),
            integration=integration.name,
        )
    assert str(exc.value) == "Nothing was imported: " + NOT_UTF8
    assert not PaymentMethodMapping.objects.exists()


def test_03_cp1252_file_is_read_when_the_command_is_told_the_encoding(integration):
    path = str(OPS / "03_payment_methods_cp1252.csv")
    call_command("import_mappings", "payment_methods", path, integration=integration.name, encoding="cp1252")
    row = PaymentMethodMapping.objects.get()
    assert (row.shop_method, row.erp_payment_method, row.erp_cash_account) == ("swish", "SWISH", "1930")
    assert row.description == "Swish – betalning (Åhléns)"


def test_03_cp1252_file_in_the_admin_says_not_utf8_under_the_file_then_imports_with_the_encoding(
    admin_client, integration
):
    refused = upload(admin_client, integration, "03_payment_methods_cp1252.csv", "paymentmethodmapping")
    assert refused.status_code == 200
    assert refused.context["form"].errors["import_file"] == [NOT_UTF8]
    assert "UnicodeDecodeError" not in refused.content.decode() and not PaymentMethodMapping.objects.exists()

    preview = upload(
        admin_client, integration, "03_payment_methods_cp1252.csv", "paymentmethodmapping", encoding="cp1252"
    )
    assert preview.context["confirm_form"]["encoding"].value() == "cp1252"
    confirm(admin_client, preview, "paymentmethodmapping")
    assert PaymentMethodMapping.objects.get().description == "Swish – betalning (Åhléns)"


# -- case 04: rows of empty cells are ignored, not read as a repeated empty key ------------------------
def test_04_rows_of_empty_cells_are_ignored(with_class, admin_client):
    content = case("04_tax_zones_trailing_empty_rows.csv")
    result = mapping_import(integration=with_class, table="tax_zones", content=content)
    assert import_problems(result) == []
    assert zones(with_class) == [("FR", "B2C", "EUB2C", "OSS", "OSS-FR", "3106")]
    TaxZoneMapping.objects.all().delete()
    preview = upload(admin_client, with_class, "04_tax_zones_trailing_empty_rows.csv", "taxzonemapping")
    assert "Duplicate" not in preview.content.decode() and "already given" not in preview.content.decode()
    confirm(admin_client, preview, "taxzonemapping")
    assert TaxZoneMapping.objects.count() == 1


# -- case 05: formula-like cells are neutralised in every export, and an export imports back the same ---
def test_05_exports_neutralise_formulas_and_import_back_to_the_same_values(integration, admin_client, tmp_path):
    result = mapping_import(
        integration=integration, table="payment_methods", content=case("05_payment_methods_formula.csv")
    )
    assert import_problems(result) == []
    stored = dict(PaymentMethodMapping.objects.values_list("shop_method", "description"))
    assert stored == {"swish": '=HYPERLINK("http://example.invalid/x","Swish")', "klarna-checkout": "@SUM(1+1)"}

    response = admin_client.post(
        reverse("admin:mappings_paymentmethodmapping_export"), {"format": "0", "integration": integration.pk}
    )
    admin_csv = response.content
    command_csv = tmp_path / "methods.csv"
    call_command("export_mappings", "payment_methods", str(command_csv), integration=integration.name)
    for content in (
        admin_csv,
        command_csv.read_bytes(),
        mapping_export(integration=integration, table="payment_methods"),
    ):
        assert content.startswith(b"\xef\xbb\xbf")
        text = content.decode("utf-8-sig")
        assert '"\'=HYPERLINK(""http://example.invalid/x"",""Swish"")"' in text
        assert "'@SUM(1+1)" in text
        assert not re.search(r"(^|,)[=+@-]", text, re.MULTILINE)  # no cell starts a formula

    xlsx = mapping_export(integration=integration, table="payment_methods", file_format="xlsx")
    from io import BytesIO

    import openpyxl

    cells = [c.value for row in openpyxl.load_workbook(BytesIO(xlsx)).active.iter_rows() for c in row]
    assert "'@SUM(1+1)" in cells and not any(isinstance(v, str) and v.startswith(("=", "@")) for v in cells)

    PaymentMethodMapping.objects.all().delete()
    for content in (admin_csv, xlsx):
        assert import_problems(mapping_import(integration=integration, table="payment_methods", content=content)) == []
        assert dict(PaymentMethodMapping.objects.values_list("shop_method", "description")) == stored
        PaymentMethodMapping.objects.all().delete()


def test_05_an_apostrophe_the_export_did_not_add_is_kept(integration):
    content = "shop_method,erp_payment_method,erp_cash_account,description\nswish,SWISH,1930,'quoted' text\n"
    assert import_problems(mapping_import(integration=integration, table="payment_methods", content=content)) == []
    assert PaymentMethodMapping.objects.get().description == "'quoted' text"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_05_a_description_starting_with_an_apostrophe_survives_export_and_import(integration, file_format):
    """ "'+46 Swish' number" (a quoted phone prefix): the export guards the apostrophe with one of its own, the
    import removes only that one."""
    description = "'+46 Swish' number"
    PaymentMethodMapping.objects.create(
        integration=integration, shop_method="swish", erp_payment_method="SWISH", description=description
    )
    content = mapping_export(integration=integration, table="payment_methods", file_format=file_format)
    if file_format == "csv":
        assert "''+46 Swish' number" in content.decode("utf-8-sig")

    result = mapping_import(
        integration=integration, table="payment_methods", content=content, file_name=f"methods.{file_format}"
    )

    assert not result.has_errors() and not result.has_validation_errors(), result.problems
    assert PaymentMethodMapping.objects.get(integration=integration).description == description


@pytest.mark.parametrize("value", ["=1+1", "'=1+1", "''x", "'quoted' text", "+46 70", "-", "'", "\tindented", "plain"])
def test_05_every_value_exports_and_imports_back_exactly(integration, value):
    PaymentMethodMapping.objects.create(
        integration=integration, shop_method="swish", erp_payment_method="SWISH", description=value.strip()
    )
    stored = PaymentMethodMapping.objects.get().description
    content = mapping_export(integration=integration, table="payment_methods")
    assert import_problems(mapping_import(integration=integration, table="payment_methods", content=content)) == []
    assert PaymentMethodMapping.objects.get().description == stored


# -- Excel's scientific notation in a code, id or account column ------------------------------------
@pytest.mark.parametrize(("column", "value"), [("erp_payment_method", "1.11111E+15"), ("erp_cash_account", "3.001E+3")])
def test_a_code_or_account_in_excels_scientific_notation_is_refused_naming_row_and_column(integration, column, value):
    row = {"shop_method": "swish", "erp_payment_method": "SWISH", "erp_cash_account": "1930", "description": "x"}
    row[column] = value
    content = "shop_method,erp_payment_method,erp_cash_account,description\n" + ",".join(row.values()) + "\n"

    problems = import_problems(mapping_import(integration=integration, table="payment_methods", content=content))

    assert len(problems) == 1 and problems[0].startswith(
        f"Row 2, column {column} (value '{value}'): a number Excel rewrote"
    )
    assert "Text" in problems[0] and not PaymentMethodMapping.objects.exists()


def test_scientific_notation_in_a_description_is_the_description(integration):
    content = "shop_method,erp_payment_method,erp_cash_account,description\nswish,SWISH,1930,1E+3 style\n"
    content += "card,CARD,1930,2.5E+3\n"
    assert import_problems(mapping_import(integration=integration, table="payment_methods", content=content)) == []
    assert PaymentMethodMapping.objects.get(shop_method="card").description == "2.5E+3"


# -- case 21: importing needs "add" for new rows and "change" for changed rows ----------------------------
def staff_client(client, *codenames):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="mappings", codename__in=codenames))
    client.force_login(user)
    return client


def test_21_user_without_add_cannot_create_rows_in_the_preview_or_at_confirm(with_class, client, admin_client):
    ops = staff_client(client, "view_taxzonemapping", "change_taxzonemapping")
    preview = upload(ops, with_class, "01_tax_zones_bom.csv", "taxzonemapping")
    assert preview.status_code == 403
    assert preview.context.get("confirm_form") is None
    problems = preview.context["result"].problems
    assert problems == [
        "Row 2: you may not add tax zones: your account lacks the 'add' permission on them (the same as the "
        "admin's Add/Change pages).",
        "Row 3: you may not add tax zones: your account lacks the 'add' permission on them (the same as the "
        "admin's Add/Change pages).",
    ]
    assert not TaxZoneMapping.objects.exists()

    # a confirm posted anyway (the preview of someone allowed) is refused too, and writes nothing
    allowed_preview = upload(admin_client, with_class, "01_tax_zones_bom.csv", "taxzonemapping")
    form = allowed_preview.context["confirm_form"]
    refused = ops.post(
        reverse("admin:mappings_taxzonemapping_process_import"), {n: form[n].value() for n in form.fields}
    )
    assert refused.status_code == 403
    assert not TaxZoneMapping.objects.exists()


def test_21_user_with_change_but_no_add_may_update_existing_rows(with_class, client):
    mapping_import(integration=with_class, table="tax_zones", content=case("01_tax_zones_bom.csv"))
    ops = staff_client(client, "view_taxzonemapping", "change_taxzonemapping")
    content = case("01_tax_zones_bom.csv").replace(b"OSS-FR,3106", b"OSS-FR,3107")
    preview = ops.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {"integration": with_class.pk, "format": "0", "import_file": SimpleUploadedFile("z.csv", content)},
    )
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    confirm(ops, preview, "taxzonemapping")
    assert TaxZoneMapping.objects.get(country="FR").sales_account == "3107"


def test_21_user_with_add_but_no_change_may_add_but_not_change(with_class, client):
    mapping_import(integration=with_class, table="tax_zones", content=case("01_tax_zones_bom.csv"))
    ops = staff_client(client, "view_taxzonemapping", "add_taxzonemapping")
    changed = case("01_tax_zones_bom.csv").replace(b"OSS-FR,3106", b"OSS-FR,3107")
    response = ops.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {"integration": with_class.pk, "format": "0", "import_file": SimpleUploadedFile("z.csv", changed)},
    )
    assert response.status_code == 403
    assert response.context["result"].problems == [
        "Row 2: you may not change tax zones: your account lacks the 'change' permission on them (the same as "
        "the admin's Add/Change pages)."
    ]
    assert TaxZoneMapping.objects.get(country="FR").sales_account == "3106"


def test_21_user_with_only_view_has_no_import_page(with_class, client):
    ops = staff_client(client, "view_taxzonemapping")
    assert ops.get(reverse("admin:mappings_taxzonemapping_import")).status_code == 403


def test_reading_problems_are_sentences_not_exception_names():
    with pytest.raises(FileReadError, match=r"^This is an old Excel \.xls workbook"):
        from mappings.tabular import table_read

        table_read(content=b"\xd0\xcf\x11\xe0" + b"\0" * 100, file_name="x.xls")
