"""`batch-platform sql`: query the warehouse with SQL, also while runs write it.

    batch-platform sql "SELECT count(*) FROM clean.signals"
    batch-platform sql "SELECT * FROM scores.lead_scores LIMIT 5" --format json
    batch-platform sql "SELECT count(*) FROM clean.signals" --at-snapshot 42
    batch-platform sql --snapshots                  # recent snapshots: the N to pass

The lake is attached read-only (or at one snapshot), with the same environment variables as the
platform's runs: a run writing meanwhile neither waits for the query nor makes it wait, and the
statement reads one snapshot from start to end. One statement per call; statements that write
are refused. The helpers here (opening the warehouse, printing rows) serve `warehouse` too.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import duckdb

FORMATS = ("table", "csv", "json")
# Statements a read-only query may be (DESCRIBE, SHOW, SUMMARIZE and PRAGMA parse as SELECT).
READ_STATEMENTS = ("SELECT", "EXPLAIN", "CALL")
MAX_CELL = 40  # characters of a cell the table format shows; the rest becomes "…"
TABLE_ROWS = 1000  # rows the table format shows (csv and json stream every row)
FETCH_ROWS = 2048
SNAPSHOTS_SHOWN = 20


class CliError(RuntimeError):
    """A problem the user can act on; printed on one line without a traceback."""


def reporting_errors(handler, errors: tuple[type[Exception], ...] = (CliError,)):
    """A command's handler whose errors the user can act on (``errors``) print one line
    (``error: …``) and exit 2, without a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except errors as error:
            sys.stderr.write(f"error: {error}\n")
            return 2

    return run


def echo(text: str = "", out: TextIO | None = None) -> None:
    """One line of command output, flushed at once (progress must show as it happens)."""
    out = out or sys.stdout
    out.write(text + "\n")
    out.flush()


