"""What a tester found reading mapping files (issue 13): percentages, formula and error cells, dates, header
case, UTF-16 without BOM, UTF-8 read with a legacy encoding chosen, data on a later sheet, control characters."""

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from mappings.models import CurrencyMapping, CustomerClass
from mappings.services import import_problems, mapping_import
from mappings.tabular import FileReadError, ReadOptions, table_read
from mappings.tabular_xlsx import cell_text
from mappings.vat_models import VatRateMapping

pytestmark = pytest.mark.django_db

FORMULA_SENTENCE = "formula without a computed value: open and save the file in Excel, or type the value."


def workbook_bytes(rows, formats=None, sheets=None) -> bytes:
    """A workbook whose first sheet holds `rows` (number formats by cell, e.g. {"B2": "0%"}); `sheets` adds
    named sheets {title: rows} after it."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    for cell, number_format in (formats or {}).items():
        book.active[cell].number_format = number_format
    for title, sheet_rows in (sheets or {}).items():
        sheet = book.create_sheet(title)
        for row in sheet_rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_xml_edit(content: bytes, *replacements) -> bytes:
    """The workbook with text replaced in its first sheet's XML: how Excel saves cached values and errors."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for old, new in replacements:
                    assert old in text, old
                    text = text.replace(old, new)
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def rates(integration):
    return sorted(VatRateMapping.objects.filter(integration=integration).values_list("vat_category", "rate"))


# -- 4. percentages ---------------------------------------------------------------------------------
def test_a_percent_rate_reads_the_same_from_csv_text_and_from_an_xlsx_percentage_cell(integration):
    csv = "country;rate;vat_category\nSE;25%;SE25\nSE;12 %;SE12\nFI;25,5\u00a0%;FI255\n".encode()
    assert import_problems(mapping_import(integration=integration, table="vat_rates", content=csv)) == []
    from_csv = rates(integration)
    VatRateMapping.objects.all().delete()

    book = workbook_bytes(
        [("country", "rate", "vat_category"), ("SE", 0.25, "SE25"), ("SE", 0.12, "SE12"), ("FI", 0.255, "FI255")],
        formats={"B2": "0%", "B3": "0 %", "B4": "0.0%"},
    )
    assert import_problems(mapping_import(integration=integration, table="vat_rates", content=book)) == []
    assert (
        rates(integration)
        == from_csv
        == [
            ("FI255", Decimal("25.50")),
            ("SE12", Decimal("12.00")),
            ("SE25", Decimal("25.00")),
        ]
    )


def test_a_rate_written_with_a_percent_sign_is_the_same_key_as_without(integration):
    mapping_import(integration=integration, table="vat_rates", content="country,rate,vat_category\nSE,6,SE6\n")
    again = mapping_import(
        integration=integration, table="vat_rates", content="country,rate,vat_category\nSE,6 %,SE6B\n"
    )
    assert import_problems(again) == [] and again.totals["update"] == 1
    assert rates(integration) == [("SE6B", Decimal("6.00"))]


def test_a_percentage_cell_outside_the_rate_column_is_the_text_excel_shows(integration):
    assert cell_text(0.25, "0%") == "25%"
    assert cell_text(0.255, '0.0" pct"%') == "25.5%"
    assert cell_text(25, '0" %"') == "25"  # a '%' in quotes is literal text: not a percentage format
    assert table_read(content=workbook_bytes([("code", "description"), ("A", 0.06)], formats={"B2": "0%"})).dict == [
        {"code": "A", "description": "6%"}
    ]
    result = mapping_import(
        integration=integration, table="vat_rates", content="country,rate,vat_category\nSE,25 %%,SE25\n"
    )
    assert import_problems(result) == [
        "Row 2, column rate (value '25 %%'): '25 %%' is not a number: give the rate in percent, e.g. 6, 12 or 25.5."
    ]


