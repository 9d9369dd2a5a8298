"""Signal-file partitions as integers the lake can prune by, and the window of event time that
de-duplication compares a run's rows with.

Every signal file's partition key has a stable integer id (``raw.signal_partitions``), given in
landing order; ``raw.signals``, ``clean.signals``, ``clean.signal_duplicates`` and
``quarantine.signal_rows`` carry it beside ``partition_key``. A run reads and replaces its files'
rows with ``partition_id IN (…)`` (a literal list: DuckLake skips every data file whose min/max
statistics exclude the ids, and a file holds one partition or a run's consecutive ones) and
``partition_key`` for exactness, so what a run costs does not grow with the files before it.

De-duplication against history compares a run's rows with the rows kept whose ``occurred_at``
lies within ``window_days`` of the UTC day of one of the run's rows (``HistoryWindow``); the lake
skips the data files of other times. A repeated event carries its original time, so it is always
found; only two copies of one event id sent with times more than the window apart are not
compared (docs/signals.md, "De-duplication").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, integer_list, scalar, sql_literal

load_sql = SqlFolder.of_domain(__file__)

WINDOW_SETTING = "BATCH_PLATFORM_SIGNAL_DEDUP_WINDOW_DAYS"
DEFAULT_WINDOW_DAYS = 3
# Intervals of event time one history read is split into at most (each is its own scan, which
# the lake prunes by min/max statistics; an OR of ranges is not pushed down).
MAX_INTERVALS = 16
# The tables whose rows carry partition_id (clean.signals also event_hash).
PARTITIONED_TABLES = (
    "raw.signals",
    "clean.signals",
    "clean.signal_duplicates",
    "quarantine.signal_rows",
)


@dataclass(frozen=True)
class RunPartitions:
    """The partitions of a run: their keys in landing order and their ids."""

    ids: dict[str, int]

    @property
    def keys(self) -> list[str]:
        return list(self.ids)

    def id_list(self) -> str:
        """The ids as a literal ``IN`` list (integers from the catalog, never user text)."""
        return integer_list(sorted(set(self.ids.values())))

    def where(self, alias: str = "") -> str:
        """A WHERE condition selecting the run's rows of a table with partition_id, with
        ``$partition_keys`` (``params()``) bound."""
        prefix = f"{alias}." if alias else ""
        return (
            f"{prefix}partition_id IN ({self.id_list()}) "
            f"AND list_contains($partition_keys, {prefix}partition_key)"
        )

    def params(self) -> dict:
        return {"partition_keys": self.keys}

    def key_list(self) -> str:
        """The keys as a literal list, for a statement that takes no parameters (a view)."""
        return "[" + ", ".join(sql_literal(key) for key in self.keys) + "]"

    def sql(self, text: str) -> str:
        """A statement of ``sql/`` with its ``{run_partition_ids}`` (and
        ``{run_partition_keys}``) placeholders filled in."""
        return text.replace("{run_partition_ids}", self.id_list()).replace(
            "{run_partition_keys}", self.key_list()
        )


def window_days(env: Mapping[str, str] | None = None) -> int | None:
    """The de-duplication window in days ($BATCH_PLATFORM_SIGNAL_DEDUP_WINDOW_DAYS, default 3);
    None (``all``) compares with all history."""
    env = os.environ if env is None else env
    value = (env.get(WINDOW_SETTING) or "").strip().lower()
    if not value:
        return DEFAULT_WINDOW_DAYS
    if value == "all":
        return None
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"{WINDOW_SETTING} must be a whole number of days (0 or more) or 'all'")
    return days


def run_partitions(con: duckdb.DuckDBPyConnection, partition_keys: Sequence[str]) -> RunPartitions:
    """The ids of ``partition_keys``, giving keys without one the next ids in the given order.

    A warehouse made before partition ids first gets ids for every file it holds and its rows
    their partition_id and event_hash (once, ``migrate_partition_ids``).
    """
    keys = list(dict.fromkeys(partition_keys))
    migrate_partition_ids(con)
    if _missing(con, keys):
        atomically(con, lambda: assign_partition_ids(con, keys))
    return _lookup(con, keys)


def assign_partition_ids(
    con: duckdb.DuckDBPyConnection, partition_keys: Sequence[str]
) -> RunPartitions:
    """Within the caller's transaction (the raw load: a file's id is committed with its rows):
    the ids of ``partition_keys``, new keys getting the next ones. Call
    ``migrate_partition_ids`` before the transaction."""
    keys = list(dict.fromkeys(partition_keys))
    con.execute(load_sql("insert_signal_partitions"), {"partition_keys": keys})
    return _lookup(con, keys)


def _lookup(con: duckdb.DuckDBPyConnection, keys: list[str]) -> RunPartitions:
    rows = con.execute(load_sql("select_signal_partition_ids"), {"partition_keys": keys})
    ids = dict(rows.fetchall())
    return RunPartitions({key: int(ids[key]) for key in keys})


def _missing(con: duckdb.DuckDBPyConnection, keys: list[str]) -> bool:
    found = scalar(
        con,
        "SELECT count(DISTINCT partition_key) FROM raw.signal_partitions "
        "WHERE list_contains($partition_keys, partition_key)",
        {"partition_keys": keys},
    )
    return int(found or 0) < len(keys)


def migrate_partition_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """Give ids to the files of a warehouse made before partition ids (or written by an older
    version since), and their rows partition_id and event_hash; True when there were any.

    Whether there are is one look at the file rows (one per file, not per event); the update
    itself rewrites those files' rows once, in one transaction.
    """
    if not scalar(con, load_sql("select_unmapped_signal_partitions_exist")):
        return False

    def migrate() -> None:
        con.execute(load_sql("insert_unmapped_signal_partitions"))
        for table in PARTITIONED_TABLES:
            con.execute(
                f"UPDATE {table} SET partition_id = m.partition_id "
                "FROM raw.signal_partitions AS m "
                f"WHERE {table}.partition_id IS NULL AND m.partition_key = {table}.partition_key"
            )
        con.execute(load_sql("update_signal_event_hashes"))

    atomically(con, migrate)
    return True


@dataclass(frozen=True)
class HistoryWindow:
    """Intervals of event time [start, end) a run's rows are compared with history over: the UTC
    days of the run's rows, each widened by the window on both sides, merged; None is all
    time (``window_days`` None)."""

    intervals: tuple[tuple[dt.datetime, dt.datetime], ...] | None

    @classmethod
    def around(cls, days: Sequence[dt.datetime], window: int | None) -> HistoryWindow:
        if window is None:
            return cls(None)
        widen = dt.timedelta(days=window)
        spans = sorted(
            (day - widen, day + dt.timedelta(days=1) + widen) for day in {d for d in days if d}
        )
        merged: list[list[dt.datetime]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        while len(merged) > MAX_INTERVALS:  # join the two nearest intervals
            gap = min(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
            merged[gap : gap + 2] = [[merged[gap][0], merged[gap + 1][1]]]
        return cls(tuple((start, end) for start, end in merged))

    def scans(self) -> list[tuple[str, dict]]:
        """One (condition on ``occurred_at``, parameters) per scan of history."""
        if self.intervals is None:
            return [("true", {})]
        return [
            ("occurred_at >= $window_start AND occurred_at < $window_end",
             {"window_start": start, "window_end": end})
            for start, end in self.intervals
        ]  # fmt: skip

    def describe(self) -> str:
        if self.intervals is None:
            return "all history"
        return ", ".join(f"{s:%Y-%m-%d} to {e:%Y-%m-%d}" for s, e in self.intervals) or "none"


def history_window(
    con: duckdb.DuckDBPyConnection, days_sql: str, params: Mapping | None, window: int | None
) -> HistoryWindow:
    """The window around the UTC days ``days_sql`` returns (one column of day starts)."""
    if window is None:
        return HistoryWindow(None)
    days = [row[0] for row in con.execute(days_sql, params).fetchall()]
    return HistoryWindow.around(days, window)


def collect_history(
    con: duckdb.DuckDBPyConnection,
    table: str,
    select_sql: str,
    window: HistoryWindow,
    params: Mapping | None = None,
) -> None:
    """Temp table ``table`` from ``select_sql`` run once per scan of the window: the statement
    reads clean.signals with ``{window}`` in its WHERE clause."""
    con.execute(f"DROP TABLE IF EXISTS {table}")
    for number, (condition, window_params) in enumerate(window.scans()):
        statement = select_sql.replace("{window}", condition)
        verb = f"CREATE TEMP TABLE {table} AS" if number == 0 else f"INSERT INTO {table}"
        con.execute(f"{verb} {statement}", {**(params or {}), **window_params})
    if not window.scans():  # the run has no rows to compare: an empty table of the same shape
        con.execute(
            f"CREATE TEMP TABLE {table} AS {select_sql.replace('{window}', 'false')}",
            dict(params or {}),
        )
