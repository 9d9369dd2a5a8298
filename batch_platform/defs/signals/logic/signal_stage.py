"""The staging relation ``signal_stage`` every reader fills: one row per data row of a file, every
value as text, and the SQL pieces the readers share to build it."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from batch_platform.defs.signals.logic.signal_file_format import CONTRACT_COLUMNS
from batch_platform.lib.warehouse import sql_literal

STAGE_COLUMNS = ("source_line", *CONTRACT_COLUMNS, "extra_columns", "parse_error")
BATCH_ROWS = 50_000


def drop_tables(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Drop tables: a bare name is a temp table, dropped by its full name (``temp.main.…``: a
    bare name that is not there is also looked for in the lake, a query of its catalog for each,
    about 5 ms against 0.1 ms); a qualified name is dropped where it says."""
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {table if '.' in table else f'temp.main.{table}'}")


def create_table_as(con: duckdb.DuckDBPyConnection, table: str, select: str, params=None) -> None:
    """``table`` (replaced) from ``select``: a temp table when it is unqualified or in
    ``temp.main`` (DuckDB takes no catalog in a temp table's name), else where it says."""
    if table.startswith("temp.main."):
        table = table.removeprefix("temp.main.")
    if "." in table:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}", params)
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}", params)


def create_stage(con: duckdb.DuckDBPyConnection, table: str = "signal_stage") -> None:
    """An empty ``signal_stage`` table (what an unreadable file stages), or a table shaped
    like it."""
    if table == "signal_stage":
        drop_stage(con)
    drop_tables(con, table)
    columns = ", ".join(
        f"{c} BIGINT" if c == "source_line" else f"{c} VARCHAR" for c in STAGE_COLUMNS
    )
    con.execute(f"CREATE TEMP TABLE {table} ({columns})")


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``signal_stage`` (a table or a view) and what a view over it reads."""
    try:
        con.execute("DROP TABLE IF EXISTS temp.main.signal_stage")
    except duckdb.CatalogException:  # "is of type View": a reader staged a view
        con.execute("DROP VIEW temp.main.signal_stage")
    drop_tables(con, "csv_read", "csv_read_kept", "csv_rejected")


def insert_stage_rows(con, batch: list[tuple], table: str = "signal_stage") -> None:
    if not batch:
        return
    columns = list(zip(*batch, strict=True))
    rows = pa.table(
        {
            name: pa.array(values, type=pa.int64() if name == "source_line" else pa.string())
            for name, values in zip(STAGE_COLUMNS, columns, strict=True)
        }
    )
    con.register("stage_batch", rows)
    con.execute(f"INSERT INTO {table} SELECT * FROM stage_batch")
    con.unregister("stage_batch")


def json_object_sql(
    extra: dict[str, int], value_sql: str, *, literal_keys: bool = False
) -> tuple[str, list[str]]:
    """SQL building a JSON object of the extra columns; keys are bound as parameters, or
    written as escaped literals where parameters cannot go (a view)."""
    if not extra:
        return "NULL::VARCHAR", []
    pairs = ", ".join(
        f"{sql_literal(key) if literal_keys else '?'}, {value_sql.format(position=position)}"
        for key, position in extra.items()
    )
    return f"json_object({pairs})::VARCHAR", [] if literal_keys else list(extra)


def contract_select(contract: dict[str, int], value_sql: str) -> str:
    return ", ".join(
        (value_sql.format(position=contract[c]) if c in contract else "NULL::VARCHAR") + f" AS {c}"
        for c in CONTRACT_COLUMNS
    )
