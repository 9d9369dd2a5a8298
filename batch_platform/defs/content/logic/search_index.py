"""The content search index: a DuckDB file beside the lake, rebuilt from it, swapped in whole.

A lake table cannot hold a full-text or HNSW index, so the index is a derived artifact:
``<warehouse>/search/content_index.duckdb`` holds every chunk of every batch (text, title, page
URL, vector of the current model) with DuckDB's full-text (BM25) index over title and text, and,
for a static model, the whitening its vectors are searched with (``logic/whitening.py``).
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
import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.whitening import Whitening, fit_whitening
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
# What separates words for the full-text index: any run of characters that are not letters.
# DuckDB's default only strips ASCII punctuation, so typographic quotes, dashes and bullets stuck
# to words ("“hello”", "—") made terms of their own that no query matches.
WORD_SEPARATORS = r"[^\p{L}]+"


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
    whitened: bool
    seconds: float
    bytes: int


def build_index(
    lake: duckdb.DuckDBPyConnection,
    path: Path,
    model: str,
    dimensions: int,
    *,
    whiten: bool = False,
) -> IndexStats:
    """Write the index of every chunk in the lake (vectors of ``model``) to ``path``; with
    ``whiten`` (a static model's vectors), the vectors are stored whitened, with the whitening
    that queries need (when there are enough vectors to learn one)."""
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
            whitened = _write(con, reader, dimensions, whiten)
            con.execute(
                "CREATE TABLE index_info AS SELECT $model AS model, $dimensions AS dimensions, "
                "$whitened AS whitened, now() AS built_at",
                {"model": model, "dimensions": int(dimensions), "whitened": whitened},
            )
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
        whitened=whitened,
        seconds=round(time.perf_counter() - started, 3),
        bytes=path.stat().st_size,
    )


def _write(con: duckdb.DuckDBPyConnection, reader, dimensions: int, whiten: bool) -> bool:
    """Write the chunks (vectors whitened when asked and learnable) and the full-text index;
    whether the vectors were whitened."""
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
    columns = f"partition_key, url, chunk_index, page_url, title, text, embedding::{vector}"
    numbered = f"SELECT (row_number() OVER ())::INTEGER - 1 AS id, {columns} AS embedding"
    con.register("lake_rows", reader)
    whitened = False
    if not whiten:
        con.execute(f"INSERT INTO chunks {numbered} FROM lake_rows")
        con.unregister("lake_rows")
    else:
        # Staged in a temporary table (not the file) first: the whitening is learnt from every
        # vector before any is written, so the file holds each vector once.
        con.execute(f"CREATE TEMP TABLE lake_chunks AS {numbered} FROM lake_rows")
        con.unregister("lake_rows")
        try:
            whitened = _stage_whitened_vectors(con, dimensions)
            source = (
                f"(SELECT c.* REPLACE (w.embedding::{vector} AS embedding) FROM lake_chunks AS c "
                "LEFT JOIN whitened_vectors AS w USING (id))"
                if whitened
                else "lake_chunks"
            )
            con.execute(f"INSERT INTO chunks SELECT * FROM {source} ORDER BY id")
        finally:
            if whitened:
                con.unregister("whitened_vectors")
            con.execute("DROP TABLE lake_chunks")
    if scalar(con, "SELECT count(*) FROM chunks"):
        # Porter stemming, English stop words, lower-cased and accents stripped (the defaults);
        # words separated by WORD_SEPARATORS.
        con.execute(
            f"PRAGMA create_fts_index('chunks', 'id', 'title', 'text', "
            f"ignore = '{WORD_SEPARATORS}')"
        )
        con.execute(load_sql("create_bm25_postings"), {"title_weight": TITLE_WEIGHT})
    return whitened


def _stage_whitened_vectors(con: duckdb.DuckDBPyConnection, dimensions: int) -> bool:
    """Learn the whitening of the staged vectors, store it (``vector_whitening``) and register
    the whitened vectors as ``whitened_vectors(id, embedding)``; False when there are too few
    vectors to learn it."""
    table = con.execute(
        "SELECT id, embedding FROM lake_chunks WHERE embedding IS NOT NULL"
    ).fetch_arrow_table()
    vectors = table.column("embedding").combine_chunks().flatten().to_numpy()
    vectors = vectors.reshape(table.num_rows, dimensions)
    whitening = fit_whitening(vectors)
    if whitening is None:
        return False
    # As Arrow: a 65,536-number list bound as a parameter takes seconds.
    con.register(
        "learnt_whitening",
        pa.table(
            {
                "mean": pa.array([whitening.mean], type=pa.list_(pa.float32())),
                "transform": pa.array([whitening.transform.ravel()], type=pa.list_(pa.float32())),
            }
        ),
    )
    con.execute("CREATE TABLE vector_whitening AS SELECT * FROM learnt_whitening")
    con.unregister("learnt_whitening")
    whitened = whitening.apply(vectors)
    con.register(
        "whitened_vectors",
        pa.table(
            {
                "id": table.column("id"),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(whitened.ravel()), int(dimensions)
                ),
            }
        ),
    )
    return True


def load_whitening(con: duckdb.DuckDBPyConnection, dimensions: int) -> Whitening | None:
    """The whitening an index's vectors were stored with, or None (stored as embedded)."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'vector_whitening'"
    ).fetchone()[0]:
        return None
    row = con.execute("SELECT mean, transform FROM vector_whitening").fetch_arrow_table()
    mean, transform = (
        row.column(name).combine_chunks().flatten().to_numpy() for name in row.schema.names
    )
    return Whitening(
        mean=mean.astype(np.float32),
        transform=transform.astype(np.float32).reshape(dimensions, dimensions),
    )


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
