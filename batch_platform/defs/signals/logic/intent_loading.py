"""Intent-provider exports → clean.intent_signals, clean.intent_signal_duplicates and
quarantine.intent_rows, with a row per file in raw.intent_files: every data row of every file
ends in exactly one of the three, by (source_file, source_line). No Dagster here."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.signals.logic.intent_file_reader import stage_intent_file
from batch_platform.defs.signals.logic.signal_file_format import FileRejected
from batch_platform.lib.landing import LandedFileError, open_landed_file
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)
# A date later than the file's modification time plus this is implausible.
FUTURE_TOLERANCE = dt.timedelta(days=1)
WRITTEN_TABLES = {
    "clean.intent_signals": "select_clean_intent_signals",
    "clean.intent_signal_duplicates": "select_intent_duplicates",
    "quarantine.intent_rows": "select_quarantined_intent_rows",
    "raw.intent_files": "select_intent_files",
}


@dataclass(frozen=True)
class IntentFile:
    partition_key: str
    path: Path
    source_file: str


@dataclass
class IntentLoad:
    partition_key: str
    source_file: str
    data_rows: int = 0
    cleaned: int = 0
    duplicates: int = 0
    quarantined: int = 0
    file_reason: str | None = None
    reasons: Counter = field(default_factory=Counter)


def load_intent_files(
    con: duckdb.DuckDBPyConnection, files: list[IntentFile]
) -> dict[str, IntentLoad]:
    """Read, validate and de-duplicate the run's files (in the given order: the first to carry
    a score keeps it) and replace their partitions in one transaction."""
    loads = {f.partition_key: IntentLoad(f.partition_key, f.source_file) for f in files}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE intent_run_stage (partition_key VARCHAR, source_file "
        "VARCHAR, file_order INTEGER, not_after DATE, source_line BIGINT, account_domain "
        "VARCHAR, topic VARCHAR, score VARCHAR, date VARCHAR, parse_error VARCHAR)"
    )
    described = []
    for order, intent_file in enumerate(files, start=1):
        load = loads[intent_file.partition_key]
        size, modified_at = 0, None
        try:
            with open_landed_file(intent_file.path) as opened:
                size = opened.size
                modified_at = dt.datetime.fromtimestamp(opened.mtime, dt.UTC).replace(tzinfo=None)
                load.data_rows = stage_intent_file(con, opened.path, opened.name)
            not_after = (modified_at + FUTURE_TOLERANCE).date()
            con.execute(
                "INSERT INTO intent_run_stage SELECT $key, $file, $order, $not_after, * "
                "FROM intent_stage",
                {"key": load.partition_key, "file": load.source_file, "order": order,
                 "not_after": not_after},
            )  # fmt: skip
        except (FileRejected, LandedFileError) as error:
            load.file_reason = getattr(error, "reason", None) or str(error)
            load.data_rows = 0
        described.append(
            (load.partition_key, load.source_file, size, modified_at, load.data_rows,
             load.file_reason)
        )  # fmt: skip
    _stage_run_files(con, described)
    con.execute(load_sql("stage_typed_intent"))
    con.execute(load_sql("stage_duplicate_intent"))
    keys = [f.partition_key for f in files]

    def write() -> None:
        for table, select in WRITTEN_TABLES.items():
            write_partition(
                con, table, {"partition_key": keys}, load_sql(select), in_transaction=True
            )

    atomically(con, write)
    for key, outcome, rows in con.execute(
        "SELECT partition_key, 'cleaned', count(*) FROM clean.intent_signals "
        "WHERE list_contains($keys, partition_key) GROUP BY 1 UNION ALL "
        "SELECT partition_key, 'duplicates', count(*) FROM clean.intent_signal_duplicates "
        "WHERE list_contains($keys, partition_key) GROUP BY 1 UNION ALL "
        "SELECT partition_key, 'quarantined', count(*) FROM quarantine.intent_rows "
        "WHERE list_contains($keys, partition_key) GROUP BY 1",
        {"keys": keys},
    ).fetchall():
        setattr(loads[key], outcome, int(rows))
    for key, reason, rows in con.execute(
        "SELECT partition_key, reason, count(*) FROM typed_intent WHERE reason IS NOT NULL "
        "GROUP BY ALL"
    ).fetchall():
        loads[key].reasons[reason] = int(rows)
    for table in ("intent_run_stage", "intent_stage", "typed_intent", "duplicate_intent"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return loads


def _stage_run_files(con: duckdb.DuckDBPyConnection, described: list[tuple]) -> None:
    columns = list(zip(*described, strict=True))
    types = [pa.string(), pa.string(), pa.int64(), pa.timestamp("us"), pa.int64(), pa.string()]
    names = ["partition_key", "source_file", "size_bytes", "modified_at", "data_rows", "reason"]
    stage_rows(
        con,
        "intent_run_files",
        pa.table({n: pa.array(v, t) for n, v, t in zip(names, columns, types, strict=True)}),
    )
