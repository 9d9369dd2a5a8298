"""Main text, title and language of a fetched body. HTML goes through a main-text extractor
(``main_text.py``: Resiliparse, with trafilatura where it reads a page better), which drops
navigation, footers and other boilerplate; plain text and Markdown pass through as they are."""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass

from batch_platform.defs.content.logic.main_text import main_text

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_LANG = re.compile(
    rb"<html[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)", re.IGNORECASE
)
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")
_MARKDOWN_TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Extracted:
    kind: str  # html, text or markdown
    title: str | None
    language: str | None
    text: str
    extractor: str | None = None  # for HTML: main_content, landmarks or trafilatura


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


# Codecs Python knows that are no character set of a web page: idna raises on ordinary text,
# punycode takes quadratic time, the escape codecs interpret the body.
_NOT_A_CHARSET = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)


def page_encoding(content_type: str | None) -> str:
    """The charset a Content-Type names, if Python has it as a text encoding; else UTF-8."""
    match = _CHARSET.search(content_type or "")
    if not match:
        return "utf-8"
    try:
        codec = codecs.lookup(match.group(1))
    except LookupError:
        return "utf-8"
    if codec.name in _NOT_A_CHARSET or not getattr(codec, "_is_text_encoding", True):
        return "utf-8"
    return codec.name


def _decode(body: bytes, content_type: str | None) -> str:
    return body.decode(page_encoding(content_type), errors="replace")


def html_encoding(body: bytes, content_type: str | None) -> str:
    """The charset the Content-Type names (HTTP wins), else the page's own meta charset or what
    its bytes look like, if Python has it as a text encoding; else UTF-8."""
    if _CHARSET.search(content_type or ""):
        return page_encoding(content_type)
    from resiliparse.parse.encoding import detect_encoding

    return page_encoding(f"charset={detect_encoding(body, from_html_meta=True)}")


def _language(body: bytes, header: str | None) -> str | None:
    match = _HTML_LANG.search(body[:4096])
    if match:
        return match.group(1).decode("ascii").replace("_", "-").lower()
    if header:
        return header.split(",")[0].strip().lower() or None
    return None


def extract(
    body: bytes, content_type: str | None, content_language: str | None, extractor: str = "auto"
) -> Extracted:
    """The text to chunk. Empty text means the page had no main content. ``extractor`` is how
    HTML is read (``main_text.EXTRACTORS``)."""
    kind = media_type(content_type)
    if kind in ("text/html", "application/xhtml+xml", ""):
        encoding = html_encoding(body, content_type)
        found = main_text(body.decode(encoding, errors="replace"), extractor)
        title_match = _TITLE.search(body[:65536])
        title_bytes = title_match.group(1) if title_match else b""
        # Character references as a browser shows them ("&#8212;" is a dash, "&amp;" an "&").
        title = " ".join(html.unescape(title_bytes.decode(encoding, errors="replace")).split())
        language = _language(body, content_language)
        return Extracted("html", title or None, language, found.text, found.extractor)
    text = _decode(body, content_type).replace("\r\n", "\n").strip()
    language = content_language.split(",")[0].strip().lower() if content_language else None
    if kind in MARKDOWN_TYPES:
        heading = _MARKDOWN_TITLE.search(text)
        return Extracted("markdown", heading.group(1).strip() if heading else None, language, text)
    first_line = text.split("\n", 1)[0].strip()
    return Extracted("text", first_line[:200] or None, language, text)
