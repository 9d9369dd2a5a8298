"""Staged responses → pages (clean text, title, language, duplicate flags) → chunks.

Reads only content.raw_responses, so it re-runs without refetching. No Dagster here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.chunking import chunk_text
from batch_platform.defs.content.logic.dedup import content_hash, nearest, simhash
from batch_platform.defs.content.logic.extract import Extracted, extract
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, write_partition
from batch_platform.lib.warehouse_rows import staged, typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)


@dataclass(frozen=True)
class CleanSettings:
    chunk_size: int = 1000
    chunk_overlap: int = 200
    near_duplicate_bits: int = 6  # SimHash bits that may differ for a near duplicate


@dataclass(frozen=True)
class PageCleanCounts:
    """Pages by ``dup_status`` (unique, exact_duplicate, near_duplicate, empty) and by kind."""

    by_status: Counter[str]
    by_kind: Counter[str]
    chunks: int

    @property
    def pages(self) -> int:
        return self.by_status.total()

    @property
    def duplicate_ratio(self) -> float:
        duplicates = self.by_status["exact_duplicate"] + self.by_status["near_duplicate"]
        return duplicates / self.pages if self.pages else 0.0


def _pages(con: duckdb.DuckDBPyConnection, partition_key: str) -> list[dict]:
    rows = con.execute(load_sql("select_pages_to_clean"), {"partition_key": partition_key})
    now = datetime.now(UTC)
    pages = []
    for url, final_url, line, metadata, content_type, language, body in rows.fetchall():
        try:
            found, error = extract(bytes(body), content_type, language), None
        except Exception as exc:  # one page the extractor cannot read must not fail the batch
            found, error = Extracted("unreadable", None, None, ""), f"{type(exc).__name__}: {exc}"
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
                "dup_status": "failed" if error else "unique" if found.text else "empty",
                "duplicate_of_batch": None,
                "duplicate_of_url": None,
                "simhash_distance": None,
                "metadata": _with_error(metadata, error),
                "cleaned_at": now,
            }
        )
    return pages


def _with_error(metadata: str | None, error: str | None) -> str | None:
    """The page's metadata (JSON), with ``clean_error`` saying why its text could not be read."""
    if error is None:
        return metadata
    loaded = json.loads(metadata) if metadata else {}
    merged = loaded if isinstance(loaded, dict) else {"metadata": loaded}
    return json.dumps(merged | {"clean_error": error[:500]})


def _flag_duplicates(
    con: duckdb.DuckDBPyConnection, partition_key: str, pages: list[dict], max_bits: int
) -> None:
    """First seen wins: an earlier batch's page, then an earlier line of this batch."""
    candidates = typed_rows(
        pages, warehouse_schema(con, "content.pages", ("url", "content_hash", "simhash"))
    )
    with staged(con, "candidates", candidates):
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
    kept_by_hash: dict[str, str] = {}
    kept_urls: list[str] = []
    kept_fingerprints = np.empty(len(pages), dtype=np.uint64)
    for page in pages:
        if page["dup_status"] in ("empty", "failed"):
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


def clean_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, settings: CleanSettings
) -> PageCleanCounts:
    """Rebuild the batch's pages and chunks from staging, in one transaction."""
    pages = _pages(con, partition_key)
    _flag_duplicates(con, partition_key, pages, settings.near_duplicate_bits)
    chunks = _chunks(pages, settings)
    page_table = typed_rows(pages, _columns_of(con, "content.pages"))
    chunk_table = typed_rows(chunks, _columns_of(con, "content.chunks"))
    where = {"partition_key": partition_key}

    def write() -> None:
        # Both tables change in one transaction: chunks never point at pages of another run.
        write_partition(
            con,
            "content.pages",
            where,
            "SELECT $partition_key AS partition_key, * FROM new_pages",
            where,
            in_transaction=True,
        )
        write_partition(
            con,
            "content.chunks",
            where,
            "SELECT $partition_key AS partition_key, * FROM new_chunks",
            where,
            in_transaction=True,
        )

    with staged(con, "new_pages", page_table), staged(con, "new_chunks", chunk_table):
        atomically(con, write)
    return PageCleanCounts(
        by_status=Counter(page["dup_status"] for page in pages),
        by_kind=Counter(page["kind"] for page in pages),
        chunks=len(chunks),
    )


def _columns_of(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """Every column of a content table but its partition key, which the write adds."""
    columns = [c for c in con.table(table).columns if c != "partition_key"]
    return warehouse_schema(con, table, columns)
