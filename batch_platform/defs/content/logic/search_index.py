"""The content search index: a DuckDB file beside the lake, rebuilt from it, swapped in whole.

A lake table cannot hold a full-text or HNSW index, so the index is a derived artifact:
``<warehouse>/search/content_index.duckdb`` holds every chunk of every batch (text, title, page
URL, vector of the current model) with DuckDB's full-text (BM25) index over title and text.
It is built from the lake under a temporary name and renamed over the old file, so a reader
always opens a whole index (one that has it open keeps reading the old one), and it can be
deleted at any time: the next ``content/content_search_index`` materialization writes it again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import WarehouseError, extension_directory, scalar

load_sql = SqlFolder.of_domain(__file__)
INDEX_DIR = "search"
INDEX_FILE = "content_index.duckdb"
# Rows read from the lake and written to the index at a time.
STREAM_ROWS = 10_000
# A query term in the page's title counts this many times in each of the page's chunks (on the
# 530 pages of Python's documentation: BM25 recall@10 0.754 at 1, 0.764 at 3).
TITLE_WEIGHT = 3


def index_path(warehouse: Path) -> Path:
    return Path(warehouse) / INDEX_DIR / INDEX_FILE


def open_index_database(path: Path | str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB database with the full-text extension loaded from the duckdb-ext-fts wheel
    (nothing is downloaded), like the lake's extensions."""
    directory = extension_directory()
    if directory is None:
        raise WarehouseError("search needs the duckdb-ext-fts package (run `make setup`)")
    con = duckdb.connect(
        str(path),
        read_only=read_only,
        config={
            "extension_directory": directory,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_unsigned_extensions": True,
        },
    )
    con.execute("LOAD fts")
    return con


@dataclass(frozen=True)
class IndexStats:
    path: Path
    chunks: int
    pages: int
    batches: int
    without_vector: int
    model: str
    dimensions: int
    seconds: float
    bytes: int


def build_index(
    lake: duckdb.DuckDBPyConnection, path: Path, model: str, dimensions: int
) -> IndexStats:
    """Write the index of every chunk in the lake (vectors of ``model``) to ``path``."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    reader = lake.execute(load_sql("select_index_chunks"), {"model": model}).fetch_record_batch(
        STREAM_ROWS
    )
    try:
        con = open_index_database(building, read_only=False)
        try:
            _write(con, reader, model, dimensions)
            stats = con.execute(
                "SELECT count(*), count(DISTINCT page_url), count(DISTINCT partition_key), "
                "count(*) - count(embedding) FROM chunks"
            ).fetchone()
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(building, path)
    finally:
        building.unlink(missing_ok=True)
    chunks, pages, batches, without_vector = (int(v) for v in stats)
    return IndexStats(
        path=path,
        chunks=chunks,
        pages=pages,
        batches=batches,
        without_vector=without_vector,
        model=model,
        dimensions=dimensions,
        seconds=round(time.perf_counter() - started, 3),
        bytes=path.stat().st_size,
    )


def _write(con: duckdb.DuckDBPyConnection, reader, model: str, dimensions: int) -> None:
    vector = f"FLOAT[{int(dimensions)}]"  # an int of our own: the array type needs a literal
    con.execute(
        f"""
        CREATE TABLE chunks (
            id INTEGER NOT NULL,
            partition_key VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            chunk_index INTEGER NOT NULL,
            page_url VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            embedding {vector}
        )
        """
    )
    con.register("lake_rows", reader)
    con.execute(
        f"INSERT INTO chunks SELECT (row_number() OVER ())::INTEGER - 1, partition_key, url, "
        f"chunk_index, page_url, title, text, embedding::{vector} FROM lake_rows"
    )
    con.unregister("lake_rows")
    con.execute(
        "CREATE TABLE index_info AS SELECT $model AS model, $dimensions AS dimensions, "
        "now() AS built_at",
        {"model": model, "dimensions": int(dimensions)},
    )
    if scalar(con, "SELECT count(*) FROM chunks"):
        # Porter stemming, English stop words, lower-cased and accents stripped (the defaults).
        con.execute("PRAGMA create_fts_index('chunks', 'id', 'title', 'text')")
        con.execute(load_sql("create_bm25_postings"), {"title_weight": TITLE_WEIGHT})


def index_keys(path: Path):
    """``(partition_key, url, chunk_index, has_vector)`` of every indexed chunk, as Arrow."""
    con = open_index_database(path, read_only=True)
    try:
        return con.execute(
            "SELECT partition_key, url, chunk_index, embedding IS NOT NULL AS has_vector "
            "FROM chunks"
        ).fetch_arrow_table()
    finally:
        con.close()
