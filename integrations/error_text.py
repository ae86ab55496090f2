"""Remote error answers as short readable text, never as markup.

APIs answer errors in their own JSON shape, but what sits in front of them (a
gateway, a load balancer, a proxy) answers with an HTML page: nginx's
"413 Request Entity Too Large", a "502 Bad Gateway" page of a cloud front.
Operators read these messages in the admin, so:

- `error_text(...)`: one sentence for a RemoteError's message. For an HTML page
  its <title>, else its first heading, else its visible text; whitespace
  collapsed, a leading status code dropped (it is appended instead), cut to
  MAX_MESSAGE_CHARS, then " (HTTP <status>)": e.g.
  "Request Entity Too Large (HTTP 413)". Plain text is collapsed and cut the
  same way; an empty body gives the reason phrase and the status.
- `page_text(...)`: what a log keeps of an HTML body: its readable text, cut to
  MAX_PAGE_TEXT_CHARS, marked as a page shown as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_MESSAGE_CHARS = 300
MAX_PAGE_TEXT_CHARS = 2000
_SPACE = re.compile(r"\s+")
_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|title|h1|center)\b", re.I | re.S)
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg"})


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def looks_like_html(text: str, content_type: str = "") -> bool:
    """True for an HTML page: by its content type, or by how the body starts."""
    if "html" in (content_type or "").lower():
        return True
    return bool(_HTML_START.match((text or "")[:500]))


class _PageReader(HTMLParser):
    """Collects the title, the first heading and the visible text of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.heading: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self._heading_done = False

    def handle_starttag(self, tag, attrs):
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self._open.append(tag)
        if tag in ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "center", "hr"):
            self.text.append(" ")

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass
        if tag in ("h1", "h2") and self.heading:
            self._heading_done = True

    def handle_data(self, data):
        if any(tag in _INVISIBLE for tag in self._open):
            return
        if "title" in self._open:
            self.title.append(data)
            return
        if "head" in self._open:
            return
        if not self._heading_done and any(tag in ("h1", "h2") for tag in self._open):
            self.heading.append(data)
        self.text.append(data)


def _read(text: str) -> tuple[str, str, str]:
    reader = _PageReader()
    try:
        reader.feed(text or "")
        reader.close()
    except Exception:  # noqa: BLE001 - a page too broken to parse: fall back to stripping tags
        return "", "", collapse(re.sub(r"<[^>]*>", " ", text or ""))
    return collapse("".join(reader.title)), collapse("".join(reader.heading)), collapse("".join(reader.text))


def _without_status(message: str, status: int | None) -> str:
    if status:
        message = re.sub(rf"^\s*(HTTP\s*)?(error\s*)?{status}\b\s*[-–—:|.]?\s*", "", message, flags=re.I)
    return message.strip()


def error_text(text: str, *, status: int | None = None, reason: str = "", content_type: str = "") -> str:
    """One readable sentence for an error answer's body (see the module docstring)."""
    suffix = f" (HTTP {status})" if status else ""
    if looks_like_html(text, content_type):
        title, heading, body = _read(text)
        message = _without_status(title, status) or _without_status(heading, status) or _without_status(body, status)
        return cut(message or reason or "an error page without text", MAX_MESSAGE_CHARS) + suffix
    message = collapse(text)
    if not message:
        return (reason or "an empty answer") + suffix
    return cut(message, MAX_MESSAGE_CHARS)


def page_text(text: str) -> str:
    """What a log keeps of an HTML page: its readable text, cut (see the module docstring)."""
    title, _, body = _read(text)
    readable = body if not title or body.startswith(title) else f"{title} — {body}"
    return f"(HTML page of {len(text or '')} characters, shown as text) {cut(readable, MAX_PAGE_TEXT_CHARS)}"
