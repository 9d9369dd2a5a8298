"""The signals pipeline's transformations: plain functions over a DuckDB connection.

No Dagster here; the assets call these, and unit tests call them directly. Each function that
writes replaces whole partitions inside one transaction, so a rerun leaves identical tables and a
crash leaves the previous state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.signals.logic.event_vocabulary import FREE_MAIL_DOMAINS, event_type_rows
from batch_platform.defs.signals.logic.signal_files import (
    FileRejected,
    StagedFile,
    create_stage,
    drop_stage,
    normalise_column_name,
    stage_signal_file,
)
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, quote_ident, replace_partition, scalar

load_sql = SqlFolder.of_domain(__file__)
FUTURE_TOLERANCE = dt.timedelta(days=1)


def _register_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]) -> None:
    con.register(f"{name}_arrow", pa.table(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def register_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    rows = event_type_rows()
    _register_table(
        con,
        "ref_event_types",
        {"spelling": [r[0] for r in rows], "canonical": [r[1] for r in rows]},
    )
    _register_table(con, "ref_free_mail", {"domain": list(FREE_MAIL_DOMAINS)})


# ---------------------------------------------------------------- raw
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


def load_signal_file(
    con: duckdb.DuckDBPyConnection, path: Path, partition_key: str, source_file: str
) -> FileLoad:
    """Replace the raw partition of one file; an unreadable file is quarantined whole."""
    stat = path.stat()
    modified_at = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None)
    reason: str | None = None
    staged: StagedFile | None = None
    try:
        staged = stage_signal_file(con, path)
    except FileRejected as rejected:
        reason = rejected.reason
        create_stage(con)
    params = {"partition_key": partition_key, "source_file": source_file}
    file_params = {
        **params,
        "size_bytes": stat.st_size,
        "modified_at": modified_at,
        "file_format": staged.file_format if staged else None,
        "data_rows": staged.data_rows if staged else 0,
        "status": "quarantined" if reason else "loaded",
        "reason": reason,
    }

    def write_raw_partition():
        replace_partition(
            con,
            "raw.signals",
            {"partition_key": partition_key},
            "SELECT $partition_key AS partition_key, $source_file AS source_file, * "
            "FROM signal_stage",
            params,
        )
        replace_partition(
            con,
            "raw.signal_files",
            {"partition_key": partition_key},
            "SELECT $partition_key AS partition_key, $source_file AS source_file, "
            "$file_format AS file_format, $size_bytes AS size_bytes, "
            "$modified_at AS modified_at, $data_rows AS data_rows, $status AS status",
            {k: v for k, v in file_params.items() if k != "reason"},
        )
        replace_partition(
            con,
            "quarantine.signal_files",
            {"partition_key": partition_key},
            "SELECT $partition_key AS partition_key, $source_file AS source_file, "
            "$size_bytes AS size_bytes, $modified_at AS modified_at, $reason AS reason "
            "WHERE $reason IS NOT NULL",
            {k: file_params[k] for k in ("partition_key", "source_file", "size_bytes")}
            | {"modified_at": modified_at, "reason": reason},
        )

    atomically(con, write_raw_partition)
    drop_stage(con)
    return FileLoad(
        partition_key=partition_key,
        source_file=source_file,
        size_bytes=stat.st_size,
        modified_at=modified_at,
        data_rows=staged.data_rows if staged else 0,
        file_format=staged.file_format if staged else None,
        quarantine_reason=reason,
        used_fallback=staged.used_fallback if staged else False,
    )


# ---------------------------------------------------------------- clean
@dataclass(frozen=True)
class CleanCounts:
    raw_rows: int
    cleaned: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: CleanCounts) -> CleanCounts:
        reasons = dict(self.reasons)
        for reason, rows in other.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + rows
        return CleanCounts(
            self.raw_rows + other.raw_rows,
            self.cleaned + other.cleaned,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
            reasons,
        )


def clean_signal_partition(con: duckdb.DuckDBPyConnection, partition_key: str) -> CleanCounts:
    """Validate, normalise, de-duplicate and enrich one file's rows into the three tables."""
    return clean_signal_partitions(con, [partition_key])[partition_key]


