"""DuckLake's maintenance calls and catalog queries on a warehouse connection. Each call is its
own transaction through ``atomically`` (retried whole when a concurrent commit conflicts or the
catalog is locked for a moment), so that upkeep never holds the catalog for long."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from batch_platform.defs.lake.logic.compaction import CompactionPlan, DataFile, TableFiles
from batch_platform.lib.retry import retry_with_jitter
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, checked_identifier, is_conflict, scalar

load_sql = SqlFolder.of_domain(__file__)


def _call(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[tuple]:
    """One maintenance call in its own transaction, and its rows.

    Upkeep is never in a hurry, so it yields to the platform's writers: when they keep the
    catalog busy for longer than ``atomically`` waits (some twenty seconds; on SQLite an
    expiry or merge cannot commit while another transaction is open), it backs off for up to
    a minute at a time and tries again, for some minutes in all, before it fails.
    """
    sql = load_sql(name)
    return retry_with_jitter(
        lambda: atomically(con, lambda: con.execute(sql, params).fetchall()),
        is_retryable=is_conflict,
        attempts=8,
        base=1.0,
        cap=60.0,
    )


def lake_catalog(con: duckdb.DuckDBPyConnection) -> str:
    """The alias of the lake the connection is on (its default catalog)."""
    return checked_identifier(scalar(con, "SELECT current_database()"))


def lake_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table in the lake."""
    return [(s, t) for s, t in con.execute(load_sql("select_lake_tables")).fetchall()]


def table_files(
    con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str
) -> TableFiles:
    rows = con.execute(
        load_sql("select_table_files"), {"catalog": catalog, "schema": schema, "table": table}
    ).fetchall()
    return TableFiles(schema, table, tuple(DataFile(p, int(s), bool(d)) for p, s, d in rows))


def compact_table(
    con: duckdb.DuckDBPyConnection, catalog: str, files: TableFiles, plan: CompactionPlan
) -> TableFiles:
    """Rewrite the files with deletes (if the plan says so), then merge, one merged file per
    transaction (on SQLite every writer waits while one is open) until the table's file count
    stops dropping; the table's files afterwards."""
    params = {"catalog": catalog, "schema": files.schema, "table": files.table}
    if plan.rewrite_threshold is not None:
        threshold = {**params, "delete_threshold": plan.rewrite_threshold}
        _call(con, "call_rewrite_data_files", threshold)
    current = table_files(con, catalog, files.schema, files.table)
    while True:
        _call(con, "call_merge_adjacent_files", params)
        merged = table_files(con, catalog, files.schema, files.table)
        if merged.file_count >= current.file_count:
            return merged
        current = merged


def expire_snapshots(
    con: duckdb.DuckDBPyConnection, catalog: str, older_than: dt.datetime
) -> list[int]:
    """Expire the snapshots taken before ``older_than``; the ids expired."""
    rows = _call(con, "call_expire_snapshots", {"catalog": catalog, "older_than": older_than})
    return sorted(int(row[0]) for row in rows)


def snapshots(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[int, dt.datetime]]:
    rows = con.execute(load_sql("select_snapshots"), {"catalog": catalog}).fetchall()
    return [(int(sid), taken) for sid, taken in rows]


def cleanup_old_files(
    con: duckdb.DuckDBPyConnection, catalog: str, older_than: dt.datetime
) -> list[str]:
    """Delete the files scheduled for deletion before ``older_than``; their paths."""
    return _deleting_call(con, "call_cleanup_old_files", catalog, older_than)


def delete_orphaned_files(
    con: duckdb.DuckDBPyConnection, catalog: str, older_than: dt.datetime
) -> list[str]:
    """Delete the files the catalog does not know, last written before ``older_than``."""
    return _deleting_call(con, "call_delete_orphaned_files", catalog, older_than)


def _deleting_call(
    con: duckdb.DuckDBPyConnection, name: str, catalog: str, older_than: dt.datetime
) -> list[str]:
    return [row[0] for row in _call(con, name, {"catalog": catalog, "older_than": older_than})]


def scheduled_file_count(con: duckdb.DuckDBPyConnection, catalog: str) -> int:
    """Files waiting in the catalog for their deletion (not yet past the margin)."""
    return int(scalar(con, load_sql("select_scheduled_files").format(metadata=_metadata(catalog))))


def data_path(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """Where the lake keeps its data files, as attached; ends with ``/``."""
    path = str(scalar(con, load_sql("select_data_path"), {"catalog": catalog}))
    return path if path.endswith("/") else path + "/"


def stored_files(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Every file under the lake's data path, and its size in bytes."""
    pattern = data_path(con, catalog) + "**"
    rows = con.execute(load_sql("select_stored_files"), {"pattern": pattern}).fetchall()
    return {path: int(size) for path, size in rows}


def referenced_files(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Every data and delete file that some live snapshot of the lake references."""
    sql = load_sql("select_referenced_files").format(metadata=_metadata(catalog))
    rows = con.execute(sql, {"data_path": data_path(con, catalog)}).fetchall()
    return [row[0] for row in rows]


def _metadata(catalog: str) -> str:
    """The catalog that holds the lake's own metadata tables."""
    return checked_identifier(f"__ducklake_metadata_{catalog}")
