"""Reading and writing mapping files the way spreadsheet users make and open them.

Read: `table_read` turns the bytes of an uploaded file into a `FileDataset` (a tablib Dataset whose
rows carry their line in the file, and `notes` for the user about how it was read). It accepts
- CSV separated by comma, semicolon or tab (sniffed from the header line, or given); an Excel 'sep=;'
  first line is honoured. Encodings: see mappings.tabular_text (UTF-8 with or without BOM, UTF-16 with
  or without BOM, or the legacy encoding the user names, e.g. cp1252);
- Excel .xlsx workbooks (the first sheet, or the only sheet with data), with the same results as the
  CSV of the same cells: see mappings.tabular_xlsx (percentages, dates, formulas).
Blank lines before the header, rows whose cells are all empty and columns with neither a name nor
values are left out. Anything that cannot be read raises FileReadError with a sentence for the user;
cells with nothing to read (an xlsx formula saved without its value, an Excel error value such as #N/A
in an xlsx or CSV cell) are all listed in one FileReadError, each with its row and column.

Write: every exported cell that a spreadsheet would run as a formula (it starts with = + - @, a tab
or a carriage return) gets a leading apostrophe (OWASP "CSV injection"), and so does a cell that starts
with an apostrophe itself ("'+46 Swish" is exported as "''+46 Swish"); `cell_unquote` removes one leading
apostrophe only where such a guard stands (an apostrophe followed by = + - @ tab CR or another apostrophe),
so every exported file imports back to exactly the values it was made of. An apostrophe before anything else
("'quoted' text") is the cell's own and kept. CSV exports start
with a UTF-8 byte order mark so Excel shows å, ä, ö right.
"""

from __future__ import annotations

import csv
import io
import re
from contextvars import ContextVar
from dataclasses import dataclass

import tablib
from import_export.formats.base_formats import CSV, XLSX, Format

from .file_problems import (
    EXCEL_ERRORS,
    CellProblem,
    FileReadError,
    cell_problems_raise,
    excel_error_problem,
    invisible_strip,
)
from .tabular_text import ENCODING_CHOICES, ENCODINGS, text_decode
from .tabular_xlsx import xlsx_rows

__all__ = [
    "DELIMITERS",
    "DELIMITER_CHOICES",
    "ENCODINGS",
    "ENCODING_CHOICES",
    "FileDataset",
    "FileReadError",
    "ReadOptions",
    "read_options",
    "table_read",
]

