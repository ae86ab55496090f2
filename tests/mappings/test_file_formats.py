"""Every table that imports reads the same rows from a comma CSV, a semicolon CSV with BOM and an .xlsx
workbook with identical results; its CSV and .xlsx exports import back to the same rows."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from mappings.models import CustomerClass
from mappings.resources import RESOURCES
from mappings.services import import_problems, mapping_export, mapping_import
from mappings.tabular import ReadOptions, table_read
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

# One row set per table, written as a spreadsheet user would: mixed case codes, decimal commas,
# commas, semicolons and non-ASCII letters inside cells, a '-' that exports neutralise.
ROWS = {
    "customer_classes": [
        ("code", "description"),
        ("DOMESTIC", "Sweden, domestic"),
        ("EUB2C", "EU; consumers (Åland excluded)"),
    ],
    "tax_zones": [
        ("country", "customer_type", "customer_class", "vat_zone", "vat_category", "sales_account"),
        ("SE", "B2C", "DOMESTIC", "SE", "SE25", "3001"),
        ("fr", "b2c", "eub2c", "OSS", "OSS-FR", "3106"),
    ],
    "payment_methods": [
        ("shop_method", "erp_payment_method", "erp_cash_account", "description"),
        ("swish", "SWISH", "1930", "Swish – betalning (Åhléns)"),
        ("klarna-checkout", "KLARNA", "1581", "Klarna; invoice, 14 days"),
    ],
    "payment_terms": [
        ("shop_terms", "erp_terms", "description"),
        ("B2B", "30D", "Net 30, on account"),
        ("B2C", "0D", ""),
    ],
    "shipping": [
        ("shop_shipping", "erp_item", "description", "sales_account"),
        ("standard", "FREIGHT", "Frakt; standard", "3520"),
        ("*", "FREIGHT", "Övrig frakt", ""),
    ],
    "currencies": [("shop_currency", "erp_currency", "decimals"), ("eur", "EUR", "2"), ("JPY", "JPY", "")],
    "sku_rule": [
        ("product_source", "variant_source", "size_source", "separator"),
        ("segment:1", "segment:2", "segment:3", "-"),
    ],
    "vat_rates": [
        ("country", "rate", "vat_category", "sales_account", "description"),
        ("SE", "25", "SE25", "", ""),
        ("fi", "25,5", "FI255", "3001", "Standard, from 1 Sept 2024"),
        ("SE", "6,0", "SE6", "", "Books"),
    ],
    "vat_territories": [
        ("country", "postcode_prefix", "treat_as", "name", "legal_source"),
        ("ES", "35", "EXPORT", "Canary Islands (Las Palmas)", "Council Directive 2006/112/EC, Art. 6(1)(b)"),
        ("gb", "BT", "XI", "Northern Ireland", "Windsor Framework, Art. 8"),
    ],
    "field_rules": [
        ("target", "position", "transform", "source_path", "target_path", "argument", "condition", "enabled"),
        (
            "Orders / invoice",
            "10",
            "concat",
            "",
            "invoiceText.value",
            "{billing.first_name}; Åhléns, {number}",
            "",
            "1",
        ),
        ("orders:customer", "20", "truncate", "", "name.value", "30", "billing.company notempty", "0"),
    ],
}


def comma_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def semicolon_csv_with_bom(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def xlsx(rows) -> bytes:
    """As Excel stores what a user types: numbers as numbers (3106, 25.5), the rest as text."""
    book = openpyxl.Workbook()
    for row in rows:
        cells = []
        for value in row:
            if re.fullmatch(r"\d+", value):
                cells.append(int(value))
            elif re.fullmatch(r"\d+,\d+", value):
                cells.append(float(value.replace(",", ".")))
            else:
                cells.append(value or None)
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def stored(table, integration):
    """The table's rows of the integration in its import columns, as comparable values."""
    resource = RESOURCES[table](integration=integration)
    columns = resource.columns
    values = []
    for obj in resource.get_queryset():
        row = []
        for column in columns:
            value = getattr(obj, column)
            row.append(value.code if isinstance(value, CustomerClass) else value)
        values.append(tuple(row))
    return sorted(values, key=str)


def fresh_integration(table):
    integration = IntegrationFactory()
    if table == "tax_zones":
        mapping_import(integration=integration, table="customer_classes", content=comma_csv(ROWS["customer_classes"]))
    return integration


def test_every_importing_table_has_a_row_set():
    assert set(ROWS) == set(RESOURCES)


@pytest.mark.parametrize("table", sorted(RESOURCES))
def test_comma_semicolon_bom_and_xlsx_files_import_the_same_rows(table):
    results = {}
    for name, build in (("comma", comma_csv), ("semicolon+BOM", semicolon_csv_with_bom), ("xlsx", xlsx)):
        integration = fresh_integration(table)
        result = mapping_import(integration=integration, table=table, content=build(ROWS[table]))
        assert import_problems(result) == [], name
        assert result.totals["new"] == len(ROWS[table]) - 1, name
        results[name] = stored(table, integration)
    assert results["comma"] == results["semicolon+BOM"] == results["xlsx"]
    assert len(results["comma"]) == len(ROWS[table]) - 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("table", sorted(RESOURCES))