# -- 5. formulas, errors, dates, booleans -----------------------------------------------------------
def test_an_xlsx_formula_saved_without_its_value_is_refused_naming_row_and_column(integration, tmp_path):
    book = workbook_bytes(
        [("code", "description"), ("DOMESTIC", "Sweden"), ("EU", '=CONCATENATE("E","U")'), ("X", "=1+1")]
    )
    with pytest.raises(FileReadError) as refused:
        mapping_import(integration=integration, table="customer_classes", content=book)
    assert (
        str(refused.value)
        == f"Row 3, column description: {FORMULA_SENTENCE} Row 4, column description: {FORMULA_SENTENCE}"
    )
    assert not CustomerClass.objects.exists()
    (tmp_path / "classes.xlsx").write_bytes(book)
    with pytest.raises(CommandError, match=r"^Nothing was imported: Row 3, column description: formula without"):
        call_command(
            "import_mappings", "customer_classes", str(tmp_path / "classes.xlsx"), integration=integration.name
        )


def test_formula_cells_with_their_computed_values_are_read_as_those_values(integration):
    book = sheet_xml_edit(
        workbook_bytes([("code", "description", "x"), ("DOMESTIC", '=CONCATENATE("Swe","den")', "=1+1")]),
        (
            '<c r="B2"><f>CONCATENATE("Swe","den")</f><v /></c>',
            '<c r="B2" t="str"><f>CONCATENATE("Swe","den")</f><v>Sweden</v></c>',
        ),
        ('<c r="C2"><f>1+1</f><v /></c>', '<c r="C2" t="str"><f>""</f><v></v></c>'),  # a formula that computed ''
    )
    assert table_read(content=book).dict == [{"code": "DOMESTIC", "description": "Sweden", "x": ""}]


def test_error_values_are_refused_the_same_in_xlsx_and_csv(integration):
    book = sheet_xml_edit(
        workbook_bytes([("code", "description"), ("DOMESTIC", "=NA()"), ("EU", "=A1/0")]),
        ('<c r="B2"><f>NA()</f><v /></c>', '<c r="B2" t="e"><f>NA()</f><v>#N/A</v></c>'),
        ('<c r="B3"><f>A1/0</f><v /></c>', '<c r="B3" t="e"><f>A1/0</f><v>#REF!</v></c>'),
    )
    csv = b"code,description\nDOMESTIC,#N/A\nEU, #REF!\n"
    expected = (
        "Row 2, column description: the cell shows Excel's error #N/A, not a value: correct the formula or type "
        "the value. Row 3, column description: the cell shows Excel's error #REF!, not a value: correct the "
        "formula or type the value."
    )
    for content in (book, csv):
        with pytest.raises(FileReadError) as refused:
            mapping_import(integration=integration, table="customer_classes", content=content)
        assert str(refused.value) == expected
    assert not CustomerClass.objects.exists()


def test_many_cells_without_values_are_listed_up_to_ten(integration):
    book = workbook_bytes([("code", "description"), *((f"C{i}", "=1+1") for i in range(13))])
    with pytest.raises(FileReadError) as refused:
        table_read(content=book)
    message = str(refused.value)
    assert message.count(FORMULA_SENTENCE) == 10 and message.endswith("And 3 more cell(s) like these.")
    assert message.startswith("Row 2, column description:") and "Row 11, column description:" in message


def test_dates_times_booleans_and_numbers_read_as_sensible_text():
    assert cell_text(datetime(2026, 1, 2)) == "2026-01-02"
    assert cell_text(datetime(2026, 1, 2, 10, 30)) == "2026-01-02 10:30"
    assert cell_text(datetime(2026, 1, 2, 10, 30, 15)) == "2026-01-02 10:30:15"
    assert cell_text(date(2026, 1, 2)) == "2026-01-02"
    assert cell_text(time(10, 30)) == "10:30"
    assert cell_text(timedelta(hours=26, minutes=30)) == "26:30:00"
    assert (cell_text(True), cell_text(False)) == ("TRUE", "FALSE")
    assert cell_text(0.1 + 0.2 + 24.7) == "25"  # Excel shows and exports 15 significant digits
    assert (cell_text(3106), cell_text(25.5), cell_text(1e-05), cell_text(1e20)) == (
        "3106",
        "25.5",
        "0.00001",
        "100000000000000000000",
    )
    book = workbook_bytes([("code", "description"), ("A", datetime(2026, 1, 2)), ("B", True)])
    book_rows = table_read(content=book).dict
    assert book_rows == [{"code": "A", "description": "2026-01-02"}, {"code": "B", "description": "TRUE"}]


