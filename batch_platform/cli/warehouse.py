"""`batch-platform warehouse`: the lake's snapshots, and migration to and from one DuckDB file.

    batch-platform warehouse snapshots [--limit 20]       # the N for `sql --at-snapshot N`
    batch-platform warehouse import old/warehouse.duckdb  # an old DuckDB-file warehouse → lake
    batch-platform warehouse export out.duckdb [--force]  # the lake → one DuckDB file

``import`` replaces, table by table (one transaction each), the lake's rows of every warehouse
table the file holds; tables the file lacks are reported and left as they are. Running it again
gives the same result. ``export`` reads one snapshot of the lake (the latest, or
``--at-snapshot``), so the file is consistent even while runs write, and writes it to
``OUT.part`` first: ``OUT`` appears only when complete.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

from batch_platform.cli.sql import (
    FORMATS,
    SNAPSHOTS_SHOWN,
    WAREHOUSE_HELP,
    CliError,
    describe_warehouse,
    echo,
    non_negative,
    one_line,
    open_lake,
    positive,
    print_snapshots,
    run_command,
)

IMPORT_ALIAS = "batch_platform_import_source"
EXPORT_ALIAS = "batch_platform_export_target"


def _tables_in(con: duckdb.DuckDBPyConnection, database: str | None) -> list[str]:
    """``schema.table`` of every table of an attached database (default: the lake)."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = coalesce($database, current_database()) AND NOT temporary",
        {"database": database},
    ).fetchall()
    return sorted(f"{schema}.{table}".lower() for schema, table in rows)


def _qualified(table: str) -> str:
    from batch_platform.lib.warehouse import quote_ident

    return ".".join(quote_ident(part) for part in table.split("."))


def _snapshots(args: argparse.Namespace) -> int:
    return print_snapshots(args.warehouse, args.format, args.limit)


# ---------------------------------------------------------------- import
def _attach_source(con: duckdb.DuckDBPyConnection, source: Path) -> None:
    from batch_platform.lib.warehouse import sql_literal

    con.execute(f"DETACH DATABASE IF EXISTS {IMPORT_ALIAS}")
    try:
        con.execute(
            f"ATTACH {sql_literal(str(source.resolve()))} AS {IMPORT_ALIAS} "
            "(TYPE duckdb, READ_ONLY)"
        )
    except duckdb.Error as error:
        hint = ""
        if "lock" in str(error).lower():
            hint = " (is a process still writing it? stop the old platform first)"
        raise CliError(f"cannot open {source} as a DuckDB file: {one_line(error)}{hint}") from None


def _import(args: argparse.Namespace) -> int:
    from batch_platform.lib.warehouse import TABLES, atomically, current_snapshot

    source = Path(args.path)
    if not source.is_file():
        raise CliError(f"{source}: no such file (expected an old warehouse.duckdb)")
    target = describe_warehouse(args.warehouse)
    con = open_lake(args.warehouse, read_only=False)
    imported: dict[str, int] = {}
    missing: list[str] = []
    failed: list[str] = []
    try:
        _attach_source(con, source)
        present = set(_tables_in(con, IMPORT_ALIAS))
        echo(f"importing {source} into {target}")
        for table in TABLES:
            if table not in present:
                missing.append(table)
                echo(f"  {table}: not in {source.name}, skipped")
                continue
            name = _qualified(table)

            def copy(name: str = name) -> int:
                con.execute(f"DELETE FROM {name}")
                inserted = con.execute(
                    f"INSERT INTO {name} BY NAME SELECT * FROM {IMPORT_ALIAS}.{name}"
                ).fetchone()
                return int(inserted[0]) if inserted else 0

            try:
                imported[table] = atomically(con, copy)
            except duckdb.Error as error:
                failed.append(table)
                echo(f"  {table}: failed, left as it was: {one_line(error)}")
                continue
            echo(f"  {table}: {imported[table]:,} rows")
        others = sorted(present - set(TABLES))
        snapshot = current_snapshot(con)
    finally:
        con.execute(f"DETACH DATABASE IF EXISTS {IMPORT_ALIAS}")
        con.close()
    if others:
        echo(f"not warehouse tables, not imported: {', '.join(others)}")
    summary = (
        f"imported {len(imported)} tables ({sum(imported.values()):,} rows) from {source}; "
        f"{len(missing)} not in the file, skipped"
    )
    if failed:
        summary += f"; {len(failed)} failed: {', '.join(failed)}"
    echo(summary)
    if snapshot is not None:
        echo(f"the warehouse is now at snapshot {snapshot}")
    return 1 if failed else 0


