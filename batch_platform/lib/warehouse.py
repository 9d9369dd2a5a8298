"""The one way into the warehouse (DuckLake): connecting, creating tables, replacing partitions."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from batch_platform.lib.retry import retry_with_jitter

if TYPE_CHECKING:  # imported where rows are staged: a reader (the sql CLI) starts 0.14 s sooner
    import pyarrow as pa

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


class LakeInvalidated(WarehouseError):
    """DuckDB met an internal error inside a write and invalidated this process's database
    (seen with DuckLake 0.3: a DELETE racing another process's compaction of the same table
    fails with "Could not find matching file for written delete file"). Nothing of the write
    was committed; a new connection (``connect`` opens a fresh database after this) can run the
    whole write again, which is what ``get_connection`` asks Dagster to do."""


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


# Lake-wide DuckLake options set when a lake has none of its own (a user's setting is kept).
# Parquet format version 2 (DELTA_BINARY_PACKED and DELTA_LENGTH_BYTE_ARRAY encodings, read by
# DuckDB, Arrow, Polars and Spark): writing 9.7M cleaned signals took 3.7 s against 4.6 s in
# version 1, in files of 601 against 671 MB, read as fast (docs/benchmarks.md).
LAKE_OPTIONS = {"parquet_version": "2"}


def _apply_schema(con: duckdb.DuckDBPyConnection, *, lake_options: bool = True) -> None:
    schema = "\n".join(path.read_text() for path in SCHEMA_FILES)

    def apply() -> None:
        con.execute(schema)
        if not lake_options:  # a plain DuckDB (":memory:") has no lake options
            return
        lake = checked_identifier(scalar(con, "SELECT current_database()"))
        present = {
            row[0] for row in con.execute(f"SELECT option_name FROM {lake}.options()").fetchall()
        }
        for name, value in LAKE_OPTIONS.items():
            if name not in present:
                con.execute(f"CALL {lake}.set_option(?, ?)", [name, value])

    atomically(con, apply)


def _config(memory_limit: str | None, threads: int | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    return config


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


# ---------------------------------------------------------------- the lake
LAKE_CATALOG_FILE = "catalog.sqlite"
LAKE_DATA_DIR = "data"
# Lakes attached to this process's DuckDB at once; the least recently used is detached beyond.
MAX_ATTACHED_LAKES = 8


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake warehouse lives: its catalog and its Parquet data files.

    Locally (the default) both are in one directory: ``catalog.sqlite`` and ``data/``. In
    production the catalog is a Postgres database (a libpq connection string, a secret: never
    shown) and the data path any directory or object-store URL.
    """

    directory: Path
    postgres_catalog: str | None = None
    data_path: str | None = None

    @property
    def catalog_target(self) -> str:
        if self.postgres_catalog:
            return f"ducklake:postgres:{self.postgres_catalog}"
        return f"ducklake:sqlite:{self.directory.resolve() / LAKE_CATALOG_FILE}"

    @property
    def data_location(self) -> str:
        if self.data_path:
            return (
                self.data_path if "://" in self.data_path else str(Path(self.data_path).resolve())
            )
        return str(self.directory.resolve() / LAKE_DATA_DIR)

    @property
    def shown(self) -> str:
        """The lake as messages name it (never the Postgres connection string)."""
        if self.postgres_catalog:
            return f"the DuckLake warehouse on its Postgres catalog (data in {self.data_location})"
        return f"the warehouse at {self.directory}"

    def alias(self, *, read_only: bool = False, snapshot: int | None = None) -> str:
        digest = hashlib.sha256(f"{self.catalog_target}|{self.data_location}".encode()).hexdigest()
        suffix = f"_at_{snapshot}" if snapshot is not None else ("_ro" if read_only else "")
        return f"lake_{digest[:16]}{suffix}"

    def exists(self) -> bool:
        return bool(self.postgres_catalog) or (self.directory / LAKE_CATALOG_FILE).is_file()


