"""What ``benchmarks/content_corpus.py`` runs in its worker processes: one page through one
extractor, with the CPU time it took (a module of its own, so that workers import no Dagster)."""

from __future__ import annotations

import re
import time

# Imported with the module, so that no page's time includes an import.
import resiliparse.extract.html2text  # noqa: F401
import trafilatura  # noqa: F401

from batch_platform.defs.content.logic.extract import extract


def resiliparse_main_content(body: bytes) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    html = body.decode("utf-8", errors="replace")
    return extract_plain_text(HTMLTree.parse(html), main_content=True).strip()


_LANDMARK_TAG = re.compile(r"<(/?)(?:nav|header|footer|aside|form)\b", re.IGNORECASE)
_ROLE = re.compile(r"""\srole\s*=\s*["'][^"']*["']""", re.IGNORECASE)
_CLASS = re.compile(r"""\b(class|id)\s*=\s*(["'])([^"']*)\2""", re.IGNORECASE)
_LANDMARK_NAMES = {"footer", "sidebar", "breadcrumb", "breadcrumbs"}


def without_navigation_markup(html: str) -> str:
    """The page as a site that marks no navigation would serve it: landmark elements become
    ``div``, ``role`` attributes go, and so do the class and id names the landmark rule knows.
    (What the reader sees is the same; only the markup ``main_text`` reads is gone.)"""
    html = _LANDMARK_TAG.sub(r"<\1div", _ROLE.sub("", html))

    def plain(match: re.Match) -> str:
        kept = [name for name in match.group(3).split() if name.lower() not in _LANDMARK_NAMES]
        return f"{match.group(1)}={match.group(2)}{' '.join(kept)}{match.group(2)}"

    return _CLASS.sub(plain, html)


def timed_extraction(body: bytes, extractor: str) -> tuple[str, float, str]:
    """(text, CPU seconds, the extractor that read it): ``main_content`` is Resiliparse alone;
    ``<name>_unmarked`` is the platform's ``extract`` with extractor ``name`` on the page without
    its navigation markup; anything else is ``extract`` with that extractor."""
    if extractor.endswith("_unmarked"):
        extractor = extractor.removesuffix("_unmarked")
        body = without_navigation_markup(body.decode("utf-8", errors="replace")).encode()
    started = time.process_time()
    if extractor == "main_content":
        text, used = resiliparse_main_content(body), "main_content"
    else:
        found = extract(body, "text/html", None, extractor)
        text, used = found.text, found.extractor
    return text, time.process_time() - started, used