DELIMITERS = {"auto": None, "comma": ",", "semicolon": ";", "tab": "\t"}
DELIMITER_CHOICES = [
    ("auto", "Detect (comma, semicolon or tab)"),
    ("comma", "Comma ,"),
    ("semicolon", "Semicolon ;"),
    ("tab", "Tab"),
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a text file: delimiter 'auto' | 'comma' | 'semicolon' | 'tab'; encoding a key of ENCODINGS."""

    delimiter: str = "auto"
    encoding: str = "utf-8"

    @classmethod
    def of(cls, data) -> ReadOptions:
        """From form or POST data; unknown values fall back to the defaults."""
        delimiter = data.get("delimiter") or "auto"
        encoding = data.get("encoding") or "utf-8"
        return cls(
            delimiter=delimiter if delimiter in DELIMITERS else "auto",
            encoding=encoding if encoding in ENCODINGS else "utf-8",
        )


# The admin's import views set this for the request they serve; the file formats below read it.
read_options: ContextVar[ReadOptions | None] = ContextVar("mapping_read_options", default=None)


class FileDataset(tablib.Dataset):
    """A Dataset whose `line_numbers[i]` is the line (CSV) or sheet row (xlsx) of data row i; header is
    `header_line`; `notes` are sentences for the user about how the file was read (e.g. which sheet)."""

    def __init__(self, *args, line_numbers=(), header_line=1, notes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.line_numbers = list(line_numbers)
        self.header_line = header_line
        self.notes = list(notes)


# -- reading ------------------------------------------------------------------------------------
def table_read(*, content: bytes | str, file_name: str = "", options: ReadOptions | None = None) -> FileDataset:
    """Read CSV/TSV text or an .xlsx workbook into a FileDataset; raise FileReadError saying what is wrong."""
    options = options or ReadOptions()
    if isinstance(content, bytes) and content.startswith(XLS_MAGIC):
        raise FileReadError("This is an old Excel .xls workbook: save it as .xlsx or as 'CSV UTF-8' and import that.")
    if isinstance(content, bytes) and (content.startswith(XLSX_MAGIC) or file_name.lower().endswith(".xlsx")):
        rows, notes = xlsx_rows(content)
        return _table_from_rows(rows, notes=notes)
    if isinstance(content, str):
        text, notes = content.removeprefix("\ufeff"), []
    else:
        text, notes = text_decode(content, options.encoding)
    return _table_from_rows(_csv_rows(text, DELIMITERS[options.delimiter]), notes=notes)


def _delimiter_sniff(lines: list[str]) -> str:
    """The delimiter of the header line (the first non-blank line): the candidate found most often outside quotes."""
    for line in lines:
        if not line.strip():
            continue
        unquoted = re.sub(r'"[^"]*"', "", line)
        counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def _csv_rows(text: str, delimiter: str | None):
    """(line number, cells) per record; a record that spans lines (a quoted line break) gets its first line."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    skip = 0
    if first is not None and (match := SEP_LINE.match(lines[first])):
        delimiter = delimiter or match.group(1)
        skip = first + 1
    delimiter = delimiter or _delimiter_sniff(lines[skip : skip + 20])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            if start > skip:
                yield start, cells
    except csv.Error as exc:
        raise FileReadError(_quote_problem(start, reader.line_num, str(exc), delimiter)) from None


def _quote_problem(start: int, end: int, error: str, delimiter: str) -> str:
    """The sentence for a record the CSV reader gave up on: it started on line `start`, the reader stopped on
    line `end` (`error` is Python's csv.Error text, e.g. 'unexpected end of data')."""
    escape = 'a quote inside a cell is written twice (""), and such a cell is put in quotes'
    if "unexpected end of data" in error:
        return (
            f'Line {start}: the quote (") that opens a cell on this line is never closed, so the rest of the '
            f"file (to line {end}) would be one cell: close the quote or delete it ({escape})."
        )
    separator = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
    if "expected after" in error:
        place = "on this line" if start == end else f"on this line closes only on line {end}, and"
        return (
            f"Line {start}: a quoted cell {place} has text after its closing quote where a {separator} should "
            f"follow: a quote is missing or one too many ({escape})."
        )
    return f"Line {end} cannot be read as CSV: {error}."


def _table_from_rows(rows, *, notes=()) -> FileDataset:
    header_line, header, body = None, [], []
    for number, cells in rows:
        cells = [_cell_read(cell) for cell in cells]
        if not any(isinstance(cell, CellProblem) or cell.strip() for cell in cells):
            continue  # blank line, or a row of empty cells (',,,,,')
        if header_line is None:
            header_line, header = number, [cell if isinstance(cell, CellProblem) else cell.strip() for cell in cells]
        elif _names(cells) == _names(header):
            raise FileReadError(
                f"Line {number} repeats the header row (line {header_line}): the file looks like two files joined "
                f"one below the other. Delete line {number} (and check the rows after it belong to this table)."
            )
        else:
            body.append((number, cells))
    if header_line is None:
        raise FileReadError("The file is empty: it needs a header row with the column names and one row per line.")
    width = max([len(header), *(len(cells) for _, cells in body)])
    header += [""] * (width - len(header))
    body = [(number, cells + [""] * (width - len(cells))) for number, cells in body]
    cell_problems_raise(_cell_problems(header_line, header, body))
    keep = []
    for index, name in enumerate(header):
        filled = next(((n, c[index]) for n, c in body if c[index].strip()), None)
        if name:
            keep.append(index)
        elif filled:
            raise FileReadError(
                f"Column {index + 1} has values (e.g. '{filled[1].strip()}' on line {filled[0]}) but no name "
                f"in the header row (line {header_line}): name it or delete the column."
            )
    dataset = FileDataset(
        headers=[header[i] for i in keep],
        line_numbers=[n for n, _ in body],
        header_line=header_line,
        notes=notes,
    )
    for _, cells in body:
        dataset.append([cells[i] for i in keep])
    return dataset


def _names(cells) -> list[str]:
    """A row's cells as header names are compared: without padding or invisible characters, ignoring case."""
    names = [invisible_strip(cell).casefold() if isinstance(cell, str) else cell for cell in cells]
    while names and names[-1] == "":
        names.pop()
    return names


def _cell_read(cell):
    """A cell as text, or a CellProblem (also for text that is an Excel error value, as a CSV of one holds)."""
    if cell is None:
        return ""
    if isinstance(cell, CellProblem):
        return cell
    text = str(cell)
    return CellProblem(excel_error_problem(text.strip())) if text.strip() in EXCEL_ERRORS else text


def _cell_problems(header_line: int, header: list, body: list) -> list[str]:
    """A sentence per cell with nothing to read, naming its row (file line) and column."""
    problems = [
        f"Line {header_line}, the header row, column {index + 1}: {cell.reason}"
        for index, cell in enumerate(header)
        if isinstance(cell, CellProblem)
    ]
    for number, cells in body:
        for index, cell in enumerate(cells):
            if isinstance(cell, CellProblem):
                name = header[index] if isinstance(header[index], str) and header[index] else None
                column = name or f"{index + 1} (it has no name)"
                problems.append(f"Row {number}, column {column}: {cell.reason}")
    return problems


# -- writing ------------------------------------------------------------------------------------
# What a guard apostrophe stands before: a formula's start, or the apostrophe a cell itself starts with.
GUARDED_STARTS = (*FORMULA_STARTS, "'")


def cell_neutralise(value):
    """A text cell a spreadsheet would run as a formula, or that starts with an apostrophe, with a leading
    apostrophe: "=x" → "'=x", "'+46" → "''+46"; anything else unchanged."""
    if isinstance(value, str) and value.startswith(GUARDED_STARTS):
        return "'" + value
    return value


def cell_unquote(value):
    """Undo cell_neutralise: "'=x" → "=x", "''+46" → "'+46". An apostrophe before any other character is kept
    ("'quoted' text")."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(GUARDED_STARTS):
        return value[1:]
    return value


def dataset_neutralise(dataset: tablib.Dataset) -> tablib.Dataset:
    """The dataset with every formula-like cell neutralised (in place; returned for chaining)."""
    rows = [tuple(cell_neutralise(cell) for cell in row) for row in dataset]
    headers = dataset.headers
    dataset.wipe()
    dataset.headers = headers
    for row in rows:
        dataset.append(row)
    return dataset


# -- import-export formats ----------------------------------------------------------------------
class SpreadsheetImport(Format):
    """One import format for CSV (any delimiter/encoding, see ReadOptions) and .xlsx: told apart by content."""

    def __init__(self, encoding=None):
        self.encoding = encoding  # the admin passes its default; the user's choice comes from `read_options`

    def get_title(self):
        return "CSV (comma, semicolon or tab) or Excel .xlsx"

    def create_dataset(self, in_stream, **kwargs):
        return table_read(content=in_stream, options=read_options.get())

    def can_import(self):
        return True

    def get_extension(self):
        return "csv"


class SafeCSV(CSV):
    """CSV export with a UTF-8 byte order mark, formula-like and apostrophe-led cells guarded (cell_neutralise):
    the one place a CSV export guards its cells, so each gets one apostrophe."""

    def get_title(self):
        return "csv"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + dataset_neutralise(dataset).export("csv", **kwargs)

    def can_import(self):
        return False


class SafeXLSX(XLSX):
    """.xlsx export, cells guarded as SafeCSV's."""

    def get_title(self):
        return "xlsx"

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_neutralise(dataset), **kwargs)

    def can_import(self):
        return False
