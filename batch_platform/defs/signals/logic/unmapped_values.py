"""Event types and sources kept as 'unmapped' (in no list of the reference data): what the
warning check and the daily report list, with counts per spelling. No Dagster here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.defs.signals.logic.signal_partitions import RunPartitions
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)
KINDS = {"event_type": "event type", "source": "source"}


@dataclass(frozen=True)
class UnmappedValue:
    kind: str  # 'event_type' or 'source'
    spelling: str  # as the reference data would list it
    example: str  # as a file wrote it
    rows: int
    rows_on_day: int
    files: int


def unmapped_values(
    con: duckdb.DuckDBPyConnection,
    partitions: RunPartitions | None = None,
    day: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[UnmappedValue]:
    """Unmapped values in the given files (every file when None), most rows first; with a
    ``day`` (UTC start and end), also how many of their rows occurred in it."""
    start, end = day or (None, None)
    params: dict = {"day_start": start, "day_end": end}
    sql = load_sql("select_unmapped_values")
    if partitions is None:
        sql = sql.replace("{partition_filter}", "true")
    else:
        sql = sql.replace("{partition_filter}", partitions.where())
        params |= partitions.params()
    return [UnmappedValue(*row) for row in con.execute(sql, params).fetchall()]


def unmapped_summary(values: list[UnmappedValue], at_most: int = 10) -> str:
    """``event type 'linkedin_message' (12 rows), source 'hubspot' (3 rows)``."""
    shown = ", ".join(
        f"{KINDS[v.kind]} {v.spelling!r} ({v.rows:,} row{'s' if v.rows != 1 else ''})"
        for v in values[:at_most]
    )
    return shown + (f" and {len(values) - at_most} more" if len(values) > at_most else "")


def unmapped_table(values: list[UnmappedValue], *, with_day: bool = False) -> str:
    day = ["on this day"] if with_day else []
    rows = [
        (KINDS[v.kind], v.spelling, v.example, f"{v.rows:,}")
        + ((f"{v.rows_on_day:,}",) if with_day else ())
        + (f"{v.files:,}",)
        for v in values
    ]
    return markdown_table(
        ["kind", "spelling", "as written", "rows", *day, "files"],
        rows,
        right_aligned=["rows", "on this day", "files"],
    )
