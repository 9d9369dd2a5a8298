"""A time partition as the UTC window the signals SQL filters on, and writing one such partition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.lib.warehouse import write_partition


@dataclass(frozen=True)
class Window:
    """A partition's time window, in UTC without offset (how clean.signals stores time)."""

    day: dt.date
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_aware(cls, start: dt.datetime, end: dt.datetime) -> Window:
        def to_utc(value: dt.datetime) -> dt.datetime:
            return value.astimezone(dt.UTC).replace(tzinfo=None)

        return cls(day=start.date(), start=to_utc(start), end=to_utc(end))


def write_window_partition(
    con: duckdb.DuckDBPyConnection, table: str, date_column: str, select_sql: str, window: Window
) -> int:
    """Replace the partition ``date_column = window.day`` of ``table`` with ``select_sql``, which
    reads ``$window_start``, ``$window_end`` and ``$<date_column>``; returns its row count."""
    return write_partition(
        con,
        table,
        {date_column: window.day},
        select_sql,
        {"window_start": window.start, "window_end": window.end, date_column: window.day},
    )
