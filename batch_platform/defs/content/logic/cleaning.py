"""Staged responses → pages (clean text, title, language, duplicate flags) → chunks.

Reads only content.raw_responses, so it re-runs without refetching. No Dagster here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.batch_store import load_sql
from batch_platform.defs.content.logic.chunking import chunk_text
from batch_platform.defs.content.logic.dedup import content_hash, nearest, simhash
from batch_platform.defs.content.logic.extract import extract
from batch_platform.lib.warehouse import atomically, replace_partition


@dataclass(frozen=True)
class CleanSettings:
    chunk_size: int = 1000
    chunk_overlap: int = 200
    near_duplicate_bits: int = 6  # SimHash bits that may differ for a near duplicate


@dataclass
class PageCleanCounts:
    pages: int = 0
    unique: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    empty: int = 0
    chunks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def duplicate_ratio(self) -> float:
        return (self.exact_duplicates + self.near_duplicates) / self.pages if self.pages else 0.0


def _pages(con: duckdb.DuckDBPyConnection, partition_key: str) -> list[dict]:
    rows = con.execute(load_sql("select_pages_to_clean"), {"partition_key": partition_key})
    now = datetime.now(UTC)
    pages = []
    for url, final_url, line, metadata, content_type, language, body in rows.fetchall():
        found = extract(bytes(body), content_type, language)
        pages.append(
            {
                "url": url,
                "final_url": final_url,
                "line_number": line,
                "kind": found.kind,
                "title": found.title,
                "language": found.language,
                "text": found.text,
                "characters": len(found.text),
                "content_hash": content_hash(found.text),
                "simhash": simhash(found.text),
                "dup_status": "unique" if found.text else "empty",
                "duplicate_of_batch": None,
                "duplicate_of_url": None,
                "simhash_distance": None,
                "metadata": metadata,
                "cleaned_at": now,
            }
        )
    return pages


def _flag_duplicates(
    con: duckdb.DuckDBPyConnection, partition_key: str, pages: list[dict], max_bits: int
) -> None:
    """First seen wins: an earlier batch's page, then an earlier line of this batch."""
    candidates = pa.table(
        {
            "url": [p["url"] for p in pages],
            "content_hash": [p["content_hash"] for p in pages],
            "simhash": pa.array([p["simhash"] for p in pages], type=pa.uint64()),
        }
    )
    con.register("candidates", candidates)
    try:
        key = {"partition_key": partition_key}
        earlier_exact = {
            h: (batch, url)
            for h, batch, url in con.execute(load_sql("select_earlier_exact"), key).fetchall()
        }
        earlier_near = {
            url: (batch, original, int(distance))
            for url, batch, original, distance in con.execute(
                load_sql("select_earlier_near"), key | {"max_distance": max_bits}
            ).fetchall()
        }
    finally:
        con.unregister("candidates")
    kept_by_hash: dict[str, str] = {}
    kept_urls: list[str] = []
    kept_fingerprints = np.empty(len(pages), dtype=np.uint64)
    for page in pages:
        if page["dup_status"] == "empty":
            continue
        digest = page["content_hash"]
        if digest in earlier_exact or digest in kept_by_hash:
            batch, url = earlier_exact.get(digest) or (partition_key, kept_by_hash[digest])
            page.update(
                dup_status="exact_duplicate",
                duplicate_of_batch=batch,
                duplicate_of_url=url,
                simhash_distance=0,
            )
            continue
        kept_by_hash[digest] = page["url"]
        best = earlier_near.get(page["url"])
        closest = nearest(page["simhash"], kept_fingerprints[: len(kept_urls)])
        if closest is not None and closest[1] <= max_bits:
            if best is None or closest[1] < best[2]:
                best = (partition_key, kept_urls[closest[0]], closest[1])
        if best is not None:
            page.update(
                dup_status="near_duplicate",
                duplicate_of_batch=best[0],
                duplicate_of_url=best[1],
                simhash_distance=best[2],
            )
        else:
            kept_fingerprints[len(kept_urls)] = page["simhash"]
            kept_urls.append(page["url"])


def _chunks(pages: list[dict], settings: CleanSettings) -> list[dict]:
    return [
        {
            "url": page["url"],
            "chunk_index": chunk.index,
            "char_start": chunk.start,
            "char_end": chunk.end,
            "text": chunk.text,
            "chunk_hash": hashlib.sha256(chunk.text.encode("utf-8")).hexdigest(),
        }
        for page in pages
        if page["dup_status"] in ("unique", "near_duplicate")
        for chunk in chunk_text(page["text"], settings.chunk_size, settings.chunk_overlap)
    ]


_PAGE_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("final_url", pa.string()),
        ("line_number", pa.int64()),
        ("kind", pa.string()),
        ("title", pa.string()),
        ("language", pa.string()),
        ("text", pa.string()),
        ("characters", pa.int64()),
        ("content_hash", pa.string()),
        ("simhash", pa.uint64()),
        ("dup_status", pa.string()),
        ("duplicate_of_batch", pa.string()),
        ("duplicate_of_url", pa.string()),
        ("simhash_distance", pa.int32()),
        ("metadata", pa.string()),
        ("cleaned_at", pa.timestamp("us", tz="UTC")),
    ]
)
_CHUNK_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("chunk_index", pa.int32()),
        ("char_start", pa.int64()),
        ("char_end", pa.int64()),
        ("text", pa.string()),
        ("chunk_hash", pa.string()),
    ]
)


def clean_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, settings: CleanSettings
) -> PageCleanCounts:
    """Rebuild the batch's pages and chunks from staging, in one transaction."""
    pages = _pages(con, partition_key)
    _flag_duplicates(con, partition_key, pages, settings.near_duplicate_bits)
    chunks = _chunks(pages, settings)
    page_table = pa.Table.from_pylist(pages, schema=_PAGE_SCHEMA)
    chunk_table = pa.Table.from_pylist(chunks, schema=_CHUNK_SCHEMA)
    where = {"partition_key": partition_key}

    def write() -> None:
        con.register("new_pages", page_table)
        con.register("new_chunks", chunk_table)
        replace_partition(
            con,
            "content.pages",
            where,
            "SELECT $partition_key AS partition_key, * EXCLUDE (metadata, cleaned_at), "
            "metadata::JSON AS metadata, cleaned_at::TIMESTAMP AS cleaned_at FROM new_pages",
            where,
        )
        replace_partition(
            con,
            "content.chunks",
            where,
            "SELECT $partition_key AS partition_key, * FROM new_chunks",
            where,
        )
        con.unregister("new_pages")
        con.unregister("new_chunks")

    atomically(con, write)
    counts = PageCleanCounts(pages=len(pages), chunks=len(chunks))
    for page in pages:
        counts.by_kind[page["kind"]] = counts.by_kind.get(page["kind"], 0) + 1
        status = page["dup_status"]
        if status == "unique":
            counts.unique += 1
        elif status == "exact_duplicate":
            counts.exact_duplicates += 1
        elif status == "near_duplicate":
            counts.near_duplicates += 1
        else:
            counts.empty += 1
    return counts
