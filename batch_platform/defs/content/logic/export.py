"""A batch's chunks as one file a vector database or search engine loads as is: Parquet, or
JSON Lines (one object a line). Each row: an id, the batch, the page's URL, final URL, title,
language and metadata, the chunk's place and text, and its vector with the model that made it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import sql_literal

load_sql = SqlFolder.of_domain(__file__)
FORMATS = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "jsonl": "(FORMAT json)"}


def export_batch(
    con: duckdb.DuckDBPyConnection, batch_id: str, output: Path, file_format: str
) -> int:
    """Write the batch's chunks to ``output`` (whole or not at all); returns the rows written."""
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {file_format!r}")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    select = load_sql("select_export_chunks")
    try:
        # COPY takes no bound parameters: the rows are selected first, then copied.
        con.execute("CREATE OR REPLACE TEMP TABLE export_chunks AS " + select, {"batch": batch_id})
        rows = con.execute("SELECT count(*) FROM export_chunks").fetchone()[0]
        con.execute(
            f"COPY (SELECT * FROM export_chunks) TO {sql_literal(str(partial))} "
            f"{FORMATS[file_format]}"
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
        con.execute("DROP TABLE IF EXISTS export_chunks")
    return int(rows)
