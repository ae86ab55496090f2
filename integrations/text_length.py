"""Text lengths as the remote APIs count them, and cutting text to such a length.

The ERPs Koppla writes to run on .NET (Visma eAccounting, Visma.net) and validate a `maxLength` by the
string's length in UTF-16 code units (`string.Length`; SQL Server's nvarchar(n) counts the same way): a
character outside the Basic Multilingual Plane, such as an emoji (U+1F600) or a rare CJK ideograph, counts
as two. Python's len() counts it as one, so a 50-character name with an emoji passes len() and is refused
remotely. Counting in UTF-16 units is never less than len(), so it is also safe for APIs that count code
points.
"""

from __future__ import annotations

import unicodedata


def text_length(text: str) -> int:
    """The length of `text` in UTF-16 code units (an emoji counts 2, "é" 1)."""
    return len(text.encode("utf-16-le")) // 2


def text_cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, never inside a character and never between a letter
    and the combining marks that follow it ("é" written as e + U+0301 is kept whole or dropped whole)."""
    if limit <= 0:
        return ""
    if len(text) <= limit // 2 or text_length(text) <= limit:
        return text
    units = 0
    end = 0
    for index, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if units + size > limit:
            break
        units += size
        end = index + 1
    while 0 < end < len(text) and unicodedata.combining(text[end]):
        end -= 1  # the next character is a mark of the last one kept: drop both
    return text[:end]