class _ProcessDatabase:
    """One in-memory DuckDB per process that every warehouse connection is a cursor of.

    Loading the DuckLake and SQLite extensions verifies their signatures (about 0.3 s each) and
    attaching a lake reads its catalog: done once per process, not per connection. A fork gets
    its own database (DuckDB's state does not survive a fork).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pid = -1
        self._database: duckdb.DuckDBPyConnection | None = None
        self._attached: OrderedDict[str, Lake] = OrderedDict()
        self._schema_applied: set[str] = set()

    def _ensure_database(self) -> duckdb.DuckDBPyConnection:
        if self._database is None or self._pid != os.getpid():
            directory = extension_directory()
            if directory is None:
                raise WarehouseError(
                    "the warehouse needs the duckdb-ext-ducklake and duckdb-ext-sqlite packages "
                    "(run `make setup`)"
                )
            # Extensions load only from the duckdb-ext-* wheels' directory (their files were
            # hash-checked against the lock file at install); nothing is installed or autoloaded.
            # DuckDB's own signature check of each file costs about 0.35 s per extension and per
            # process (every run and every CLI call) and is skipped for them.
            database = duckdb.connect(
                ":memory:",
                config={
                    "extension_directory": directory,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "allow_unsigned_extensions": True,
                },
            )
            database.execute("LOAD ducklake")
            database.execute("LOAD sqlite")
            self._database, self._pid = database, os.getpid()
            self._attached.clear()
            self._schema_applied.clear()
        return self._database

    def discard(self) -> None:
        """Forget a database DuckDB has invalidated: the next cursor opens a new one (the old
        one is left to the garbage collector; closing it explicitly can abort the process)."""
        with self._lock:
            self._database = None
            self._attached.clear()
            self._schema_applied.clear()

    def cursor(
        self,
        lake: Lake,
        *,
        read_only: bool,
        snapshot: int | None,
        memory_limit: str | None,
        threads: int | None,
    ) -> duckdb.DuckDBPyConnection:
        with self._lock:
            database = self._ensure_database()
            for name, value in _config(memory_limit, threads).items():
                database.execute(f"SET {name} = {sql_literal(str(value))}")
            alias = lake.alias(read_only=read_only, snapshot=snapshot)
            if alias not in self._attached:
                self._detach_vanished(database)
                self._attach(database, lake, alias, read_only=read_only, snapshot=snapshot)
            self._attached.move_to_end(alias)
            con = database.cursor()
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"USE {alias}")
        if not read_only and snapshot is None and alias not in self._schema_applied:
            _apply_schema(con)
            self._schema_applied.add(alias)
        return con

    def _attach(
        self,
        database: duckdb.DuckDBPyConnection,
        lake: Lake,
        alias: str,
        *,
        read_only: bool,
        snapshot: int | None,
    ) -> None:
        if lake.postgres_catalog:
            database.execute("LOAD postgres")
        elif read_only or snapshot is not None:
            if not lake.exists():
                raise WarehouseError(
                    f"no warehouse at {lake.directory}: run the platform (make demo) first"
                )
        else:
            try:
                lake.directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise WarehouseError(
                    f"cannot create the warehouse directory {lake.directory}: {error.strerror}"
                ) from error
            _write_ahead_log(lake.directory / LAKE_CATALOG_FILE)
        if "://" not in lake.data_location and not (read_only or snapshot is not None):
            Path(lake.data_location).mkdir(parents=True, exist_ok=True)
        options = [f"DATA_PATH {sql_literal(lake.data_location)}"]
        if not lake.postgres_catalog and not lake.data_path:
            # The embedded lake is one directory: its data is always <directory>/data, wherever
            # the directory was moved or copied to (file paths in the catalog are relative).
            options.append("OVERRIDE_DATA_PATH true")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        if read_only or snapshot is not None:
            options.append("READ_ONLY")
        statement = f"ATTACH {sql_literal(lake.catalog_target)} AS {alias} ({', '.join(options)})"
        try:
            retry_with_jitter(
                lambda: database.execute(statement),
                is_retryable=lambda error: is_transient_attach_error(error, lake),
                attempts=12,
                cap=5,
            )
        except duckdb.Error as error:
            message = str(error)
            if lake.postgres_catalog:
                message = message.replace(lake.postgres_catalog, "<catalog>")
            raise WarehouseError(f"cannot attach {lake.shown}: {message}") from None
        self._attached[alias] = lake
        while len(self._attached) > MAX_ATTACHED_LAKES:
            oldest, _ = self._attached.popitem(last=False)
            self._detach(database, oldest)

    def _detach(self, database: duckdb.DuckDBPyConnection, alias: str) -> None:
        self._attached.pop(alias, None)
        self._schema_applied.discard(alias)
        try:
            database.execute(f"DETACH DATABASE IF EXISTS {alias}")
        except duckdb.Error:
            pass  # already unusable: nothing more to release

    def _detach_vanished(self, database: duckdb.DuckDBPyConnection) -> None:
        """Detach local lakes whose catalog file is gone (a deleted or unmounted directory):
        DuckDB consults every attached lake when attaching another, so one dead lake would
        make every later attach in this process fail."""
        for alias, lake in list(self._attached.items()):
            if not lake.postgres_catalog and not lake.exists():
                self._detach(database, alias)


def _write_ahead_log(catalog: Path) -> None:
    """Put the SQLite catalog in WAL mode (kept in the file): readers then never block a commit,
    nor a commit them. Set once, when the catalog is new or no one else has it open."""
    try:
        with contextlib.closing(sqlite3.connect(catalog, timeout=0.2)) as sqlite:
            if sqlite.execute("PRAGMA journal_mode").fetchall()[0][0] != "wal":
                sqlite.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error:
        pass  # busy: another process has it open; it stays in the mode it has


_PROCESS_DATABASE = _ProcessDatabase()


def connect(
    warehouse: str | Path,
    *,
    postgres_catalog: str | None = None,
    data_path: str | Path | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    read_only: bool = False,
    snapshot: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse: the DuckLake in directory ``warehouse``.

    Locally the lake's catalog is ``<warehouse>/catalog.sqlite`` and its data ``<warehouse>/data``
    (created on first use, zero setup); with ``postgres_catalog`` the catalog is that Postgres
    database. Any number of processes read and write at once: readers never wait, writers that
    conflict are retried whole by ``atomically``. ``read_only`` connections cannot write;
    ``snapshot`` reads the lake as it was at that snapshot id. ``":memory:"`` gives a plain
    in-memory DuckDB with the schema (for scratch work and unit tests).
    """
    if str(warehouse) == ":memory:":
        con = duckdb.connect(":memory:", config=_config(memory_limit, threads))
        con.execute("SET TimeZone = 'UTC'")
        _apply_schema(con, lake_options=False)
        return con
    lake = Lake(
        Path(warehouse),
        postgres_catalog=postgres_catalog,
        data_path=str(data_path) if data_path else None,
    )
    return _PROCESS_DATABASE.cursor(
        lake,
        read_only=read_only,
        snapshot=snapshot,
        memory_limit=memory_limit,
        threads=threads,
    )


