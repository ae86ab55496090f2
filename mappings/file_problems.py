"""What the mapping file readers say when a file or a cell cannot be read, in words for ops people.

Every message shown to a user passes through `text_shown`, so a value with a NUL, a line break or
another control or format character (a UTF-16 file read as bytes, a quoted line break, a zero-width
space) shows that character escaped ('\\x00', '\\n', '\\u200b') instead of printing it.
"""

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


def text_shown(text: str) -> str:
    """`text` with control and format characters (Unicode categories Cc, Cf) escaped: 'a\\nb', 'c\\x00'."""
    return "".join(repr(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cf") else char for char in str(text))


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
