"""The bytes of a CSV file as text, in the encoding the file is really in.

- UTF-8, with or without byte order mark: Excel's "CSV UTF-8".
- UTF-16 with a byte order mark (Excel's "Unicode Text"), and UTF-16 without one, recognised by its
  pattern of NUL bytes (every second byte of the ASCII letters of the header is 0).
- A legacy encoding the user chose (Windows-1252 and others, ENCODING_CHOICES). A file that is valid
  UTF-8 with non-ASCII letters is UTF-8 whatever was chosen (Windows-1252 would read 'Åland' as
  'Ã…land'; real Windows-1252 text with letters such as å is practically never valid UTF-8): it is
  read as UTF-8 and a note says so.
- ISO-8859-1 or -15 chosen, and the file has bytes 0x80-0x9f: those are invisible control characters
  in ISO-8859 but '€', '’', '–' ... in Windows-1252, which is what Excel and Windows write when they
  say "Latin-1" (the WHATWG Encoding Standard reads the label iso-8859-1 as windows-1252 too). The
  file is read as Windows-1252 and a note says so.
Any other file (not UTF-8 when UTF-8 is chosen, bytes no tried encoding has, NUL bytes in something
that is not UTF-16) is refused with a FileReadError naming the encodings tried and how to save it
from Excel.
"""

from __future__ import annotations

import re

from .file_problems import FileReadError