def open_warehouse(
    *, read_only: bool = False, snapshot: int | None = None, env: dict[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """The warehouse the environment names (``BATCH_PLATFORM_WAREHOUSE``, and in production
    ``BATCH_PLATFORM_DUCKLAKE_CATALOG``/``_DATA_PATH``), as the platform's runs open it: what
    the command line uses."""
    from batch_platform.lib.settings import load_settings

    settings = load_settings(env)
    return connect(
        settings.warehouse,
        postgres_catalog=settings.ducklake_catalog,
        data_path=settings.ducklake_data_path,
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        read_only=read_only,
        snapshot=snapshot,
    )


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int | None:
    """The id of the lake's latest snapshot (what a run's metadata names), or None."""
    try:
        return scalar(con, "SELECT id FROM current_snapshot()")
    except duckdb.Error:
        return None


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolled back on any error, so readers never see half a change.

    ``read_only``: a read-only transaction (temporary tables allowed), ended by ROLLBACK; a
    write to the lake in it fails instead of being rolled back unnoticed."""
    con.execute("BEGIN TRANSACTION READ ONLY" if read_only else "BEGIN TRANSACTION")
    try:
        yield con
    except (duckdb.InternalException, duckdb.FatalException) as error:
        raise _invalidated(error) from error  # no ROLLBACK: it would abort the process
    except BaseException:
        con.execute("ROLLBACK")
        raise
    try:
        con.execute("ROLLBACK" if read_only else "COMMIT")
    except (duckdb.InternalException, duckdb.FatalException) as error:
        raise _invalidated(error) from error


def one_snapshot(con: duckdb.DuckDBPyConnection):
    """Reads in one read-only transaction: every statement sees the same lake snapshot, and the
    lake's catalog is asked for the current snapshot once instead of once per statement (an
    autocommitted statement on a lake costs about 3 ms more with the SQLite catalog: a run's
    metadata and checks are some 40 small statements)."""
    return transaction(con, read_only=True)


def _invalidated(error: Exception) -> LakeInvalidated:
    _PROCESS_DATABASE.discard()
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    return LakeInvalidated(
        f"DuckDB invalidated the warehouse connection during a write ({first_line}); nothing "
        "was committed and the write can run again on a new connection"
    )


def is_conflict(error: Exception) -> bool:
    """A concurrent writer committed first, or holds the catalog for a moment (DuckLake on
    SQLite: "database is locked"); the whole write can simply run again."""
    message = str(error).lower()
    return "conflict" in message or "database is locked" in message or "busy" in message


def is_transient_attach_error(error: Exception, lake: Lake) -> bool:
    """An attach that can simply be tried again: a conflict (see :func:`is_conflict`), or a
    local catalog that DuckLake read as holding no lake while a writer committed to it. Seen
    under load: a read-only attach of a lake that existed and answered a moment before failed
    with "Existing DuckLake at metadata catalog … does not exist" (the SQLite read failing
    mid-commit is reported as a missing lake); the catalog file is there, so it is retried."""
    if is_conflict(error):
        return True
    message = str(error)
    return (
        not lake.postgres_catalog
        and "Existing DuckLake at metadata catalog" in message
        and "does not exist" in message
        and lake.exists()
    )


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

    A list of integers is written as ``column IN (1, 2, …)`` and a list of strings also bounds
    its column by the list's smallest and largest value (the same rows either way): the lake then
    skips the data files whose min/max statistics exclude them, which it cannot do for
    ``list_contains`` alone.
    """
    table = checked_table(table)
    where_params: dict[str, Any] = {}
    parts: list[str] = []
    for column, value in where.items():
        name = quote_ident(column)
        if isinstance(value, list | tuple) and value and _all_integers(value):
            parts.append(f"{name} IN ({integer_list(value)})")
        elif isinstance(value, list | tuple):
            values = list(value)
            where_params[f"where_{column}"] = values
            if values and all(isinstance(v, str) for v in values):
                where_params[f"where_{column}_low"] = min(values)  # code points: DuckDB's order
                where_params[f"where_{column}_high"] = max(values)
                parts.append(f"{name} >= $where_{column}_low AND {name} <= $where_{column}_high")
            parts.append(f"list_contains($where_{column}, {name})")
        else:
            where_params[f"where_{column}"] = value
            parts.append(f"{name} = $where_{column}")
    conditions = " AND ".join(parts) or "true"

    def replace() -> int:
        con.execute(f"DELETE FROM {table} WHERE {conditions}", where_params)
        con.execute(f"INSERT INTO {table} BY NAME {select_sql}", dict(params or {}))
        return int(scalar(con, f"SELECT count(*) FROM {table} WHERE {conditions}", where_params))

    return replace() if in_transaction else atomically(con, replace)


def _all_integers(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def integer_list(values: Sequence[int]) -> str:
    """Integers as the literal list of an ``IN (…)`` (the lake prunes data files by each value of
    a literal list, not by a bound list parameter); anything but integers is refused."""
    if not values or not _all_integers(values):
        raise ValueError("integer_list needs a non-empty list of integers")
    return ", ".join(str(int(v)) for v in values)


def stage_rows(
    con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table | Mapping[str, Sequence[Any]]
) -> None:
    """Rows built in Python (an Arrow table or columns as lists) as temp table ``name``, which
    the SQL of a write step can then join; replaced if it exists."""
    name = checked_identifier(name)
    import pyarrow as pa

    table = rows if isinstance(rows, pa.Table) else pa.table(dict(rows))
    view = f"{name}_arrow"
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    """The first value of the first row (the whole result is fetched, so no read stays open
    on the lake's catalog)."""
    rows = con.execute(sql, params).fetchall()
    return rows[0][0] if rows else None