def test_a_date_where_a_number_is_expected_is_refused_as_that_value(integration):
    book = workbook_bytes([("shop_currency", "erp_currency", "decimals"), ("EUR", "EUR", datetime(2026, 1, 2))])
    result = mapping_import(integration=integration, table="currencies", content=book)
    assert import_problems(result) == [
        "Row 2, column decimals (value '2026-01-02'): not a whole number, e.g. 0, 2 or 3."
    ]
    assert not CurrencyMapping.objects.exists()


# -- 9. header names --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    ["Code,Description", " CODE ; description ", "\ufeff code ,\u00a0Description\u200b", "code\tDESCRIPTION"],
)
def test_header_names_are_matched_ignoring_case_and_surrounding_spaces(integration, header):
    separator = ";" if ";" in header else "\t" if "\t" in header else ","
    content = f"{header}\nDOMESTIC{separator}Sweden\n".encode()
    assert import_problems(mapping_import(integration=integration, table="customer_classes", content=content)) == []
    assert list(CustomerClass.objects.values_list("code", "description")) == [("DOMESTIC", "Sweden")]


def test_unknown_and_repeated_header_names_are_still_refused(integration):
    result = mapping_import(integration=integration, table="customer_classes", content=b"Kod,Description\nA,a\n")
    assert import_problems(result) == [
        "Line 1, the header row: Unknown column(s): Kod. Missing column(s): code. Expected columns: code, description."
    ]
    result = mapping_import(
        integration=integration, table="customer_classes", content=b"code,Description,CODE\nA,a,b\n"
    )
    assert import_problems(result) == [
        "Line 1, the header row: Column(s) given twice: code (columns 1 and 3). Expected columns: code, description."
    ]
    assert not CustomerClass.objects.exists()


# -- 10. UTF-16 without byte order mark, control characters -----------------------------------------
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("description", ["Sverige å", "Sweden"])
def test_utf16_without_byte_order_mark_is_read(integration, codec, description):
    content = f"code\tdescription\r\nDOMESTIC\t{description}\r\n".encode(codec)
    assert import_problems(mapping_import(integration=integration, table="customer_classes", content=content)) == []
    assert list(CustomerClass.objects.values_list("code", "description")) == [("DOMESTIC", description)]


def test_broken_utf16_and_other_nul_bytes_are_refused_naming_what_to_do():
    broken = "code\tdescription\r\nA\ta\r\n".encode("utf-16-le") + b"\x00\xdc"  # a lone low surrogate
    with pytest.raises(FileReadError) as refused:
        table_read(content=broken)
    assert str(refused.value) == (
        "The file looks like UTF-16 text but cannot be read as such: in Excel use File › Save As › "
        "'CSV UTF-8 (Comma delimited)'."
    )
    with pytest.raises(FileReadError) as refused:
        table_read(content=b"code,description\nA,a\x00\x00\x00b\n", options=ReadOptions(encoding="cp1252"))
    assert str(refused.value) == (
        "The file has NUL bytes (line 2), so it is not CSV text: in Excel use File › Save As › "
        "'CSV UTF-8 (Comma delimited)', or import the .xlsx workbook."
    )


def test_messages_show_control_characters_escaped(integration):
    content = b'shop_currency,erp_currency,decimals\nEUR,"E\nU",2\n'
    problems = import_problems(mapping_import(integration=integration, table="currencies", content=content))
    assert problems[0] == "Row 2, column erp_currency (value 'E\\nU'): 'E\\nU' is not an ISO 4217 currency code."
    result = mapping_import(integration=integration, table="customer_classes", content="co\u200bde,description\nA,a\n")
    assert import_problems(result)[0].startswith("Line 1, the header row: Unknown column(s): co\\u200bde.")
    assert not any(re.search(r"[\x00-\x1f\u200b]", p) for p in problems + import_problems(result))
    with pytest.raises(FileReadError) as refused:
        table_read(content=b"code,,\nA,,\x01b\n")
    assert "(e.g. '\\x01b' on line 2)" in str(refused.value)