ENCODING_CHOICES = [
    ("utf-8", "UTF-8 (with or without BOM): Excel's 'CSV UTF-8'"),
    ("cp1252", "Windows-1252 (Excel 'CSV (Comma delimited)' on Windows, Western Europe)"),
    ("iso-8859-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("mac-roman", "Mac Roman (Excel for Mac 'Comma Separated Values')"),
]
ENCODINGS = dict(ENCODING_CHOICES)
SAVE_AS_UTF8 = "in Excel use File › Save As › 'CSV UTF-8 (Comma delimited)'"
NOT_UTF8 = (
    "The file is not UTF-8 text (line {line} has the byte 0x{byte:02x}). In Excel use File › Save As › "
    "'CSV UTF-8 (Comma delimited)', or choose the file's encoding (e.g. Windows-1252) when importing."
)
UTF16_SAMPLE = 4096  # bytes looked at to recognise UTF-16 without a byte order mark
# Encodings whose bytes 0x80-0x9f are C1 control characters, where Excel's files mean Windows-1252.
C1_CONTROLS = re.compile("[\x80-\x9f]")
LATIN_READ_AS_CP1252 = ("iso-8859-1", "iso-8859-15")


def encoding_label(encoding: str) -> str:
    """'cp1252' → 'Windows-1252'."""
    return ENCODINGS[encoding].split(" (")[0]


def text_decode(content: bytes, encoding: str = "utf-8") -> tuple[str, list[str]]:
    """The text of the file and notes for the user (why another encoding than the chosen one was used).

    `encoding` is a key of ENCODINGS. Raises FileReadError with a sentence saying what to do.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel "Unicode Text": UTF-16 with BOM
        return _nul_free(_utf16_decode(content, "utf-16")), []
    if utf16 := _utf16_without_bom(content):
        return _nul_free(_utf16_decode(content, utf16)), []
    if b"\x00" in content:
        line = content.count(b"\n", 0, content.index(b"\x00")) + 1
        raise FileReadError(
            f"The file has NUL bytes (line {line}), so it is not CSV text: {SAVE_AS_UTF8}, or import the .xlsx workbook."
        )
    if encoding != "utf-8":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:  # ASCII reads the same in every choice; a BOM, or letters written the UTF-8 way, say UTF-8
            return text, ([] if text.isascii() else [_utf8_note(text, encoding)])
    try:
        text = content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        raise _not_readable(content, exc, encoding) from None
    if encoding in LATIN_READ_AS_CP1252 and (control := C1_CONTROLS.search(text)):
        return _windows_1252_instead(content, text, control.start(), encoding)
    return text, []


def _not_readable(content: bytes, exc: UnicodeDecodeError, encoding: str) -> FileReadError:
    """The sentence for a file the chosen encoding (and UTF-8) cannot read, naming the encodings tried."""
    line = content.count(b"\n", 0, exc.start) + 1
    byte = content[exc.start]
    if encoding == "utf-8":
        try:
            content.decode("cp1252")
        except UnicodeDecodeError as other:
            line, byte = content.count(b"\n", 0, other.start) + 1, content[other.start]
            return FileReadError(
                f"The file is neither UTF-8 nor Windows-1252 text (tried both: line {line} has the byte "
                f"0x{byte:02x}, which neither has). {SAVE_AS_UTF8[0].upper()}{SAVE_AS_UTF8[1:]}, or choose the "
                "encoding it was saved in when importing."
            )
        return FileReadError(NOT_UTF8.format(line=line, byte=byte))
    return FileReadError(
        f"The file is neither UTF-8 nor {encoding_label(encoding)} text (tried both: line {line} has the byte "
        f"0x{byte:02x}, which neither has): choose the encoding it was saved in, or save it in Excel as 'CSV UTF-8'."
    )


def _windows_1252_instead(content: bytes, text: str, position: int, encoding: str) -> tuple[str, list[str]]:
    """A file read with an ISO-8859 encoding that has control characters 0x80-0x9f: its Windows-1252 text and a
    note, or a FileReadError when Windows-1252 has no character for one of its bytes either."""
    line = text.count("\n", 0, position) + 1
    label = encoding_label(encoding)
    try:
        windows = content.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise FileReadError(
            f"The file is neither UTF-8, {label} nor Windows-1252 text (tried all three: line {line} has the byte "
            f"0x{content[exc.start]:02x}, an invisible control character in {label} and no character in "
            "Windows-1252): choose the encoding it was saved in, or save it in Excel as 'CSV UTF-8'."
        ) from None
    byte = ord(text[position])
    return windows, [
        f"The file was read as Windows-1252, not as the chosen {label}: line {line} has the byte 0x{byte:02x}, "
        f"which is '{windows[position]}' in Windows-1252 (as Excel writes it) and an invisible control "
        f"character in {label}."
    ]


def _utf16_without_bom(content: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the NUL bytes fall on every second byte, as ASCII text in UTF-16 has."""
    sample = content[: UTF16_SAMPLE - UTF16_SAMPLE % 2]
    pairs = len(sample) // 2
    if pairs < 2 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= pairs * 0.1 and even * 10 <= odd:
        return "utf-16-le"
    if even >= pairs * 0.1 and odd * 10 <= even:
        return "utf-16-be"
    return None


def _utf16_decode(content: bytes, codec: str) -> str:
    try:
        return content.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise FileReadError(f"The file looks like UTF-16 text but cannot be read as such: {SAVE_AS_UTF8}.") from None


def _nul_free(text: str) -> str:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileReadError(f"The file has NUL characters (line {line}), so it is not CSV text: {SAVE_AS_UTF8}.")
    return text


def _utf8_note(text: str, encoding: str) -> str:
    """Says the file was read as UTF-8, with its first non-ASCII word and how the chosen encoding would read it."""
    position = next(i for i, char in enumerate(text) if not char.isascii())
    line = text.count("\n", 0, position) + 1
    start = max((m.end() for m in re.finditer(r"[\s,;\t\"]", text[:position])), default=0)
    word = re.match(r"[^\s,;\t\"]{1,30}", text[start:]) or re.match(r".", text[position:])
    example = word.group()
    misread = example.encode("utf-8").decode(encoding, errors="replace")
    label = encoding_label(encoding)
    return (
        f"The file was read as UTF-8, not as the chosen {label}: it is UTF-8 text (line {line} has "
        f"'{example}', which {label} would read as '{misread}')."
    )
