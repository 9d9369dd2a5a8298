"""The one way into the DuckDB warehouse: connecting, creating tables, replacing partitions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from batch_platform.lib.retry import retry_with_jitter

T = TypeVar("T")
# The warehouse schema: one idempotent SQL file per domain, defs/<domain>/sql/create_tables.sql,
# applied in lineage order (delivery reads the scores of signals).
DEFS_DIR = Path(__file__).resolve().parents[1] / "defs"
DOMAINS = ("signals", "delivery", "portfolio", "content")
SCHEMA_FILES = tuple(DEFS_DIR / domain / "sql" / "create_tables.sql" for domain in DOMAINS)
# Every table of the warehouse, in lineage order within each domain, as the schema files name them.
TABLES = tuple(
    match.lower()
    for path in SCHEMA_FILES
    for match in re.findall(
        r"CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)",
        path.read_text(),
    )
)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class WarehouseError(RuntimeError):
    """A warehouse problem a user can act on; the message names the path."""


def quote_ident(name: str) -> str:
    """Quote any identifier (e.g. a column name taken from a file header)."""
    return '"' + name.replace('"', '""') + '"'


def checked_identifier(name: str) -> str:
    """Validate a plain identifier written in our own code (a temp table, a column)."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a valid identifier: {name!r}")
    return name


def checked_table(name: str) -> str:
    """Validate a ``schema.table`` name written in our own code before it reaches SQL."""
    parts = name.split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise ValueError(f"not a valid schema.table name: {name!r}")
    return name


def is_lock_error(error: Exception) -> bool:
    return "Could not set lock" in str(error) or "Conflicting lock" in str(error)


def _apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    schema = "\n".join(path.read_text() for path in SCHEMA_FILES)
    atomically(con, lambda: con.execute(schema))


def _config(memory_limit: str | None, threads: int | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    return config


def connect(
    database: str | Path,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, retrying a lock held by another process with backoff and jitter."""
    path = Path(database)
    if str(database) != ":memory:":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarehouseError(
                f"cannot create the warehouse directory {path.parent}: {error.strerror}"
            ) from error
    config = _config(memory_limit, threads)

    def open_connection() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(database), read_only=read_only, config=config)

    try:
        con = retry_with_jitter(open_connection, is_retryable=is_lock_error, attempts=12, cap=10)
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open the warehouse {path}: {error}") from error
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        _apply_schema(con)
    return con


def extension_directory() -> str | None:
    """Where the duckdb-ext-* wheels put their extension binaries, if installed."""
    try:
        import duckdb_ext
    except ImportError:
        return None
    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def sql_literal(value: str) -> str:
    """A string literal, for statements that cannot take bound parameters (views, ATTACH)."""
    return "'" + value.replace("'", "''") + "'"


def connect_lake(
    catalog: str,
    data_path: str | Path,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Attach the DuckLake warehouse (catalog in Postgres, Parquet under ``data_path``).

    Several processes may write at once; commits that conflict are retried by ``atomically``.
    ``catalog`` is a libpq connection string and may hold a password: it is never logged.
    """
    directory = extension_directory()
    if directory is None:
        raise WarehouseError(
            "DuckLake mode needs the duckdb-ext-ducklake and duckdb-ext-postgres packages"
        )
    config = _config(memory_limit, threads) | {
        "extension_directory": directory,
        "autoinstall_known_extensions": False,
    }
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("LOAD ducklake")
    con.execute("LOAD postgres")
    if "://" not in str(data_path):
        Path(data_path).mkdir(parents=True, exist_ok=True)
    target = sql_literal(f"ducklake:postgres:{catalog}")
    try:
        con.execute(f"ATTACH {target} AS lake (DATA_PATH {sql_literal(str(data_path))})")
    except duckdb.Error as error:
        message = str(error).replace(catalog, "<catalog>")
        raise WarehouseError(f"cannot attach the DuckLake catalog: {message}") from None
    con.execute("USE lake")
    _apply_schema(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolled back on any error, so readers never see half a change."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def is_conflict(error: Exception) -> bool:
    """A concurrent writer committed first (DuckLake); the whole write can simply run again."""
    return "conflict" in str(error).lower()


_STORAGE_FAILURES = ("No space left on device", "Permission denied", "Read-only file system")


def atomically(con: duckdb.DuckDBPyConnection, write: Callable[[], T]) -> T:
    """Run ``write`` in one transaction; retry it whole when a concurrent commit conflicts."""

    def attempt() -> T:
        with transaction(con):
            return write()

    try:
        return retry_with_jitter(attempt, is_retryable=is_conflict, attempts=10, cap=5)
    except duckdb.Error as error:
        message = str(error)
        if any(failure in message for failure in _STORAGE_FAILURES):
            raise WarehouseError(f"cannot write the warehouse: {message}") from error
        raise


def write_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: Mapping[str, Any],
    select_sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    in_transaction: bool = False,
) -> int:
    """The one way to write a partition: delete its rows, insert its new rows.

    ``where`` maps partition columns (our own identifiers) to a value, or to a list of values to
    replace several partitions at once; an empty ``where`` replaces the whole table (for tables
    without partitions). They and ``params`` are bound as named parameters (``$name`` in
    ``select_sql``). On its own the write is one transaction, retried whole on a conflicting
    commit; with ``in_transaction=True`` it joins the caller's ``atomically``, so that several
    tables change together. Returns the number of rows the partition holds afterwards.
    """
    table = checked_table(table)
    where_params = {
        f"where_{column}": list(value) if isinstance(value, list | tuple) else value
        for column, value in where.items()
    }
    conditions = (
        " AND ".join(
            f"list_contains($where_{column}, {quote_ident(column)})"
            if isinstance(value, list | tuple)
            else f"{quote_ident(column)} = $where_{column}"
            for column, value in where.items()
        )
        or "true"
    )

    def replace() -> int:
        con.execute(f"DELETE FROM {table} WHERE {conditions}", where_params)
        con.execute(f"INSERT INTO {table} BY NAME {select_sql}", dict(params or {}))
        return int(scalar(con, f"SELECT count(*) FROM {table} WHERE {conditions}", where_params))

    return replace() if in_transaction else atomically(con, replace)


def stage_rows(
    con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table | Mapping[str, Sequence[Any]]
) -> None:
    """Rows built in Python (an Arrow table or columns as lists) as temp table ``name``, which
    the SQL of a write step can then join; replaced if it exists."""
    name = checked_identifier(name)
    table = rows if isinstance(rows, pa.Table) else pa.table(dict(rows))
    view = f"{name}_arrow"
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    row = con.execute(sql, params).fetchone()
    return row[0] if row else None