# -- 11. UTF-8 read with a legacy encoding chosen ---------------------------------------------------
def test_a_utf8_file_read_with_windows_1252_chosen_is_read_as_utf8_and_says_so(integration):
    content = "code,description\nDOMESTIC,Åland och Sverige\n".encode()
    result = mapping_import(
        integration=integration, table="customer_classes", content=content, options=ReadOptions(encoding="cp1252")
    )
    assert import_problems(result) == []
    assert list(CustomerClass.objects.values_list("description", flat=True)) == ["Åland och Sverige"]
    assert result.notes == [
        "The file was read as UTF-8, not as the chosen Windows-1252: it is UTF-8 text (line 2 has 'Åland', "
        "which Windows-1252 would read as 'Ã…land')."
    ]


def test_a_real_windows_1252_file_is_read_as_chosen_without_a_note(integration):
    content = "code,description\nDOMESTIC,Åland\n".encode("cp1252")
    result = mapping_import(
        integration=integration, table="customer_classes", content=content, options=ReadOptions(encoding="cp1252")
    )
    assert import_problems(result) == [] and result.notes == []
    assert list(CustomerClass.objects.values_list("description", flat=True)) == ["Åland"]


def test_the_note_reaches_the_admin_preview_and_the_command(integration, admin_client, tmp_path):
    content = "code,description\nDOMESTIC,Åland\n".encode()
    preview = admin_client.post(
        reverse("admin:mappings_customerclass_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "encoding": "cp1252",
            "import_file": SimpleUploadedFile("classes.csv", content, content_type="text/csv"),
        },
    )
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert "The file was read as UTF-8, not as the chosen Windows-1252" in preview.content.decode()
    path = tmp_path / "classes.csv"
    path.write_bytes(content)
    out = io.StringIO()
    call_command(
        "import_mappings", "customer_classes", str(path), integration=integration.name, encoding="cp1252", stdout=out
    )
    assert "The file was read as UTF-8, not as the chosen Windows-1252" in out.getvalue()
    assert list(CustomerClass.objects.values_list("description", flat=True)) == ["Åland"]


# -- 12. xlsx with the data on a later sheet -------------------------------------------------------
def test_an_empty_first_sheet_and_one_sheet_with_data_reads_that_sheet_and_says_so(integration):
    book = workbook_bytes([], sheets={"Notes": [], "Data": [("code", "description"), ("DOMESTIC", "Sweden")]})
    result = mapping_import(integration=integration, table="customer_classes", content=book)
    assert import_problems(result) == []
    assert result.notes == ["The first sheet ('Sheet') of the workbook is empty, so the sheet 'Data' was read."]
    assert CustomerClass.objects.filter(code="DOMESTIC").exists()


def test_an_empty_first_sheet_and_several_sheets_with_data_is_refused_naming_them():
    book = workbook_bytes([(None, "  ")], sheets={"2025": [("code",), ("A",)], "2026": [("code",), ("B",)]})
    with pytest.raises(FileReadError) as refused:
        table_read(content=book)
    assert str(refused.value) == (
        "The first sheet ('Sheet') of the workbook is empty and the sheets '2025', '2026' have data: move the "
        "table to the first sheet (or delete the sheets you do not mean to import) and import again."
    )
    with pytest.raises(FileReadError, match="The file is empty"):
        table_read(content=workbook_bytes([], sheets={"Other": []}))


def test_a_workbook_whose_saved_used_range_is_wrong_is_read_whole(integration):
    book = sheet_xml_edit(  # scripts often save the used range as A1 whatever the sheet holds
        workbook_bytes([("code", "description"), ("A", "a"), (None, None), ("B", "b")]),
        ('<dimension ref="A1:B4" />', '<dimension ref="A1" />'),
    )
    dataset = table_read(content=book)
    assert (dataset.dict, dataset.line_numbers) == (
        [{"code": "A", "description": "a"}, {"code": "B", "description": "b"}],
        [2, 4],
    )