def one_line(error: BaseException) -> str:
    """A DuckDB error as one line: its first line, and its "Did you mean …" hint if any."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    hints = [line for line in lines[1:] if line.startswith("Did you mean")]
    return " ".join([lines[0], *hints[:1]])


def describe_warehouse(warehouse: str | None) -> str:
    """The warehouse as messages name it (never the Postgres connection string)."""
    from batch_platform.lib.settings import load_settings
    from batch_platform.lib.warehouse import Lake

    if warehouse:
        return Lake(Path(warehouse)).shown
    settings = load_settings()
    return Lake(
        settings.warehouse,
        postgres_catalog=settings.ducklake_catalog,
        data_path=settings.ducklake_data_path,
    ).shown


def open_lake(
    warehouse: str | None, *, read_only: bool = True, snapshot: int | None = None
) -> duckdb.DuckDBPyConnection:
    """The warehouse directory given on the command line, else the one the environment names
    (as the platform's runs open it); read-only unless asked, or at one snapshot."""
    from batch_platform.lib.warehouse import WarehouseError, connect, open_warehouse

    try:
        if warehouse:
            return connect(Path(warehouse), read_only=read_only, snapshot=snapshot)
        return open_warehouse(read_only=read_only, snapshot=snapshot)
    except WarehouseError as error:
        raise CliError(one_line(error)) from None


def run_command(handler: Callable[[argparse.Namespace], int]):
    """Errors as one line on stderr and exit code 1, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CliError as error:
            sys.stderr.write(f"error: {error}\n")
        except duckdb.Error as error:
            sys.stderr.write(f"error: {one_line(error)}\n")
        except BrokenPipeError:  # `… | head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        return 1

    return run


# ---------------------------------------------------------------- output formats
def _cell(value: Any, width: int = MAX_CELL) -> str:
    if value is None:
        return "NULL"
    text = str(value).replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def write_table(
    out: TextIO,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    more: bool = False,
    width: int = MAX_CELL,
) -> None:
    """Aligned columns for people: numbers to the right, cells cut at ``width`` characters."""
    header = [_cell(c, width) for c in columns]
    cells = [[_cell(v, width) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    right = [any(_numeric(row[i]) for row in rows) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        padded = (
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        )
        return "  ".join(padded).rstrip()

    out.write(line(header) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    count = f"{len(rows):,} row{'' if len(rows) == 1 else 's'}"
    if more:
        count = f"first {count} shown: add a LIMIT, or use --format csv or json for every row"
    out.write(f"({count})\n")


def write_csv(out: TextIO, columns: Sequence[str], batches: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for batch in batches:
        writer.writerows(batch)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def write_json(out: TextIO, columns: Sequence[str], batches: Iterable[Sequence[Any]]) -> None:
    """A JSON list of row objects, one object a line; dates, decimals and the like as strings."""
    out.write("[")
    first = True
    for batch in batches:
        for row in batch:
            record = dict(zip(columns, row, strict=True))
            text = json.dumps(record, default=_json_value, ensure_ascii=False)
            out.write(("\n  " if first else ",\n  ") + text)
            first = False
    out.write("]\n" if first else "\n]\n")


def write_rows(
    out: TextIO,
    fmt: str,
    columns: Sequence[str],
    fetch: Callable[[int], list[tuple]],
    *,
    width: int = MAX_CELL,
) -> None:
    """Rows in ``fmt``; ``fetch(n)`` returns up to n more rows (empty at the end)."""

    def batches() -> Iterable[list[tuple]]:
        while batch := fetch(FETCH_ROWS):
            yield batch

    if fmt == "csv":
        write_csv(out, columns, batches())
    elif fmt == "json":
        write_json(out, columns, batches())
    else:
        rows = fetch(TABLE_ROWS + 1)
        write_table(out, columns, rows[:TABLE_ROWS], more=len(rows) > TABLE_ROWS, width=width)


# ---------------------------------------------------------------- snapshots
def _table_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Table id → schema.table, from the lake's catalog (the changes of a snapshot name ids)."""
    from batch_platform.lib.warehouse import quote_ident

    alias = con.execute("SELECT current_database()").fetchone()[0]
    metadata = quote_ident(f"__ducklake_metadata_{alias}")
    try:
        rows = con.execute(
            f"SELECT t.table_id, s.schema_name || '.' || t.table_name "
            f"FROM {metadata}.ducklake_table t JOIN {metadata}.ducklake_schema s USING (schema_id) "
            "ORDER BY t.begin_snapshot"
        ).fetchall()
    except duckdb.Error:
        return {}
    return {str(table_id): name for table_id, name in rows}


def _changes(changes: dict[str, list[str]] | None, names: dict[str, str]) -> str:
    """A snapshot's changes in a few words: "created 34 tables; inserted into clean.signals"."""
    parts = []
    for kind, values in (changes or {}).items():
        noun, _, verb = kind.partition("_")
        if noun not in ("schemas", "tables", "table", "views"):
            noun, verb = "", kind
        verb = verb.replace("_", " ")
        noun = "tables" if noun == "table" else noun
        shown = [names.get(v, v).replace('"', "") for v in values or []]
        if len(shown) > 3:
            parts.append(f"{verb} {len(shown)} {noun or 'items'}")
        else:
            label = verb if noun in ("tables", "") else f"{verb} {noun.removesuffix('s')}"
            parts.append(f"{label} {', '.join(shown)}".strip())
    return "; ".join(parts)


def snapshot_rows(con: duckdb.DuckDBPyConnection, limit: int) -> tuple[list[str], list[tuple]]:
    """The lake's latest ``limit`` snapshots, newest first: id, time (UTC), what changed."""
    rows = con.execute(
        "SELECT snapshot_id, snapshot_time, changes, author, commit_message "
        "FROM ducklake_snapshots(current_database()) ORDER BY snapshot_id DESC LIMIT $limit",
        {"limit": limit},
    ).fetchall()
    names = _table_names(con)
    shown = []
    for snapshot_id, time, changes, author, message in rows:
        note = " — ".join(part for part in (author, message) if part)
        when = time.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if time else ""
        shown.append((snapshot_id, when, _changes(changes, names), note))
    return ["snapshot", "time_utc", "changes", "message"], shown


def print_snapshots(warehouse: str | None, fmt: str, limit: int) -> int:
    con = open_lake(warehouse, read_only=True)
    try:
        columns, rows = snapshot_rows(con, limit)
    finally:
        con.close()
    remaining = iter([rows])
    write_rows(sys.stdout, fmt, columns, lambda n: next(remaining, []), width=100)
    return 0


# ---------------------------------------------------------------- the command
def _statement(query: str) -> str:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        raise CliError(one_line(error)) from None
    if not statements:
        raise CliError("no SQL statement given")
    if len(statements) > 1:
        raise CliError(f"one statement at a time ({len(statements)} given)")
    kind = statements[0].type.name
    if kind not in READ_STATEMENTS:
        raise CliError(
            f"batch-platform sql is read-only: it runs queries (SELECT, DESCRIBE, SHOW, "
            f"EXPLAIN, …), not {kind.replace('_', ' ')} statements"
        )
    return query


def sql(args: argparse.Namespace) -> int:
    if args.snapshots:
        if args.query:
            raise CliError("give a query or --snapshots, not both")
        return print_snapshots(args.warehouse, args.format, args.limit)
    if not args.query:
        raise CliError('give a query, e.g. batch-platform sql "SELECT count(*) FROM clean.signals"')
    query = _statement(args.query)
    try:
        con = open_lake(args.warehouse, read_only=True, snapshot=args.at_snapshot)
    except CliError as error:
        if args.at_snapshot is not None and "snapshot" in str(error).lower():
            raise CliError(f"{error} (batch-platform sql --snapshots lists them)") from None
        raise
    try:
        try:
            cursor = con.execute(query)
        except duckdb.Error as error:
            if "read-only mode" in str(error):
                raise CliError(f"batch-platform sql is read-only: {one_line(error)}") from None
            raise
        if cursor.description is None:
            return 0
        columns = [d[0] for d in cursor.description]
        write_rows(sys.stdout, args.format, columns, cursor.fetchmany)
        sys.stdout.flush()
    finally:
        con.close()
    return 0


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a snapshot id (0, 1, 2, …)")
    return value


def positive(text: str) -> int:
    value = non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


WAREHOUSE_HELP = (
    "the warehouse directory (default: $BATCH_PLATFORM_WAREHOUSE, or the production catalog "
    "$BATCH_PLATFORM_DUCKLAKE_CATALOG)"
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="query the warehouse (read-only; also while runs write)",
        description="Run one read-only SQL statement on the warehouse and print its rows. "
        "The statement reads one snapshot of the lake; runs writing meanwhile do not wait.",
    )
    parser.add_argument("query", nargs="?", help='one statement, e.g. "SELECT … FROM clean.…"')
    parser.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    parser.add_argument(
        "--at-snapshot",
        type=non_negative,
        metavar="N",
        help="read the warehouse as it was at snapshot N (see --snapshots)",
    )
    parser.add_argument(
        "--snapshots", action="store_true", help="list the latest snapshots instead of querying"
    )
    parser.add_argument(
        "--limit",
        type=positive,
        default=SNAPSHOTS_SHOWN,
        help=f"snapshots listed (default {SNAPSHOTS_SHOWN})",
    )
    parser.add_argument("--warehouse", help=WAREHOUSE_HELP)
    parser.set_defaults(handler=run_command(sql))