def clean_signal_partitions(
    con: duckdb.DuckDBPyConnection, partition_keys: list[str]
) -> dict[str, CleanCounts]:
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
        replace_partition(con, "clean.signals", where, load_sql("select_clean_signals"))
        replace_partition(
            con, "clean.signal_duplicates", where, load_sql("select_signal_duplicates")
        )
        replace_partition(con, "quarantine.signal_rows", where, load_sql("select_quarantined_rows"))

    atomically(con, write_clean_partitions)
    # Per partition: raw, cleaned, duplicate and quarantined rows.
    counts = {key: [0, 0, 0, 0] for key in keys}
    tables = ["typed_signals", "clean.signals", "clean.signal_duplicates", "quarantine.signal_rows"]
    for column, table in enumerate(tables):
        for key, rows in con.execute(
            f"SELECT partition_key, count(*) FROM {table} "
            "WHERE list_contains($keys, partition_key) GROUP BY partition_key",
            {"keys": keys},
        ).fetchall():
            counts[key][column] = rows
    reasons: dict[str, dict[str, int]] = {key: {} for key in keys}
    for key, reason, rows in con.execute(
        "SELECT partition_key, reason, count(*) FROM typed_signals WHERE reason IS NOT NULL "
        "GROUP BY partition_key, reason QUALIFY row_number() OVER (PARTITION BY partition_key "
        "ORDER BY count(*) DESC, reason) <= 20"
    ).fetchall():
        reasons[key][reason] = rows
    for table in ("duplicate_signals", "typed_signals", "run_files"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {key: CleanCounts(*counts[key], reasons[key]) for key in keys}


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


# ---------------------------------------------------------------- firmographics
FIRMOGRAPHIC_COLUMNS = ("domain", "company_name", "industry", "employee_count", "country")


@dataclass(frozen=True)
class FirmographicsLoad:
    domains: int
    files_read: int
    files_skipped: dict[str, str]


def load_firmographics(
    con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]
) -> FirmographicsLoad:
    """Rebuild clean.firmographics from every file; the newest file (by mtime) wins per domain."""
    ordered = sorted(files, key=lambda f: (f[0].stat().st_mtime, f[1]), reverse=True)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE firmographics_stage (domain VARCHAR, company_name VARCHAR, "
        "industry VARCHAR, employee_count VARCHAR, country VARCHAR, source_file VARCHAR, "
        "source_line BIGINT, file_rank INTEGER)"
    )
    skipped: dict[str, str] = {}
    for rank, (path, name) in enumerate(ordered, start=1):
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE firmographics_read AS SELECT * FROM read_csv(?, "
                "header = true, all_varchar = true, null_padding = true)",
                [str(path)],
            )
            present = {
                normalise_column_name(row[0]): quote_ident(row[0])
                for row in con.execute("DESCRIBE firmographics_read").fetchall()
            }
            missing = [c for c in FIRMOGRAPHIC_COLUMNS if c not in present]
            if missing:
                skipped[name] = f"missing columns {', '.join(missing)}"
                continue
            columns = ", ".join(present[c] for c in FIRMOGRAPHIC_COLUMNS)
            con.execute(
                f"INSERT INTO firmographics_stage SELECT {columns}, ? AS source_file, "
                "rowid + 1 AS source_line, ? AS file_rank FROM firmographics_read",
                [name, rank],
            )
        except duckdb.Error as error:
            skipped[name] = str(error).splitlines()[0]

    def replace_firmographics():
        con.execute("DELETE FROM clean.firmographics")
        con.execute(f"INSERT INTO clean.firmographics BY NAME {load_sql('select_firmographics')}")

    atomically(con, replace_firmographics)
    con.execute("DROP TABLE IF EXISTS firmographics_read")
    con.execute("DROP TABLE IF EXISTS firmographics_stage")
    domains = scalar(con, "SELECT count(*) FROM clean.firmographics")
    return FirmographicsLoad(int(domains), len(ordered) - len(skipped), skipped)


# ---------------------------------------------------------------- daily rollups and scores
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


def _window_params(window: Window) -> dict[str, object]:
    return {"window_start": window.start, "window_end": window.end}


def build_web_sessions(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    def write_sessions():
        return replace_partition(
            con,
            "clean.web_sessions",
            {"session_date": window.day},
            load_sql("select_web_sessions"),
            _window_params(window) | {"session_date": window.day},
        )

    return atomically(con, write_sessions)


def build_daily_account_usage(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    def write_usage():
        return replace_partition(
            con,
            "clean.daily_account_usage",
            {"usage_date": window.day},
            load_sql("select_daily_account_usage"),
            _window_params(window) | {"usage_date": window.day},
        )

    return atomically(con, write_usage)


@dataclass(frozen=True)
class LeadScoringConfig:
    weights: dict[str, float]
    half_life_days: float
    lookback_days: int
    mql_threshold: float
    fit_industries: list[str]
    fit_countries: list[str]


def score_leads(con: duckdb.DuckDBPyConnection, window: Window, config: LeadScoringConfig) -> int:
    _register_table(
        con,
        "score_weights",
        {"event_type": list(config.weights), "points": [float(v) for v in config.weights.values()]},
    )
    _register_table(con, "fit_industries", {"industry": [i.lower() for i in config.fit_industries]})
    _register_table(con, "fit_countries", {"country": [c.upper() for c in config.fit_countries]})
    params = {
        "as_of_date": window.day,
        "as_of_end": window.end,
        "previous_date": window.day - dt.timedelta(days=1),
        "lookback_days": config.lookback_days,
        "half_life_days": config.half_life_days,
        "mql_threshold": config.mql_threshold,
    }

    def write_lead_scores():
        return replace_partition(
            con,
            "scores.lead_scores",
            {"as_of_date": window.day},
            load_sql("select_lead_scores"),
            params,
        )

    return atomically(con, write_lead_scores)


def score_account_health(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    def write_account_health():
        return replace_partition(
            con,
            "scores.account_health",
            {"week_start": window.day},
            load_sql("select_account_health"),
            _window_params(window) | {"week_start": window.day},
        )

    return atomically(con, write_account_health)
