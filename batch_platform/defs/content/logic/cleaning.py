"""Staged responses → pages (clean text, title, language, duplicate flags) → chunks.

Reads only content.raw_responses, so it re-runs without refetching. No Dagster here.

Memory is bounded by a cleaning batch, not by the URL batch: staged bodies are read and extracted
a few at a time (``CleanSettings.batch_pages`` bodies, ``batch_bytes`` bytes), their pages and
chunks set aside in temp tables (DuckDB's memory, which spills to disk). Per page only its URL,
line and hashes stay in Python, for the duplicate flags, which depend on list order and are set
once every page is extracted; then pages and chunks replace the partition's in one transaction.

The pages of a cleaning batch are extracted, fingerprinted and chunked (``page_cleaning.py``) by
worker processes, one per core (``CleanSettings.workers``), each page within ``page_timeout``: a
page that crashes or hangs its worker is kept as unreadable with the reason, and the rest go on.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.dedup import nearest
from batch_platform.defs.content.logic.main_text import EXTRACTOR_MODULES, EXTRACTORS
from batch_platform.defs.content.logic.page_cleaning import (
    CLEAN_PAGE,
    CleanedPage,
    PageRules,
    clean_page,
    unreadable_page,
)
from batch_platform.defs.content.logic.worker_pool import WorkerPool, available_cores
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, write_partition
from batch_platform.lib.warehouse_rows import staged, typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)


@dataclass(frozen=True)
class CleanSettings:
    chunk_size: int = 1000
    chunk_overlap: int = 200
    near_duplicate_bits: int = 6  # SimHash bits that may differ for a near duplicate
    # A cleaning batch: at most this many staged bodies, and this many bytes of them (a body
    # over it is a batch of its own; fetched bodies are at most MAX_BYTES anyway).
    batch_pages: int = 200
    batch_bytes: int = 50_000_000
    extractor: str = "auto"  # how HTML is read: main_text.EXTRACTORS
    # Worker processes that extract pages; 0 extracts in this process (no timeout then).
    workers: int = field(default_factory=available_cores)
    page_timeout: float = 60.0  # seconds one page may take in a worker

    def __post_init__(self) -> None:
        if self.batch_pages < 1 or self.batch_bytes < 1:
            raise ValueError("cleaning batches need at least one page and one byte")
        if self.extractor not in EXTRACTORS:
            raise ValueError(f"extractor must be one of {', '.join(EXTRACTORS)}")
        if self.workers < 0 or self.page_timeout <= 0:
            raise ValueError("cleaning needs 0 or more workers and a positive page timeout")

    def page_rules(self) -> PageRules:
        return PageRules(self.extractor, self.chunk_size, self.chunk_overlap)


@dataclass(frozen=True)
class PageCleanCounts:
    """Pages by ``dup_status`` (unique, exact_duplicate, near_duplicate, empty), by kind and by
    the extractor that read them (HTML)."""

    by_status: Counter[str]
    by_kind: Counter[str]
    chunks: int
    by_extractor: Counter[str] = field(default_factory=Counter)

    @property
    def pages(self) -> int:
        return self.by_status.total()

    @property
    def duplicate_ratio(self) -> float:
        duplicates = self.by_status["exact_duplicate"] + self.by_status["near_duplicate"]
        return duplicates / self.pages if self.pages else 0.0


def staged_batches(
    con: duckdb.DuckDBPyConnection, partition_key: str, settings: CleanSettings
) -> Iterator[list[tuple]]:
    """The batch's staged responses (url, final_url, line, metadata, content type, language,
    body), a cleaning batch at a time: consecutive URLs (in URL order, so a batch is a range that
    the scan filters before reading a body) up to ``batch_pages`` bodies and ``batch_bytes``."""
    key = {"partition_key": partition_key}
    sizes = con.execute(load_sql("select_sizes_to_clean"), key).fetchall()
    start, held = 0, 0
    for index, (_, size) in enumerate(sizes):
        full = index - start == settings.batch_pages or held + size > settings.batch_bytes
        if index > start and full:
            yield _batch(con, key, sizes[start][0], sizes[index - 1][0])
            start, held = index, 0
        held += size
    if start < len(sizes):
        yield _batch(con, key, sizes[start][0], sizes[-1][0])


def _batch(con: duckdb.DuckDBPyConnection, key: dict, first: str, last: str) -> list[tuple]:
    params = key | {"first": first, "last": last}
    return con.execute(load_sql("select_pages_to_clean"), params).fetchall()


# What stays in memory of a page once its batch is set aside: enough to flag duplicates.
_FACTS = ("url", "line_number", "kind", "content_hash", "simhash", "dup_status")
_FLAGS = ("url", "dup_status", "duplicate_of_batch", "duplicate_of_url", "simhash_distance")


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


PageCleaner = Callable[[Iterable[tuple]], Iterator[CleanedPage]]


@contextmanager
def page_cleaner(settings: CleanSettings, now: datetime) -> Iterator[PageCleaner]:
    """A function cleaning staged rows into pages, yielded in order: in worker processes, or in
    this one when ``settings.workers`` is 0. A page that fails is an unreadable page."""
    rules = settings.page_rules()
    if not settings.workers:

        def clean_here(rows: Iterable[tuple]) -> Iterator[CleanedPage]:
            for row in rows:
                try:
                    cleaned = clean_page(row, now, rules)
                except Exception as exc:  # one page the extractor cannot read
                    cleaned = unreadable_page(row, now, f"{type(exc).__name__}: {exc}")
                yield cleaned

        yield clean_here
        return
    preload = EXTRACTOR_MODULES[settings.extractor]
    with WorkerPool(CLEAN_PAGE, settings.workers, settings.page_timeout, preload) as pool:

        def clean_in_workers(rows: Iterable[tuple]) -> Iterator[CleanedPage]:
            heads: deque[tuple] = deque()  # what a failed page's row needs, without its body

            def tasks() -> Iterator[tuple]:
                for row in rows:
                    heads.append(row[:4])
                    yield (row, now, rules)

            for outcome in pool.imap(tasks()):
                head = heads.popleft()
                failed = outcome.error is not None
                yield unreadable_page(head, now, outcome.error) if failed else outcome.value

        yield clean_in_workers


def clean_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, settings: CleanSettings
) -> PageCleanCounts:
    """Rebuild the batch's pages and chunks from staging, in one transaction."""
    now = datetime.now(UTC)
    page_columns = _columns_of(con, "content.pages")
    chunk_columns = _columns_of(con, "content.chunks")
    facts: list[dict] = []
    by_extractor: Counter[str] = Counter()
    batch_sizes: deque[int] = deque()

    def staged_rows() -> Iterator[tuple]:
        """Every staged row, a cleaning batch read at a time; each row let go once taken, so
        the next batch is read while the last pages of this one are still being cleaned (by
        workers) without two batches of bodies held."""
        for rows in staged_batches(con, partition_key, settings):
            batch_sizes.append(len(rows))
            rows.reverse()
            while rows:
                yield rows.pop()

    def set_aside(cleaned: list[CleanedPage]) -> None:
        pages = [c.page for c in cleaned]
        chunks = [chunk for c in cleaned for chunk in c.chunks]
        _append(con, "clean_pages", typed_rows(pages, page_columns))
        _append(con, "clean_chunks", typed_rows(chunks, chunk_columns))
        by_extractor.update(c.extractor for c in cleaned if c.extractor)
        facts.extend({k: c.page[k] for k in _FACTS} | {"chunks": len(c.chunks)} for c in cleaned)

    with (
        staged(con, "clean_pages", typed_rows([], page_columns)),
        staged(con, "clean_chunks", typed_rows([], chunk_columns)),
        page_cleaner(settings, now) as clean,
    ):
        cleaned: list[CleanedPage] = []
        for cleaned_page in clean(staged_rows()):
            cleaned.append(cleaned_page)
            if len(cleaned) == batch_sizes[0]:  # a cleaning batch's pages, set aside together
                batch_sizes.popleft()
                set_aside(cleaned)
                cleaned = []
        facts.sort(key=lambda fact: (fact["line_number"], fact["url"]))
        _flag_duplicates(con, partition_key, facts, settings.near_duplicate_bits)
        flags = typed_rows(facts, warehouse_schema(con, "content.pages", _FLAGS))
        where = {"partition_key": partition_key}

        def write() -> None:
            # Both tables change in one transaction: chunks never point at pages of another run.
            for table, select in (
                ("content.pages", "select_cleaned_pages"),
                ("content.chunks", "select_cleaned_chunks"),
            ):
                write_partition(con, table, where, load_sql(select), where, in_transaction=True)

        with staged(con, "clean_flags", flags):
            atomically(con, write)
    kept = [fact for fact in facts if fact["dup_status"] in ("unique", "near_duplicate")]
    return PageCleanCounts(
        by_status=Counter(fact["dup_status"] for fact in facts),
        by_kind=Counter(fact["kind"] for fact in facts),
        chunks=sum(fact["chunks"] for fact in kept),
        by_extractor=by_extractor,
    )


def _append(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    """Add ``rows`` to temp table ``name`` (made by ``staged``)."""
    con.register("clean_rows", rows)
    try:
        con.execute(f"INSERT INTO temp.{name} BY NAME SELECT * FROM clean_rows")
    finally:
        con.unregister("clean_rows")


def _columns_of(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """Every column of a content table but its partition key, which the write adds."""
    columns = [c for c in con.table(table).columns if c != "partition_key"]
    return warehouse_schema(con, table, columns)
