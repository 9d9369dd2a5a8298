"""raw.signals → clean.signals, clean.signal_duplicates and quarantine.signal_rows, and the
accounting that every raw row landed in exactly one of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from batch_platform.defs.signals.logic.event_vocabulary import FREE_MAIL_DOMAINS, event_type_rows
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, scalar, stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)
FUTURE_TOLERANCE = dt.timedelta(days=1)
OUTCOMES = ("raw", "cleaned", "duplicate", "quarantined")


def register_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The event-type spellings and free-mail domains, as temp tables the cleaning SQL joins."""
    rows = event_type_rows()
    stage_rows(
        con,
        "ref_event_types",
        {"spelling": [r[0] for r in rows], "canonical": [r[1] for r in rows]},
    )
    stage_rows(con, "ref_free_mail", {"domain": list(FREE_MAIL_DOMAINS)})


@dataclass(frozen=True)
class SignalCleanCounts:
    raw_rows: int
    cleaned: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: SignalCleanCounts) -> SignalCleanCounts:
        reasons = dict(self.reasons)
        for reason, rows in other.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + rows
        return SignalCleanCounts(
            self.raw_rows + other.raw_rows,
            self.cleaned + other.cleaned,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
            reasons,
        )


def clean_signal_partition(con: duckdb.DuckDBPyConnection, partition_key: str) -> SignalCleanCounts:
    """Validate, normalise, de-duplicate and enrich one file's rows into the three tables."""
    return clean_signal_partitions(con, [partition_key])[partition_key]


def clean_signal_partitions(
    con: duckdb.DuckDBPyConnection, partition_keys: list[str]
) -> dict[str, SignalCleanCounts]:
    """Clean the rows of several files at once, as if one after another in the given order.

    One set of statements for the whole run (not one per file), and one transaction replacing
    all of its partitions, so a crash leaves every one of them as it was.
    """
    keys = list(dict.fromkeys(partition_keys))
    register_reference_tables(con)
    con.execute(
        load_sql("stage_run_files"),
        {"partition_keys": keys, "future_tolerance": FUTURE_TOLERANCE},
    )
    con.execute(load_sql("stage_typed_signals"))
    con.execute(load_sql("stage_duplicate_signals"))
    where = {"partition_key": keys}

    def write_clean_partitions() -> None:
        write_partition(
            con, "clean.signals", where, load_sql("select_clean_signals"), in_transaction=True
        )
        write_partition(
            con,
            "clean.signal_duplicates",
            where,
            load_sql("select_signal_duplicates"),
            in_transaction=True,
        )
        write_partition(
            con,
            "quarantine.signal_rows",
            where,
            load_sql("select_quarantined_rows"),
            in_transaction=True,
        )

    atomically(con, write_clean_partitions)
    counts = {key: dict.fromkeys(OUTCOMES, 0) for key in keys}
    for key, outcome, rows in con.execute(
        load_sql("select_cleaned_partition_counts"), {"keys": keys}
    ).fetchall():
        counts[key][outcome] = rows
    reasons: dict[str, dict[str, int]] = {key: {} for key in keys}
    for key, reason, rows in con.execute(load_sql("select_quarantine_reasons")).fetchall():
        reasons[key][reason] = rows
    for table in ("duplicate_signals", "typed_signals", "run_files"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {
        key: SignalCleanCounts(*(counts[key][o] for o in OUTCOMES), reasons[key]) for key in keys
    }


def row_accounting_failures(
    con: duckdb.DuckDBPyConnection, partition_keys: list[str]
) -> dict[str, int]:
    """Per partition, raw rows not placed in exactly one of cleaned / duplicate / quarantined.

    The readers number a file's rows 1..n, so comparing counts, distinct counts and bounds of
    the lines is exact and avoids joining millions of them; a partition numbered otherwise is
    checked line by line.
    """
    keys = list(dict.fromkeys(partition_keys))
    stats = {
        name: {
            row[0]: row[1:]
            for row in con.execute(load_sql(name), {"partition_keys": keys}).fetchall()
        }
        for name in ("select_raw_line_stats", "select_placed_line_stats")
    }
    failing: dict[str, int] = {}
    for key in keys:
        rows, distinct, first, last, _ = stats["select_raw_line_stats"].get(
            key, (0, 0, None, None, 0)
        )
        if not (rows == distinct and (rows == 0 or last - first + 1 == rows)):
            failing[key] = int(
                scalar(con, load_sql("check_row_accounting_by_join"), {"partition_key": key})
            )
            continue
        placed, placed_distinct, low, high, nulls = stats["select_placed_line_stats"].get(
            key, (0, 0, None, None, 0)
        )
        exact = (placed, placed_distinct, nulls, low, high) == (rows, rows, 0, first, last)
        failing[key] = 0 if exact else max(abs(placed - rows), placed - placed_distinct + nulls, 1)
    return failing
