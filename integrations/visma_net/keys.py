"""Visma.net resource keys in URL paths: as they are, or in the ERP's base64url form `b64(...)`.

Visma.net reads any resource key sent as `b64(<base64url of the key>)` in
place of the key (developer knowledge base, "special characters in resource
names", available since version 8.19 of 2020-02-18). Keys with characters
that are reserved in URLs (the documented list is `: / ? # [ ] @ & * + ;`)
cannot go into a path as they are: percent-escaping does not help, the ERP
answers 404 to `/v1/inventory/TEE%2FBLK%2FM`. So every key holding anything
but letters, digits, `-`, `_`, `.` and `~` (and keys that are only dots or
end with one, which a web server may cut off) is sent in that form; plain
keys go as they are. Base64url is RFC 4648 §5 of the key's UTF-8 bytes,
without the `=` padding, as in the documented example
`:/?#[]@&*+;` → `b64(Oi8_I1tdQCYqKzs)`.
"""

from __future__ import annotations

import base64
import binascii
import re

PLAIN_KEY = re.compile(r"[A-Za-z0-9_~.-]+")
B64_SEGMENT = re.compile(r"b64\(([A-Za-z0-9_-]*)(={0,2})\)")


def key_segment(key: object) -> str:
    """One path segment for a key: the key itself when it is plain, else `b64(<base64url, no padding>)`."""
    text = str(key)
    if PLAIN_KEY.fullmatch(text) and not text.endswith("."):
        return text
    encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
    return f"b64({encoded})"


def key_decode(segment: str) -> str:
    """The key a path segment names: `b64(...)` decoded (padding optional), any other segment as it is.

    Raises ValueError when a `b64(...)` segment is not base64url of UTF-8 text.
    """
    match = B64_SEGMENT.fullmatch(segment)
    if match is None:
        return segment
    data = match.group(1)
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"{segment} is not a base64url-encoded key: {exc}") from None
