"""One staged response → its page row and its chunks: the work a cleaning worker process does.

Everything here depends on the page alone (extraction, fingerprints, chunks), so pages are cleaned
in parallel by ``worker_pool.WorkerPool`` and put back in order; duplicate flags, which depend on
the other pages, are set afterwards by ``cleaning.py``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from batch_platform.defs.content.logic.chunking import chunk_text
from batch_platform.defs.content.logic.dedup import fingerprints
from batch_platform.defs.content.logic.extract import Extracted, extract
from batch_platform.defs.content.logic.reasons import short_reason

# What the worker pool calls in each worker process (``module:function``).
CLEAN_PAGE = f"{__name__}:clean_page"


@dataclass(frozen=True)
class PageRules:
    extractor: str = "auto"
    chunk_size: int = 1000
    chunk_overlap: int = 200


@dataclass
class CleanedPage:
    page: dict  # a content.pages row, without partition_key
    # content.chunks rows of a page with text; those of a page that turns out to be an exact
    # duplicate are dropped when the batch is written (duplicates are known once all are read).
    chunks: list[dict] = field(default_factory=list)
    extractor: str | None = None  # which extractor read it (HTML only)


def clean_page(row: tuple, now: datetime, rules: PageRules) -> CleanedPage:
    """Extract, fingerprint and chunk one staged response. An extractor error raises: the caller
    records it on the page (``unreadable_page``), so that one page never fails the batch."""
    url, metadata, (content_type, language, body) = row[0], row[3], row[4:]
    found = extract(bytes(body), content_type, language, rules.extractor)
    page = _page_row(row, now, found, metadata)
    chunks = [
        {
            "url": url,
            "chunk_index": chunk.index,
            "char_start": chunk.start,
            "char_end": chunk.end,
            "text": chunk.text,
            "chunk_hash": hashlib.sha256(chunk.text.encode("utf-8")).hexdigest(),
        }
        for chunk in (
            chunk_text(found.text, rules.chunk_size, rules.chunk_overlap) if found.text else []
        )
    ]
    return CleanedPage(page, chunks, found.extractor)


def unreadable_page(row: tuple, now: datetime, error: str) -> CleanedPage:
    """The page of a response the extractor could not read: ``failed``, with the reason."""
    found = Extracted("unreadable", None, None, "")
    return CleanedPage(_page_row(row, now, found, _with_error(row[3], error)))


def _page_row(row: tuple, now: datetime, found: Extracted, metadata: str | None) -> dict:
    url, final_url, line = row[:3]
    failed = found.kind == "unreadable"
    content_hash, simhash = fingerprints(found.text)
    return {
        "url": url,
        "final_url": final_url,
        "line_number": line,
        "kind": found.kind,
        "title": found.title,
        "language": found.language,
        "text": found.text,
        "characters": len(found.text),
        "content_hash": content_hash,
        "simhash": simhash,
        "dup_status": "failed" if failed else "unique" if found.text else "empty",
        "duplicate_of_batch": None,
        "duplicate_of_url": None,
        "simhash_distance": None,
        "metadata": metadata,
        "cleaned_at": now,
    }


def _with_error(metadata: str | None, error: str) -> str:
    """The page's metadata (JSON), with ``clean_error`` saying why its text could not be read."""
    loaded = json.loads(metadata) if metadata else {}
    merged = loaded if isinstance(loaded, dict) else {"metadata": loaded}
    return json.dumps(merged | {"clean_error": short_reason(error)})
