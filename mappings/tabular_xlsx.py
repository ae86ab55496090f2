"""An Excel .xlsx workbook as rows of text: the text Excel's CSV of the same cells would hold.

- Which sheet: the first. When the first sheet is empty and exactly one other sheet has data, that
  sheet is read and a note says so; when several have data the file is refused naming them.
- Numbers as written: 3106 → '3106', 25.5 → '25.5'; a computed 25.000000000000004 → '25' (Excel keeps
  15 significant digits, ECMA-376 Part 1, 18.17.5). A number formatted as a percentage is written out
  as one: 0.25 shown as 25 % → '25%' (the VAT rate column reads '25%' as 25, as it does in a CSV).
- Dates and times in ISO 8601: '2026-01-02', '2026-01-02 10:30', '10:30'; durations '26:30:00';
  booleans 'TRUE' and 'FALSE' (Excel's CSV).
- A formula cell is the value Excel computed and saved with it. A formula saved without one (a file
  written by a script and never opened in Excel) or showing an error value (#N/A, #REF!) becomes a
  CellProblem, which the table builder reports with its row and column.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import zip_longest

from .file_problems import FORMULA_WITHOUT_VALUE, CellProblem, FileReadError, excel_error_problem

TEXT_TYPES = ("s", "str", "inlineStr")  # a formula with one of these result types computed text ('' included)
QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def xlsx_rows(content: bytes) -> tuple[list[tuple[int, list]], list[str]]:
    """(sheet row number, cells) of the sheet read, and notes for the user about what was read.

    Cells are text, or CellProblem for a cell without a value to read. Raises FileReadError.
    """
    import openpyxl

    try:
        values = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise FileReadError(
            "The file is not an Excel .xlsx workbook that can be read: save it again as .xlsx."
        ) from None
    try:
        sheets = list(zip(values.worksheets, formulas.worksheets, strict=True))
        for value_sheet, formula_sheet in sheets:  # the saved "used range" may be wrong (files written by scripts):
            value_sheet.reset_dimensions()  # read every cell there is instead (openpyxl, "Read-only mode")
            formula_sheet.reset_dimensions()
        if not sheets or _sheet_has_data(sheets[0][0]):
            return (_sheet_rows(*sheets[0]) if sheets else []), []
        filled = [pair for pair in sheets[1:] if _sheet_has_data(pair[0])]
        first = sheets[0][0].title
        if len(filled) == 1:
            note = (
                f"The first sheet ('{first}') of the workbook is empty, so the sheet '{filled[0][0].title}' was read."
            )
            return _sheet_rows(*filled[0]), [note]
        if filled:
            names = ", ".join(f"'{pair[0].title}'" for pair in filled)
            raise FileReadError(
                f"The first sheet ('{first}') of the workbook is empty and the sheets {names} have data: "
                "move the table to the first sheet (or delete the sheets you do not mean to import) and import again."
            )
        return [], []
    finally:
        values.close()
        formulas.close()


def _sheet_has_data(sheet) -> bool:
    return any(value is not None and str(value).strip() for row in sheet.iter_rows(values_only=True) for value in row)


def _sheet_rows(value_sheet, formula_sheet) -> list[tuple[int, list]]:
    rows = zip_longest(value_sheet.iter_rows(), formula_sheet.iter_rows(), fillvalue=())
    return [
        (number, [_cell(v, f) for v, f in zip_longest(value_row, formula_row)])
        for number, (value_row, formula_row) in enumerate(rows, start=1)
    ]


def _cell(value_cell, formula_cell):
    value = getattr(value_cell, "value", None)
    data_type = getattr(value_cell, "data_type", "n")
    if value is None and getattr(formula_cell, "data_type", None) == "f" and data_type not in TEXT_TYPES:
        return CellProblem(FORMULA_WITHOUT_VALUE)
    if data_type == "e":
        return CellProblem(excel_error_problem(str(value)))
    return cell_text(value, getattr(value_cell, "number_format", None) or "General")


def cell_text(value, number_format: str = "General") -> str:
    """A cell value as text: 3106 → '3106'; 0.25 formatted '0%' → '25%'; a date → '2026-01-02'; None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        if _is_percent(number_format):
            return _plain(number * 100) + "%"
        return _plain(number)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec=_timespec(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec=_timespec(value))
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return str(value)


def _is_percent(number_format: str) -> bool:
    """Whether an Excel number format shows the value as a percentage (a '%' outside quotes and brackets)."""
    return "%" in QUOTED_OR_ESCAPED.sub("", number_format)


def _plain(number: Decimal) -> str:
    """A number without exponent or trailing zeros: 25.50 → '25.5', 1E+2 → '100', 1E-5 → '0.00001'."""
    return "0" if number == 0 else format(number.normalize(), "f")


def _timespec(value) -> str:
    return "minutes" if not value.second and not value.microsecond else "seconds"
