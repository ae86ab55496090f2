"""What the mapping file readers say when a file or a cell cannot be read, in words for ops people.

Every message shown to a user passes through `text_shown`, so a value with a NUL, a line break or
another control or format character (a UTF-16 file read as bytes, a quoted line break, a zero-width
space) or a space other than the plain one (a no-break space) shows that character escaped ('\\x00',
'\\n', '\\u200b', '\\xa0') instead of printing it.

Invisible characters that spreadsheets and web pages leave in cells (a byte order mark of a second file
pasted below the first, a zero-width space, a no-break space, a trailing tab) are stripped from the
ends of every header and cell (`invisible_strip`); inside a value, where stripping could join two
words, a format character is refused naming it (`invisible_inside`).

An id or code that Excel turned into a number shown in scientific notation ('1.11111E+15' for the
16-digit 1111111111111111, '1E+05' for the code 1E5) has lost digits for good: it is refused in every
id-like column (`excel_scientific_problem`), never read as the id it no longer is.
"""

import re
import unicodedata

# Excel's error values: a cell showing one holds no value to import. Source: Microsoft, "How to correct
# a #... error" (Excel help); the first seven are ECMA-376 Part 1, 18.17.3 (error values).
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#GETTING_DATA",
    }
)
FORMULA_WITHOUT_VALUE = "formula without a computed value: open and save the file in Excel, or type the value."
MAX_CELLS_LISTED = 10


# Around a header or a value: any Unicode space (tab, no-break space included) and the invisible format
# characters spreadsheets and web pages leave behind: soft hyphen, zero-width (non-)joiner and space,
# left-to-right and right-to-left marks, word joiner, byte order mark.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
PADDING = re.compile(rf"^[\s{INVISIBLE}]+|[\s{INVISIBLE}]+$")


def text_shown(text: str) -> str:
    """`text` with control and format characters (Unicode categories Cc, Cf) and spaces other than ' '
    (category Zs, e.g. no-break space) escaped: 'a\\nb', 'c\\x00', '31\\xa006'."""
    return "".join(repr(char)[1:-1] if _hidden(char) else char for char in str(text))


def _hidden(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Cc", "Cf") or (category == "Zs" and char != " ")


def invisible_strip(text: str) -> str:
    """`text` without spaces and invisible characters at either end: '\\ufeffFR\\u200b\\t' → 'FR'."""
    return PADDING.sub("", text)


def invisible_inside(text: str) -> str | None:
    """The sentence tail for an invisible format character (category Cf) inside `text`, or None."""
    for position, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            name = unicodedata.name(char, "format character").lower()
            where = f"after '{text[:position]}'" if position else "at its start"
            return (
                f"it has an invisible character, {name} (U+{ord(char):04X}), {where}: delete it (retype the "
                "value in the cell)."
            )
    return None


# Excel's General format for a number too long for the cell: one digit, optional decimals, 'E', a signed
# exponent ('1.11111E+15', '2,02611E+11' where the decimal mark is a comma, '1E+05'). Excel keeps 15
# significant digits of a number (IEEE 754 double; Microsoft, "Excel specifications and limits").
SCIENTIFIC = re.compile(r"^[+-]?\d(?:[.,]\d+)?[Ee][+-]\d{1,3}$")


def excel_scientific_problem(text: str) -> str | None:
    """The sentence tail for an id or code in Excel's scientific notation ('1.11111E+15'), or None."""
    if not SCIENTIFIC.match(text.strip()):
        return None
    return (
        "a number Excel rewrote in scientific notation, so the id's digits are lost: take the original file "
        "again and open it in Excel with this column saved as Text (Data › From Text/CSV, column data format "
        "Text), or type the id again in a cell formatted as Text."
    )


def excel_error_problem(text: str) -> str:
    """The sentence tail for a cell showing an Excel error value such as #N/A or #REF!."""
    return f"the cell shows Excel's error {text}, not a value: correct the formula or type the value."


class FileReadError(ValueError):
    """The file as a whole cannot be read; the message is a sentence for the user (control characters escaped)."""

    def __init__(self, message: str):
        super().__init__(text_shown(message))


class CellProblem:
    """A cell the reader could not turn into text (an xlsx formula without a value, an error value).

    `reason` is the tail of a sentence; the table builder names the row and column in front of it.
    """

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"CellProblem({self.reason!r})"


def cell_problems_raise(problems: list[str]) -> None:
    """Raise one FileReadError listing the cells (at most MAX_CELLS_LISTED, then how many more)."""
    if not problems:
        return
    shown = problems[:MAX_CELLS_LISTED]
    more = len(problems) - len(shown)
    tail = f" And {more} more cell(s) like these." if more else ""
    raise FileReadError(" ".join(shown) + tail)
