"""raw.signals → clean.signals, clean.signal_duplicates and quarantine.signal_rows, and the
accounting that every raw row landed in exactly one of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from batch_platform.defs.signals.logic.line_stats import NO_ROWS, line_stats
from batch_platform.defs.signals.logic.signal_partitions import (
    RunPartitions,
    collect_history,
    history_window,
    run_partitions,
    window_days,
)
from batch_platform.defs.signals.logic.signal_reference import SignalReference, signal_reference
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import (
    atomically,
    integer_list,
    scalar,
    stage_rows,
    write_partition,
)

load_sql = SqlFolder.of_domain(__file__)
FUTURE_TOLERANCE = dt.timedelta(days=1)
OUTCOMES = ("raw", "cleaned", "duplicate", "quarantined")
FROM_ENVIRONMENT = "environment"  # the de-duplication window of $BATCH_PLATFORM_SIGNAL_DEDUP_…


def register_reference_tables(con: duckdb.DuckDBPyConnection, reference: SignalReference) -> None:
    """The event-type spellings, sources and free-mail domains, as temp tables the cleaning SQL
    joins."""
    stage_rows(con, "ref_event_types", reference.spelling_rows())
    stage_rows(con, "ref_sources", {"source": list(reference.sources)})
    stage_rows(con, "ref_free_mail", {"domain": list(reference.free_mail_domains)})


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


def clean_signal_partition(
    con: duckdb.DuckDBPyConnection, partition_key: str, reference: SignalReference | None = None
) -> SignalCleanCounts:
    """Validate, normalise, de-duplicate and enrich one file's rows into the three tables."""
    return clean_signal_partitions(con, [partition_key], reference)[partition_key]


def clean_signal_partitions(
    con: duckdb.DuckDBPyConnection,
    partition_keys: list[str],
    reference: SignalReference | None = None,
    dedup_window_days: int | str | None = FROM_ENVIRONMENT,
) -> dict[str, SignalCleanCounts]:
    """Clean the rows of several files at once, as if one after another in the given order,
    with ``reference`` (by default the effective reference data of the environment).

    One set of statements for the whole run (not one per file), and one transaction replacing
    all of its partitions, so a crash leaves every one of them as it was. Rows are compared with
    history within ``dedup_window_days`` of their own day (None: all history; by default
    $BATCH_PLATFORM_SIGNAL_DEDUP_WINDOW_DAYS, see ``signal_partitions``).
    """
    keys = list(dict.fromkeys(partition_keys))
    reference = reference or signal_reference()
    window = window_days() if dedup_window_days == FROM_ENVIRONMENT else dedup_window_days
    partitions = run_partitions(con, keys)
    register_reference_tables(con, reference)
    con.execute(
        load_sql("stage_run_files"),
        {"partition_keys": keys, "future_tolerance": FUTURE_TOLERANCE},
    )
    con.execute(
        partitions.sql(load_sql("stage_typed_signals")),
        {
            "quarantine_unknown_event_types": reference.unknown_event_types == "quarantine",
            "quarantine_unknown_sources": reference.unknown_sources == "quarantine",
        },
    )
    history = history_window(con, load_sql("select_run_event_days"), None, window)
    collect_history(
        con, "history_keys", load_sql("select_history_keys"), history, partitions.params()
    )
    con.execute(load_sql("stage_duplicate_signals"))
    where = {"partition_id": sorted(set(partitions.ids.values())), "partition_key": keys}

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
            partitions.sql(load_sql("select_quarantined_rows")),
            in_transaction=True,
        )

    atomically(con, write_clean_partitions)
    counts = {key: dict.fromkeys(OUTCOMES, 0) for key in keys}
    for key, outcome, rows in con.execute(
        partitions.sql(load_sql("select_cleaned_partition_counts")), {"keys": keys}
    ).fetchall():
        counts[key][outcome] = rows
    reasons: dict[str, dict[str, int]] = {key: {} for key in keys}
    for key, reason, rows in con.execute(load_sql("select_quarantine_reasons")).fetchall():
        reasons[key][reason] = rows
    # history_keys stays for the run's event-key check (event_key_repeats) on this connection.
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
    the lines is exact and avoids joining millions of them (``line_stats``); a partition
    numbered otherwise is checked line by line.
    """
    keys = list(dict.fromkeys(partition_keys))
    partitions = run_partitions(con, keys)
    raw, placed = (
        line_stats(con, partitions.sql(load_sql(name)), partitions.params())
        for name in ("select_raw_lines", "select_placed_lines")
    )
    failing: dict[str, int] = {}
    for key in keys:
        partition_id = partitions.ids[key]
        rows = raw.get(partition_id, NO_ROWS)
        if not rows.numbered_one_to_n():
            failing[key] = int(
                scalar(
                    con,
                    load_sql("check_row_accounting_by_join"),
                    {"partition_key": key, "partition_id": partition_id},
                )
            )
            continue
        lines = placed.get(partition_id, NO_ROWS)
        exact = (lines.rows, lines.distinct, lines.missing, lines.first, lines.last) == (
            rows.rows, rows.rows, 0, rows.first, rows.last,
        )  # fmt: skip
        failing[key] = (
            0
            if exact
            else max(abs(lines.rows - rows.rows), lines.rows - lines.distinct + lines.missing, 1)
        )
    return failing


def event_key_repeats(
    con: duckdb.DuckDBPyConnection, partitions: RunPartitions, window: int | None
) -> dict[str, int]:
    """Per partition of the run, cleaned rows whose event_key is kept more than once: twice in
    the run, or also by another file's row within the de-duplication window of the run's days
    (what de-duplication compares with; ``window`` None: all history).

    The run's rows are read from clean.signals as written. The other files' rows are those the
    clean step found in the window (temp table ``history_keys``, left on this connection: the
    run writes only its own partitions, so they are as they were); without it (a check run on
    its own) the window is read again.
    """
    keys = partitions.keys
    con.execute(partitions.sql(load_sql("stage_check_run_keys")))
    found = scalar(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'history_keys'",
    )
    if found:
        con.execute(load_sql("stage_check_keys_from_history_keys"))
    else:
        history = history_window(con, load_sql("select_check_run_days"), None, window)
        collect_history(
            con, "check_keys_elsewhere", load_sql("select_check_keys_elsewhere"), history,
            partitions.params(),
        )  # fmt: skip
    failing = dict.fromkeys(keys, 0)
    key_of = {partition_id: key for key, partition_id in partitions.ids.items()}
    for partition_id, rows in con.execute(load_sql("check_event_key_unique")).fetchall():
        failing[key_of[partition_id]] = int(rows)
    for table in ("check_keys_elsewhere", "history_keys"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("DROP VIEW IF EXISTS temp.main.check_run_keys")
    return failing


def duplicates_without_kept_row(
    con: duckdb.DuckDBPyConnection, partitions: RunPartitions
) -> dict[str, int]:
    """Per partition of the run, duplicates whose kept row (file, line, same event_key) is not in
    clean.signals; the kept rows are looked up in the files the duplicates point at."""
    pointed = [
        int(row[0])
        for row in con.execute(
            partitions.sql(load_sql("select_pointed_partition_ids")), partitions.params()
        ).fetchall()
    ]
    ids = integer_list(sorted(set(pointed) | set(partitions.ids.values())))
    sql = partitions.sql(load_sql("check_duplicates_point_at_kept_rows"))
    failing = dict.fromkeys(partitions.keys, 0)
    for key, rows in con.execute(
        sql.replace("{pointed_partition_ids}", ids), partitions.params()
    ).fetchall():
        failing[key] = int(rows)
    return failing
