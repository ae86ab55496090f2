"""Reading and writing mapping files the way spreadsheet users make and open them.

Read: `table_read` turns the bytes of an uploaded file into a `FileDataset` (a tablib Dataset whose
rows carry their line in the file). It accepts
- CSV separated by comma, semicolon or tab (sniffed from the header line, or given), with or
  without a UTF-8 byte order mark, or in an encoding the user names (e.g. cp1252); an Excel
  'sep=;' first line is honoured; UTF-16 text (Excel "Unicode Text") is read too;
- Excel .xlsx workbooks (first sheet), with the same results as the CSV of the same cells.
Blank lines before the header, rows whose cells are all empty and columns with neither a name nor
values are left out. Anything that cannot be read raises FileReadError with a sentence for the user.

Write: every exported cell that a spreadsheet would run as a formula (it starts with = + - @, a tab
or a carriage return) gets a leading apostrophe (OWASP "CSV injection"); `cell_unquote` removes that
apostrophe again on import, so an exported file imports back to the same values. CSV exports start
with a UTF-8 byte order mark so Excel shows å, ä, ö right.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import tablib
from import_export.formats.base_formats import CSV, XLSX, Format

DELIMITERS = {"auto": None, "comma": ",", "semicolon": ";", "tab": "\t"}
DELIMITER_CHOICES = [
    ("auto", "Detect (comma, semicolon or tab)"),
    ("comma", "Comma ,"),
    ("semicolon", "Semicolon ;"),
    ("tab", "Tab"),
]
ENCODING_CHOICES = [
    ("utf-8", "UTF-8 (with or without BOM): Excel's 'CSV UTF-8'"),
    ("cp1252", "Windows-1252 (Excel 'CSV (Comma delimited)' on Windows, Western Europe)"),
    ("iso-8859-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("mac-roman", "Mac Roman (Excel for Mac 'Comma Separated Values')"),
]
ENCODINGS = dict(ENCODING_CHOICES)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)
NOT_UTF8 = (
    "The file is not UTF-8 text (line {line} has the byte 0x{byte:02x}). In Excel use File › Save As › "
    "'CSV UTF-8 (Comma delimited)', or choose the file's encoding (e.g. Windows-1252) when importing."
)


class FileReadError(ValueError):
    """The file as a whole cannot be read; the message is a sentence for the user."""


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
    `header_line`."""

    def __init__(self, *args, line_numbers=(), header_line=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_numbers = list(line_numbers)
        self.header_line = header_line


# -- reading ------------------------------------------------------------------------------------
def table_read(*, content: bytes | str, file_name: str = "", options: ReadOptions | None = None) -> FileDataset:
    """Read CSV/TSV text or an .xlsx workbook into a FileDataset; raise FileReadError saying what is wrong."""
    options = options or ReadOptions()
    if isinstance(content, bytes) and content.startswith(XLS_MAGIC):
        raise FileReadError("This is an old Excel .xls workbook: save it as .xlsx or as 'CSV UTF-8' and import that.")
    if isinstance(content, bytes) and (content.startswith(XLSX_MAGIC) or file_name.lower().endswith(".xlsx")):
        return _table_from_rows(_xlsx_rows(content))
    text = content.removeprefix("\ufeff") if isinstance(content, str) else _text_decode(content, options.encoding)
    return _table_from_rows(_csv_rows(text, DELIMITERS[options.delimiter]))


def _text_decode(content: bytes, encoding: str) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel "Unicode Text": UTF-16 with BOM
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise FileReadError("The file looks like UTF-16 text but cannot be read as such.") from None
    try:
        return content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        if encoding == "utf-8":
            raise FileReadError(NOT_UTF8.format(line=line, byte=content[exc.start])) from None
        raise FileReadError(
            f"The file is not {ENCODINGS[encoding].split(' (')[0]} text (line {line} has the byte "
            f"0x{content[exc.start]:02x}): choose another encoding, or save it in Excel as 'CSV UTF-8'."
        ) from None


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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
        raise FileReadError(f"Line {reader.line_num} cannot be read as CSV: {exc}.") from None


def _xlsx_rows(content: bytes):
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise FileReadError(
            "The file is not an Excel .xlsx workbook that can be read: save it again as .xlsx."
        ) from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value) -> str:
    """An xlsx cell as the text a CSV of it would hold (3106 → '3106', 25.5 → '25.5', empty → '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _table_from_rows(rows) -> FileDataset:
    header_line, header, body = None, [], []
    for number, cells in rows:
        cells = ["" if cell is None else str(cell) for cell in cells]
        if not any(cell.strip() for cell in cells):
            continue  # blank line, or a row of empty cells (',,,,,')
        if header_line is None:
            header_line, header = number, [cell.strip() for cell in cells]
        else:
            body.append((number, cells))
    if header_line is None:
        raise FileReadError("The file is empty: it needs a header row with the column names and one row per line.")
    width = max([len(header), *(len(cells) for _, cells in body)])
    header += [""] * (width - len(header))
    body = [(number, cells + [""] * (width - len(cells))) for number, cells in body]
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
    dataset = FileDataset(headers=[header[i] for i in keep], line_numbers=[n for n, _ in body], header_line=header_line)
    for _, cells in body:
        dataset.append([cells[i] for i in keep])
    return dataset


# -- writing ------------------------------------------------------------------------------------
def cell_neutralise(value):
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_unquote(value):
    """Undo cell_neutralise: "'=x" → "=x". An apostrophe before any other character is kept."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
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
    """CSV export with a UTF-8 byte order mark; cells are neutralised by the resource's export."""

    def get_title(self):
        return "csv"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + dataset_neutralise(dataset).export("csv", **kwargs)

    def can_import(self):
        return False


class SafeXLSX(XLSX):
    def get_title(self):
        return "xlsx"

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_neutralise(dataset), **kwargs)

    def can_import(self):
        return False
