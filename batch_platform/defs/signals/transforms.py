"""The signals pipeline's transformations: plain functions over a DuckDB connection.

No Dagster here; the assets call these, and unit tests call them directly. Each function that
writes replaces whole partitions inside one transaction, so a rerun leaves identical tables and a
crash leaves the previous state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.lib.signal_files import (
    FileRejected,
    StagedFile,
    create_stage,
    drop_stage,
    normalise_column_name,
    stage_signal_file,
)
from batch_platform.lib.vocabulary import FREE_MAIL_DOMAINS, event_type_rows
from batch_platform.lib.warehouse import atomically, quote_ident, replace_partition, scalar

SQL_DIR = Path(__file__).with_name("sql")
FUTURE_TOLERANCE = dt.timedelta(days=1)


@cache
def load_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


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


def clean_signal_partition(con: duckdb.DuckDBPyConnection, partition_key: str) -> CleanCounts:
    """Validate, normalise, de-duplicate and enrich one file's rows into the three tables."""
    register_reference_tables(con)
    modified_at, source_file = con.execute(
        "SELECT max(modified_at), max(source_file) FROM raw.signal_files WHERE partition_key = $p",
        {"p": partition_key},
    ).fetchone()
    not_after = (modified_at or dt.datetime(2100, 1, 1)) + FUTURE_TOLERANCE
    key = {"partition_key": partition_key}
    params = key | {"source_file": source_file or ""}
    con.execute(
        load_sql("stage_typed_signals"), {"partition_key": partition_key, "not_after": not_after}
    )
    con.execute(load_sql("stage_duplicate_signals"), params)

    def write_clean_partition() -> tuple[int, int, int]:
        return (
            replace_partition(con, "clean.signals", key, load_sql("select_clean_signals"), params),
            replace_partition(
                con, "clean.signal_duplicates", key, load_sql("select_signal_duplicates"), params
            ),
            replace_partition(
                con, "quarantine.signal_rows", key, load_sql("select_quarantined_rows"), key
            ),
        )

    cleaned, duplicates, quarantined = atomically(con, write_clean_partition)
    raw_rows = scalar(con, "SELECT count(*) FROM typed_signals")
    reasons = dict(
        con.execute(
            "SELECT reason, count(*) FROM typed_signals WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 20"
        ).fetchall()
    )
    con.execute("DROP TABLE IF EXISTS duplicate_signals")
    con.execute("DROP TABLE IF EXISTS typed_signals")
    return CleanCounts(int(raw_rows), cleaned, duplicates, quarantined, reasons)


def row_accounting_check_sql(
    con: duckdb.DuckDBPyConnection, partition_key: str
) -> tuple[str, dict[str, object]]:
    """The cheapest exact row-accounting query for the partition, and its parameters.

    The readers number rows 1..n, so comparing counts, distinct counts and bounds is exact and
    avoids joining millions of lines; any other numbering is checked line by line.
    """
    rows, distinct, first, last = con.execute(
        "SELECT count(*), count(DISTINCT source_line), min(source_line), max(source_line) "
        "FROM raw.signals WHERE partition_key = $p",
        {"p": partition_key},
    ).fetchone()
    key = {"partition_key": partition_key}
    if rows == distinct and (rows == 0 or last - first + 1 == rows):
        bounds = {"raw_rows": rows, "first_line": first, "last_line": last}
        return load_sql("check_row_accounting_by_bounds"), key | bounds
    return load_sql("check_row_accounting_by_join"), key


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