# ---------------------------------------------------------------- export
def _remove(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def _export(args: argparse.Namespace) -> int:
    from batch_platform.lib.warehouse import TABLES, current_snapshot, sql_literal

    out = Path(args.out)
    if out.is_dir():
        raise CliError(f"{out} is a directory: give the path of the DuckDB file to write")
    if out.exists() and not args.force:
        raise CliError(f"{out} exists: pass --force to replace it")
    snapshot = args.at_snapshot
    if snapshot is None:
        latest = open_lake(args.warehouse, read_only=True)
        try:
            snapshot = current_snapshot(latest)
        finally:
            latest.close()
    # One snapshot for every table: the file is consistent even while runs write.
    con = open_lake(args.warehouse, read_only=True, snapshot=snapshot)
    tables = _tables_in(con, None)
    order = {table: index for index, table in enumerate(TABLES)}
    tables.sort(key=lambda table: (order.get(table, len(order)), table))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    _remove(partial)
    rows: dict[str, int] = {}
    echo(f"exporting {describe_warehouse(args.warehouse)} at snapshot {snapshot} to {out}")
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {EXPORT_ALIAS}")
        con.execute(f"ATTACH {sql_literal(str(partial.resolve()))} AS {EXPORT_ALIAS}")
        try:
            for table in tables:
                schema = table.split(".")[0]
                target = f"{EXPORT_ALIAS}.{_qualified(table)}"
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {EXPORT_ALIAS}.{_qualified(schema)}")
                created = con.execute(
                    f"CREATE TABLE {target} AS SELECT * FROM {_qualified(table)}"
                ).fetchone()
                rows[table] = int(created[0]) if created else 0
                echo(f"  {table}: {rows[table]:,} rows")
        finally:
            con.execute(f"DETACH DATABASE IF EXISTS {EXPORT_ALIAS}")
    except BaseException:
        _remove(partial)
        raise
    finally:
        con.close()
    _remove(out)
    os.replace(partial, out)
    echo(
        f"exported {len(rows)} tables ({sum(rows.values()):,} rows) at snapshot {snapshot} to {out}"
    )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "warehouse", help="the lake's snapshots; import from / export to one DuckDB file"
    )
    commands = parser.add_subparsers(dest="warehouse_command", required=True, metavar="ACTION")

    snapshots = commands.add_parser(
        "snapshots", help="the latest snapshots (the N for `sql --at-snapshot N`)"
    )
    snapshots.add_argument("--limit", type=positive, default=SNAPSHOTS_SHOWN)
    snapshots.add_argument("--format", choices=FORMATS, default="table")
    snapshots.add_argument("--warehouse", help=WAREHOUSE_HELP)
    snapshots.set_defaults(handler=run_command(_snapshots))

    importer = commands.add_parser(
        "import", help="copy an old DuckDB-file warehouse into the lake (replaces those tables)"
    )
    importer.add_argument("path", help="the old warehouse file, e.g. data/warehouse.duckdb")
    importer.add_argument("--warehouse", help=WAREHOUSE_HELP)
    importer.set_defaults(handler=run_command(_import))

    exporter = commands.add_parser("export", help="write every table into one DuckDB file")
    exporter.add_argument("out", help="the DuckDB file to write, e.g. out.duckdb")
    exporter.add_argument("--force", action="store_true", help="replace OUT if it exists")
    exporter.add_argument(
        "--at-snapshot", type=non_negative, metavar="N", help="export snapshot N (default: latest)"
    )
    exporter.add_argument("--warehouse", help=WAREHOUSE_HELP)
    exporter.set_defaults(handler=run_command(_export))
