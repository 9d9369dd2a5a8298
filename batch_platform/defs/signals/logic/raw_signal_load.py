"""Landed file → raw.signals: one file's rows as text, its file row, or its quarantine record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.defs.signals.logic.signal_file_format import FileRejected
from batch_platform.defs.signals.logic.signal_files import StagedFile, stage_signal_file
from batch_platform.defs.signals.logic.signal_partitions import (
    assign_partition_ids,
    migrate_partition_ids,
)
from batch_platform.defs.signals.logic.signal_stage import create_stage, drop_stage
from batch_platform.lib.landing import LandedFileError, open_landed_file
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, write_partition

load_sql = SqlFolder.of_domain(__file__)


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


def load_signal_file(
    con: duckdb.DuckDBPyConnection, path: Path, partition_key: str, source_file: str
) -> FileLoad:
    """Replace the raw partition of one file; an unreadable file is quarantined whole.

    The three raw tables (and the file's partition id, when it is new) change in one
    transaction, so they always describe the same load.
    """
    reason: str | None = None
    staged: StagedFile | None = None
    size, mtime = 0, 0.0
    try:
        with open_landed_file(path) as opened:
            size, mtime = opened.size, opened.mtime
            staged = stage_signal_file(con, opened.path, opened.name)
    except FileRejected as rejected:
        reason = rejected.reason
    except LandedFileError as error:
        reason = str(error)
    if staged is None:
        create_stage(con)
    modified_at = dt.datetime.fromtimestamp(mtime, dt.UTC).replace(tzinfo=None)
    load = FileLoad(
        partition_key=partition_key,
        source_file=source_file,
        size_bytes=size,
        modified_at=modified_at,
        data_rows=staged.data_rows if staged else 0,
        file_format=staged.file_format if staged else None,
        quarantine_reason=reason,
        used_fallback=staged.used_fallback if staged else False,
        rows_read_again=staged.rows_read_again if staged else 0,
    )
    where = {"partition_key": partition_key}
    file_params = {"partition_key": partition_key, "source_file": source_file}
    described = file_params | {"size_bytes": load.size_bytes, "modified_at": modified_at}
    migrate_partition_ids(con)

    def write_raw_partition() -> None:
        # The file's partition id (a new file gets the next one) commits with its rows.
        partition_id = assign_partition_ids(con, [partition_key]).ids[partition_key]
        write_partition(
            con,
            "raw.signals",
            {"partition_id": partition_id} | where,
            load_sql("select_raw_signals"),
            file_params | {"partition_id": partition_id},
            in_transaction=True,
        )
        write_partition(
            con,
            "raw.signal_files",
            where,
            load_sql("select_raw_signal_files"),
            described
            | {
                "file_format": load.file_format,
                "data_rows": load.data_rows,
                "status": "quarantined" if reason else "loaded",
            },
            in_transaction=True,
        )
        write_partition(
            con,
            "quarantine.signal_files",
            where,
            load_sql("select_quarantined_files"),
            described | {"reason": reason},
            in_transaction=True,
        )

    atomically(con, write_raw_partition)
    drop_stage(con)
    return load
