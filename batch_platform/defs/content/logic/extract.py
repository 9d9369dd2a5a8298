"""Main text, title and language of a fetched body. HTML goes through trafilatura, which drops
navigation, footers and other boilerplate; plain text and Markdown pass through as they are."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import trafilatura

from batch_platform.defs.content.logic.url_fetcher import media_type

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


def _language(body: bytes, header: str | None) -> str | None:
    match = _HTML_LANG.search(body[:4096])
    if match:
        return match.group(1).decode("ascii").replace("_", "-").lower()
    if header:
        return header.split(",")[0].strip().lower() or None
    return None


def extract(body: bytes, content_type: str | None, content_language: str | None) -> Extracted:
    """The text to chunk. Empty text means the page had no main content."""
    kind = media_type(content_type)
    if kind in ("text/html", "application/xhtml+xml", ""):
        # Metadata extraction (dates, authors) would triple the cost; the title is <title>.
        document = trafilatura.bare_extraction(body, with_metadata=False, include_comments=False)
        text = (document.text or "").strip() if document is not None else ""
        found = _TITLE.search(body[:65536])
        title = " ".join(_decode(found.group(1), content_type).split()) if found else None
        return Extracted("html", title or None, _language(body, content_language), text)
    text = _decode(body, content_type).replace("\r\n", "\n").strip()
    language = content_language.split(",")[0].strip().lower() if content_language else None
    if kind in MARKDOWN_TYPES:
        heading = _MARKDOWN_TITLE.search(text)
        return Extracted("markdown", heading.group(1).strip() if heading else None, language, text)
    first_line = text.split("\n", 1)[0].strip()
    return Extracted("text", first_line[:200] or None, language, text)
