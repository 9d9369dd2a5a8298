"""Landed files → raw.signals: each file's rows as text, its file row, or its quarantine record;
a run's files are written together, in one transaction."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.signals.logic.signal_csv_group import (
    csv_group_header,
    group_stage_select,
    members_rows,
    plan_groups,
    read_csv_group,
)
from batch_platform.defs.signals.logic.signal_file_format import FileRejected
from batch_platform.defs.signals.logic.signal_files import StagedFile, stage_signal_file
from batch_platform.defs.signals.logic.signal_partitions import (
    assign_partition_ids,
    migrate_partition_ids,
)
from batch_platform.defs.signals.logic.signal_stage import (
    STAGE_COLUMNS,
    create_stage,
    drop_stage,
    drop_tables,
)
from batch_platform.lib.landing import LandedFileError, open_landed_file
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, scalar, write_partition
from batch_platform.lib.warehouse_rows import staged, typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)
UNION_BRANCHES = 64  # SELECTs in one UNION ALL view of a run's file stages
FILE_COLUMNS = (
    "partition_key", "source_file", "file_format", "size_bytes", "modified_at", "data_rows",
)  # fmt: skip


@dataclass(frozen=True)
class FileLoad:
    partition_key: str
    source_file: str
    size_bytes: int
    modified_at: dt.datetime
    data_rows: int
    file_format: str | None
    quarantine_reason: str | None = None
    used_fallback: bool = False
    rows_read_again: int = 0


@dataclass(frozen=True)
class FileToLoad:
    path: Path
    partition_key: str
    source_file: str


def load_signal_file(
    con: duckdb.DuckDBPyConnection, path: Path, partition_key: str, source_file: str
) -> FileLoad:
    """Replace the raw partition of one file; an unreadable file is quarantined whole."""
    return load_signal_files(con, [FileToLoad(path, partition_key, source_file)])[0]


def load_signal_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[FileToLoad],
    on_staged: Callable[[int, FileLoad], None] | None = None,
) -> list[FileLoad]:
    """Replace the raw partitions of ``files`` (a run's files, in landing order); an unreadable
    file is quarantined whole, the others go on.

    The files are read (``on_staged(files read, load)`` after each, for progress), then the
    three raw tables and the new files' partition ids change in one transaction, so they always
    describe the same loads and a failed run leaves nothing half written. One file's rows are
    written straight from its stage. Several files are read side by side, as many at a time as
    DuckDB has threads (a file smaller than DuckDB's per-thread CSV chunk is parsed on one
    core), each on a cursor of the process's database whose default catalog is not the lake (a
    statement on the lake's connection also looks names up in the lake's catalog, a few
    milliseconds each, and reading a file takes about twenty statements); their stages are
    gathered in an in-memory database attached for the run, as one view the write reads, so the
    lake takes one commit for the run instead of one per file.
    """
    migrate_partition_ids(con)
    single = len(files) == 1
    # One file: a view of its stage on this connection. Several: an in-memory database of the
    # process's DuckDB that the reading cursors share (not the lake, nor a DuckDB file a caller
    # may have connected to), holding each file's stage, and a view of them all; detached (and
    # so freed) after the write.
    name = f"run_raw_stage_{uuid.uuid4().hex[:12]}"
    shared = None if single else name
    if shared:
        con.execute(f"ATTACH ':memory:' AS {shared}")
    run_stage = f"temp.main.{name}" if single else f"{shared}.main.run_stage"
    loads: list[FileLoad] = []
    try:
        if single:
            loads.append(_stage_file(con, files[0]))
            con.execute(
                f"CREATE TEMP VIEW {name} AS SELECT 0 AS file_number, * FROM temp.main.signal_stage"
            )
            if on_staged:
                on_staged(1, loads[0])
        else:
            loads = _stage_files_side_by_side(con, files, shared, on_staged)
        with staged(con, "run_signal_files", _file_rows(con, loads)):
            atomically(con, lambda: _write_raw_partitions(con, loads, run_stage))
    finally:
        if shared:
            con.execute(f"DETACH DATABASE IF EXISTS {shared}")
        else:
            con.execute(f"DROP VIEW IF EXISTS {run_stage}")
        drop_stage(con)
    return loads


def _stage_files_side_by_side(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[FileToLoad],
    shared: str,
    on_staged: Callable[[int, FileLoad], None] | None,
) -> list[FileLoad]:
    """Every file staged in the database ``shared``, and ``run_stage`` a view of them all with
    their ``file_number`` (their place in ``files``); the loads in the order of ``files``.

    Plain CSV files that share a header are read first, together, by one statement on every
    core (``signal_csv_group``). The others, and those the group could not number, are read one
    by one on the cursors of reading threads, side by side (``_stage_files_one_by_one``).
    """
    loads: list[FileLoad | None] = [None] * len(files)
    selects: list[str] = []
    staged = 0
    headers = {number: csv_group_header(f.path, f.path.name) for number, f in enumerate(files)}
    for group, numbers in enumerate(plan_groups(headers)):
        read, members = f"{shared}.main.group_{group}_read", f"{shared}.main.group_{group}_members"
        header = headers[numbers[0]]
        assert header is not None
        grouped = read_csv_group(con, read, [(n, files[n].path) for n in numbers], header)
        if not grouped:
            drop_tables(con, read)
            continue
        con.execute(
            f"CREATE TABLE {members} AS SELECT * FROM (VALUES {members_rows(grouped)}) "
            "AS m(file_index, file_number, first_rowid)"
        )
        selects.append(group_stage_select(read, members, header))
        for grouped_file in grouped:
            file = files[grouped_file.number]
            loads[grouped_file.number] = load = FileLoad(
                partition_key=file.partition_key,
                source_file=file.source_file,
                size_bytes=grouped_file.size_bytes,
                modified_at=_utc(grouped_file.mtime),
                data_rows=grouped_file.data_rows,
                file_format="csv",
            )
            staged += 1
            if on_staged:
                on_staged(staged, load)
    alone = [number for number, load in enumerate(loads) if load is None]
    for number, load in _stage_files_one_by_one(con, files, alone, shared, staged, on_staged):
        loads[number] = load
        selects.append(
            f"SELECT {number} AS file_number, {', '.join(STAGE_COLUMNS)} "
            f"FROM {shared}.main.file_{number}"
        )
    _union_view(con, f"{shared}.main.run_stage", selects)
    return [load for load in loads if load is not None]


def _stage_files_one_by_one(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[FileToLoad],
    numbers: list[int],
    shared: str,
    staged_before: int,
    on_staged: Callable[[int, FileLoad], None] | None,
) -> list[tuple[int, FileLoad]]:
    """Files ``numbers`` of ``files``, each read on a cursor of its reading thread, as many at a
    time as DuckDB has threads, its stage left in the database ``shared`` as ``file_<n>``.

    A CSV that DuckDB's reader read whole is staged as a view of that read (no copy: the read is
    a table of ``shared`` already); any other file's stage (other formats, rejected rows read
    again, the exact reader, an unreadable file's empty stage) is copied from the cursor's temp
    stage into a table of its own (not one shared table: appends to one table from several
    threads wait on each other).
    """
    if not numbers:
        return []
    threads = int(scalar(con, "SELECT current_setting('threads')") or 1)
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []
    lock = threading.Lock()
    columns = ", ".join(STAGE_COLUMNS)

    def stage(number: int) -> FileLoad:
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = con.cursor()
            with lock:
                cursors.append(cursor)
        view = f"{shared}.main.file_{number}"
        load = _stage_file(cursor, files[number], shared_view=view)
        viewed = scalar(
            cursor,
            "SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND view_name = ?",
            [shared, f"file_{number}"],
        )
        if viewed and (load.used_fallback or load.quarantine_reason):
            cursor.execute(f"DROP VIEW {view}")  # the stage is the exact reader's, or none
            viewed = False
        if not viewed:
            cursor.execute(f"CREATE TABLE {view} AS SELECT {columns} FROM temp.main.signal_stage")
            # DuckDB's read (when it was kept beside the stage) is copied now: free it.
            drop_tables(cursor, f"{view}_read", f"{view}_read_kept")
        drop_stage(cursor)
        return load

    loads: list[tuple[int, FileLoad]] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(numbers)))) as pool:
            pending = {pool.submit(stage, number): number for number in numbers}
            for done, future in enumerate(as_completed(pending), start=staged_before + 1):
                load = future.result()
                loads.append((pending[future], load))
                if on_staged:
                    on_staged(done, load)
    finally:
        for cursor in cursors:
            cursor.close()
    return sorted(loads, key=lambda pair: pair[0])


def _union_view(con: duckdb.DuckDBPyConnection, view: str, selects: list[str]) -> None:
    """``view``: the UNION ALL of ``selects``, as views of at most UNION_BRANCHES branches each
    (a run may hold thousands of files; one statement of thousands of branches nests as deep)."""
    while len(selects) > UNION_BRANCHES:
        parts = []
        for start in range(0, len(selects), UNION_BRANCHES):
            part = f"{view}_{len(parts)}_{len(selects)}"
            con.execute(
                f"CREATE VIEW {part} AS "
                + " UNION ALL ".join(selects[start : start + UNION_BRANCHES])
            )
            parts.append(f"SELECT * FROM {part}")
        selects = parts
    con.execute(f"CREATE VIEW {view} AS " + " UNION ALL ".join(selects))


def _stage_file(
    con: duckdb.DuckDBPyConnection, file: FileToLoad, shared_view: str | None = None
) -> FileLoad:
    """``file`` read into ``signal_stage`` (an empty one when it is unreadable); for
    ``shared_view`` see ``stage_csv_fast``."""
    reason: str | None = None
    read: StagedFile | None = None
    size, mtime = 0, 0.0
    try:
        with open_landed_file(file.path) as opened:
            size, mtime = opened.size, opened.mtime
            read = stage_signal_file(con, opened.path, opened.name, shared_view=shared_view)
    except FileRejected as rejected:
        reason = rejected.reason
    except LandedFileError as error:
        reason = str(error)
    if read is None:
        create_stage(con)
    return FileLoad(
        partition_key=file.partition_key,
        source_file=file.source_file,
        size_bytes=size,
        modified_at=_utc(mtime),
        data_rows=read.data_rows if read else 0,
        file_format=read.file_format if read else None,
        quarantine_reason=reason,
        used_fallback=read.used_fallback if read else False,
        rows_read_again=read.rows_read_again if read else 0,
    )


def _utc(timestamp: float) -> dt.datetime:
    """A file's modification time as a naive UTC timestamp (how the warehouse stores time)."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def _file_rows(con: duckdb.DuckDBPyConnection, loads: list[FileLoad]) -> pa.Table:
    """The run's files, typed by raw.signal_files and the quarantine's reason column."""
    return typed_rows(
        (
            {
                "partition_key": load.partition_key,
                "source_file": load.source_file,
                "file_format": load.file_format,
                "size_bytes": load.size_bytes,
                "modified_at": load.modified_at,
                "data_rows": load.data_rows,
                "reason": load.quarantine_reason,
            }
            for load in loads
        ),
        warehouse_schema(con, "raw.signal_files", FILE_COLUMNS),
        warehouse_schema(con, "quarantine.signal_files", ["reason"]),
    )


def _write_raw_partitions(
    con: duckdb.DuckDBPyConnection, loads: list[FileLoad], run_stage: str
) -> None:
    """Within ``atomically``: the files' partition ids (a new file gets the next one, committed
    with its rows), their rows, file rows and quarantine records."""
    keys = [load.partition_key for load in loads]
    ids = assign_partition_ids(con, keys).ids
    partition_ids = [ids[key] for key in keys]
    write_partition(
        con,
        "raw.signals",
        {"partition_id": partition_ids},
        load_sql("select_run_raw_signals").format(run_stage=run_stage),
        {
            "partition_keys": keys,
            "partition_ids": partition_ids,
            "source_files": [load.source_file for load in loads],
        },
        in_transaction=True,
    )
    for table, select in (
        ("raw.signal_files", "select_run_signal_files"),
        ("quarantine.signal_files", "select_run_quarantined_files"),
    ):
        write_partition(con, table, {"partition_key": keys}, load_sql(select), in_transaction=True)