def test_exports_import_back_to_the_same_rows(table, file_format):
    source = fresh_integration(table)
    mapping_import(integration=source, table=table, content=comma_csv(ROWS[table]))
    exported = mapping_export(integration=source, table=table, file_format=file_format)
    target = fresh_integration(table)
    result = mapping_import(integration=target, table=table, content=exported)
    assert import_problems(result) == []
    assert stored(table, target) == stored(table, source)


def test_values_are_read_as_written_with_decimal_comma_and_upper_case_codes():
    integration = fresh_integration("vat_rates")
    mapping_import(integration=integration, table="vat_rates", content=xlsx(ROWS["vat_rates"]))
    rates = sorted(stored("vat_rates", integration), key=str)
    assert ("FI", Decimal("25.50"), "FI255", "3001", "Standard, from 1 Sept 2024") in rates
    assert ("SE", Decimal("6.00"), "SE6", "", "Books") in rates


def test_codes_and_customer_classes_match_ignoring_case(integration):
    mapping_import(integration=integration, table="customer_classes", content="code,description\nEUB2C,EU\n")
    again = mapping_import(
        integration=integration, table="customer_classes", content="code,description\neub2c,EU B2C\n"
    )
    assert import_problems(again) == [] and again.totals["update"] == 1
    assert list(CustomerClass.objects.values_list("code", "description")) == [("eub2c", "EU B2C")]
    methods = "shop_method,erp_payment_method\nSwish,SWISH\nswish,SWISH\n"
    result = mapping_import(integration=integration, table="payment_methods", content=methods)
    assert import_problems(result) == ["Row 3: shop_method swish is already given in row 2."]


def test_blank_lines_before_the_header_and_empty_columns_are_ignored_and_lines_counted(integration):
    content = b"\r\n;;;\r\nshop_currency;erp_currency;decimals;;\r\nEUR;EUR;2;;\r\n;;;;\r\n\r\nSEK;SEKK;2,5;;\r\n"
    result = mapping_import(integration=integration, table="currencies", content=content)
    assert import_problems(result) == [
        "Row 7, column decimals (value '2,5'): not a whole number, e.g. 0, 2 or 3.",
        "Row 7, column erp_currency (value 'SEKK'): 'SEKK' is not an ISO 4217 currency code.",
        "Row 7, column erp_currency (value 'SEKK'): ensure this value has at most 3 characters (it has 4).",
    ]


def test_a_column_with_values_but_no_name_is_refused_with_its_place():
    with pytest.raises(ValueError, match=r"Column 3 has values \(e.g. 'x' on line 3\) but no name in the header"):
        table_read(content=b"code,description\nA,a\nB,b,x\n")


def test_tab_file_and_excel_sep_line_and_utf16_are_read():
    assert table_read(content=b"code\tdescription\nA\ta, b\n").dict == [{"code": "A", "description": "a, b"}]
    assert table_read(content=b"sep=;\ncode;description\nA;a, b\n").dict == [{"code": "A", "description": "a, b"}]
    utf16 = "code\tdescription\r\nÅ\tå\r\n".encode("utf-16")
    assert table_read(content=utf16).dict == [{"code": "Å", "description": "å"}]
    assert table_read(content="\ufeffcode,description\nA,a\n").headers == ["code", "description"]
    chosen = table_read(content=b"code,description\nA,a;b\n", options=ReadOptions(delimiter="comma"))
    assert chosen.dict == [{"code": "A", "description": "a;b"}]


def test_xlsx_rows_keep_their_sheet_row_numbers(integration):
    rows = [("code", "description"), ("", ""), ("A B", "spaces")]
    book = openpyxl.Workbook()
    book.active.append([None])  # a blank first row
    for row in rows:
        book.active.append([v or None for v in row])
    out = io.BytesIO()
    book.save(out)
    result = mapping_import(integration=integration, table="customer_classes", content=out.getvalue())
    assert [p.split(",")[0] for p in import_problems(result)] == ["Row 4"]


def test_export_command_writes_xlsx_and_csv_with_bom(integration, tmp_path):
    mapping_import(integration=integration, table="shipping", content=comma_csv(ROWS["shipping"]))
    call_command("export_mappings", "shipping", str(tmp_path / "s.xlsx"), integration=integration.name)
    call_command("export_mappings", "shipping", str(tmp_path / "s.csv"), integration=integration.name)
    assert (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbfshop_shipping,erp_item,description,sales_account")
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    assert [c.value for c in sheet[1]] == ["shop_shipping", "erp_item", "description", "sales_account"]
    assert sheet.max_row == 3
    other = IntegrationFactory()
    call_command("import_mappings", "shipping", str(tmp_path / "s.xlsx"), integration=other.name)
    assert stored("shipping", other) == stored("shipping", integration)
