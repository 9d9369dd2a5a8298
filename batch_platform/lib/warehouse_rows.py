"""Rows built in Python, on their way into the warehouse: typed by the tables they are written
to, so that no Arrow schema repeats a CREATE TABLE, and staged only while a write needs them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from batch_platform.lib.warehouse import checked_identifier, checked_table, quote_ident, stage_rows


def warehouse_schema(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] | None = None
) -> pa.Schema:
    """The Arrow types of ``columns`` (default: all) of warehouse ``table``."""
    names = "*" if columns is None else ", ".join(quote_ident(column) for column in columns)
    query = f"SELECT {names} FROM {checked_table(table)} LIMIT 0"
    return con.execute(query).fetch_arrow_table().schema


def typed_rows(rows: Iterable[Mapping[str, Any]], *schemas: pa.Schema) -> pa.Table:
    """``rows`` (dicts) as an Arrow table with the columns of ``schemas``, in order; an empty
    list still has every column, and timezone-aware datetimes become UTC ``TIMESTAMP``s."""
    schema = pa.schema([column for schema in schemas for column in schema])
    return pa.Table.from_pylist(list(rows), schema=schema)


@contextmanager
def staged(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> Iterator[None]:
    """``rows`` as temp table ``name`` for the statements of the block, then dropped: staged
    response bodies must not stay in memory for the rest of the run."""
    stage_rows(con, name, rows)
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{checked_identifier(name)}")
