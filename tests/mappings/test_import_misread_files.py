"""Mapping files that are easy to misread: an unclosed quote, "Latin-1" that is really Windows-1252, bytes no
encoding has, invisible characters in headers and cells, a column or the whole header given twice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.models import CustomerClass, TaxZoneMapping
from mappings.services import import_problems, mapping_import
from mappings.tabular import FileReadError, ReadOptions, table_read

from .conftest import TAX_HEADER

pytestmark = pytest.mark.django_db

FR = "FR,B2C,EUB2C,OSS,OSS-FR,3106\n"
DE = "DE,B2C,EUB2C,OSS,OSS-DE,3106\n"


@pytest.fixture
def with_class(integration):
    CustomerClass.objects.create(integration=integration, code="EUB2C")
    return integration


def zones(integration):
    return sorted(
        TaxZoneMapping.objects.filter(integration=integration).values_list("country", "vat_category", "sales_account")
    )


def preview(client, integration, content: bytes, **extra):
    return client.post(
        reverse("admin:mappings_taxzonemapping_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("zones.csv", content, content_type="text/csv"),
            **extra,
        },
    )


# -- 1. an unclosed quote --------------------------------------------------------------------------
def test_an_unclosed_quote_names_the_line_where_it_opened(with_class):
    content = TAX_HEADER + FR + 'DE,B2C,EUB2C,"OSS,OSS-DE,3106\n' + "AT,B2C,EUB2C,OSS,OSS-AT,3106\n"

    with pytest.raises(FileReadError) as refused:
        mapping_import(integration=with_class, table="tax_zones", content=content.encode())

    assert str(refused.value) == (
        'Line 3: the quote (") that opens a cell on this line is never closed, so the rest of the file (to line 4) '
        'would be one cell: close the quote or delete it (a quote inside a cell is written twice (""), and such a '
        "cell is put in quotes)."
    )
    assert not TaxZoneMapping.objects.exists()


def test_a_quote_closed_on_a_later_line_before_more_text_names_both_lines():
    content = TAX_HEADER + 'FR,B2C,EUB2C,"OSS,OSS-FR,3106\nDE,B2C,EUB2C,"OSS,OSS-DE,3106\n'

    with pytest.raises(FileReadError, match=r"^Line 2: a quoted cell on this line closes only on line 3, and has text"):
        table_read(content=content.encode())


def test_text_after_a_closing_quote_on_the_same_line_is_refused_with_the_separator(with_class):
    content = TAX_HEADER.replace(",", ";") + 'FR;B2C;EUB2C;"OSS"X;OSS-FR;3106\n'

    with pytest.raises(FileReadError) as refused:
        table_read(content=content.encode())

    assert str(refused.value).startswith(
        "Line 2: a quoted cell on this line has text after its closing quote where a semicolon should follow"
    )


def test_the_admin_preview_shows_the_unclosed_quote_under_the_file_field(admin_client, with_class):
    response = preview(admin_client, with_class, (TAX_HEADER + 'FR,B2C,EUB2C,"OSS,OSS-FR,3106\n' + DE).encode())

    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith('Line 2: the quote (") that opens a cell on this line is never closed')
    assert "Traceback" not in response.content.decode()


def test_quotes_as_excel_writes_them_still_read(with_class):
    content = TAX_HEADER + 'FR,B2C,EUB2C,"OSS",OSS-FR,3106\n' + 'DE,B2C,EUB2C,OSS,"OSS-DE",3106\n'

    result = mapping_import(integration=with_class, table="tax_zones", content=content.encode())

    assert import_problems(result) == []
    assert zones(with_class) == [("DE", "OSS-DE", "3106"), ("FR", "OSS-FR", "3106")]


# -- 2. Latin-1 that is Windows-1252, and bytes no encoding has ------------------------------------
PAYMENT_HEADER = "shop_method,erp_payment_method,erp_cash_account,description\n"


@pytest.mark.parametrize("chosen", ["iso-8859-1", "iso-8859-15"])
def test_a_latin_file_with_euro_and_curly_quotes_is_read_as_windows_1252_and_says_so(integration, chosen):
    content = (PAYMENT_HEADER + "swish,SWISH,1930,Swish \x80 5 \x92fast\x92\n").encode("latin-1")

    result = mapping_import(
        integration=integration, table="payment_methods", content=content, options=ReadOptions(encoding=chosen)
    )

    assert import_problems(result) == []
    assert integration.paymentmethodmapping_set.get().description == "Swish € 5 ’fast’"
    label = {"iso-8859-1": "ISO-8859-1", "iso-8859-15": "ISO-8859-15"}[chosen]
    assert result.notes == [
        f"The file was read as Windows-1252, not as the chosen {label}: line 2 has the byte 0x80, which is '€' in "
        f"Windows-1252 (as Excel writes it) and an invisible control character in {label}."
    ]


def test_a_real_latin_1_file_is_read_as_chosen_without_a_note(integration):
    content = (PAYMENT_HEADER + "swish,SWISH,1930,Swish \xe5 betalning\n").encode("latin-1")

    result = mapping_import(
        integration=integration, table="payment_methods", content=content, options=ReadOptions(encoding="iso-8859-1")
    )

    assert result.notes == [] and import_problems(result) == []
    assert integration.paymentmethodmapping_set.get().description == "Swish å betalning"


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (
            "utf-8",
            "The file is neither UTF-8 nor Windows-1252 text (tried both: line 2 has the byte 0x81, which neither "
            "has). In Excel use File › Save As › 'CSV UTF-8 (Comma delimited)', or choose the encoding it was saved "
            "in when importing.",
        ),
        (
            "cp1252",
            "The file is neither UTF-8 nor Windows-1252 text (tried both: line 2 has the byte 0x81, which neither "
            "has): choose the encoding it was saved in, or save it in Excel as 'CSV UTF-8'.",
        ),
        (
            "iso-8859-1",
            "The file is neither UTF-8, ISO-8859-1 nor Windows-1252 text (tried all three: line 2 has the byte 0x81, "
            "an invisible control character in ISO-8859-1 and no character in Windows-1252): choose the encoding "
            "it was saved in, or save it in Excel as 'CSV UTF-8'.",
        ),
    ],
)
def test_bytes_no_encoding_has_are_refused_naming_the_encodings_tried(integration, chosen, expected):
    content = PAYMENT_HEADER.encode() + b"swish,SWISH,1930,Swish \x81\x8d\n"

    with pytest.raises(FileReadError) as refused:
        mapping_import(
            integration=integration, table="payment_methods", content=content, options=ReadOptions(encoding=chosen)
        )

    assert str(refused.value) == expected
    assert not integration.paymentmethodmapping_set.exists()


def test_the_admin_shows_the_windows_1252_note_above_the_preview(admin_client, with_class):
    content = (TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,3106\n").encode("latin-1") + b"DE,B2C,EUB2C,OSS,OSS\x96DE,3106\n"

    response = preview(admin_client, with_class, content, encoding="iso-8859-1")

    html = response.content.decode()
    assert "The file was read as Windows-1252, not as the chosen ISO-8859-1: line 3 has the byte 0x96" in html
    assert "Row 3, column vat_category (value &#x27;OSS–DE&#x27;)" in html  # an en dash, as Windows-1252 reads it


# -- 3. invisible characters -----------------------------------------------------------------------
def test_invisible_characters_around_headers_and_cells_are_stripped(with_class):
    header = "\ufeffCountry\u200b,customer_type\u00a0,customer_class\t,vat_zone,vat_category,sales_account\t\n"
    rows = "\ufeffFR\u200b,B2C\u00a0,EUB2C\t,OSS,\u2060OSS-FR,3106\t\n" + "DE,B2C,EUB2C,OSS,OSS-DE\u200e,\u00a03106\n"

    result = mapping_import(integration=with_class, table="tax_zones", content=header + rows)

    assert import_problems(result) == []
    assert zones(with_class) == [("DE", "OSS-DE", "3106"), ("FR", "OSS-FR", "3106")]


def test_an_invisible_character_inside_a_value_is_refused_naming_row_column_and_character(with_class):
    content = TAX_HEADER + FR + "DE,B2C,EUB2C,OSS,OSS\u200bDE,3106\n" + "AT,B2C,EUB2C,O\ufeffSS,OSS-AT,3106\n"

    result = mapping_import(integration=with_class, table="tax_zones", content=content)

    assert import_problems(result) == [
        "Row 3, column vat_category (value 'OSS\\u200bDE'): it has an invisible character, zero width space "
        "(U+200B), after 'OSS': delete it (retype the value in the cell).",
        "Row 4, column vat_zone (value 'O\\ufeffSS'): it has an invisible character, zero width no-break space "
        "(U+FEFF), after 'O': delete it (retype the value in the cell).",
    ]
    assert not TaxZoneMapping.objects.exists()


def test_a_no_break_space_inside_a_code_is_shown_escaped(with_class):
    result = mapping_import(
        integration=with_class, table="tax_zones", content=TAX_HEADER + "FR,B2C,EUB2C,OSS,OSS-FR,31\u00a006\n"
    )

    [problem] = import_problems(result)
    assert problem.startswith("Row 2, column sales_account (value '31\\xa006'): ")


def test_a_second_file_pasted_below_the_first_is_refused_at_its_header(with_class):
    content = TAX_HEADER + FR + "\ufeff" + TAX_HEADER.replace("country", "Country") + DE

    with pytest.raises(FileReadError) as refused:
        mapping_import(integration=with_class, table="tax_zones", content=content.encode())

    assert str(refused.value).startswith(
        "Line 3 repeats the header row (line 1): the file looks like two files joined one below the other. "
        "Delete line 3"
    )


# -- 4. a column given twice -----------------------------------------------------------------------
def test_a_column_given_twice_is_refused_naming_it_and_its_places(with_class):
    header = TAX_HEADER.strip() + ",Country\u200b\n"

    result = mapping_import(integration=with_class, table="tax_zones", content=header + FR.strip() + ",DE\n")

    assert import_problems(result) == [
        "Line 1, the header row: Column(s) given twice: country (columns 1 and 7). Expected columns: country, "
        "customer_type, customer_class, vat_zone, vat_category, sales_account."
    ]
    assert not TaxZoneMapping.objects.exists()
