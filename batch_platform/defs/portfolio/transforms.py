"""The portfolio health check's transformations: plain functions over a DuckDB connection.

No Dagster here. Python reads and normalises records (office date formats and status words need
the per-jurisdiction reference); DuckDB SQL in ``sql/`` does the set logic. Each write replaces
rows inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.lib.portfolio_office_api import FetchRequest, FetchResult
from batch_platform.lib.portfolio_records import (
    FIRM_COLUMNS,
    OFFICE_COLUMNS,
    RawRecord,
    is_record_file,
    normalise,
    read_records,
)
from batch_platform.lib.portfolio_vocabulary import NormaliseError, jurisdiction_code, parse_date
from batch_platform.lib.warehouse import atomically, replace_partition, scalar

SQL_DIR = Path(__file__).with_name("sql")
RENEWAL_HORIZON_DAYS = 90


@cache
def load_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def record_files(directory: Path) -> list[Path]:
    """CSV/JSONL files directly in ``directory``, by name (hidden and partial files skipped)."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and is_record_file(p.name)
    )


_ARROW_TYPES = {
    "varchar": pa.string(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "ints": pa.list_(pa.int32()),
}


def _stage(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """A temp table from Python columns {name: (type, values)}, typed even when empty."""
    table = pa.table({c: pa.array(v, type=_ARROW_TYPES[t]) for c, (t, v) in columns.items()})
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


# ---------------------------------------------------------------- firm records
@dataclass(frozen=True)
class FirmLoad:
    files: list[str]
    rows_read: int
    valid: int
    quarantined: int


def load_firm_records(
    con: duckdb.DuckDBPyConnection, month: dt.date, files: Sequence[Path]
) -> FirmLoad:
    """Replace the month's firm records and quarantined rows from every firm-record file."""
    rows: list[RawRecord] = [r for path in files for r in read_records(path, FIRM_COLUMNS)]
    columns: dict[str, tuple[str, list]] = {
        "source_file": ("varchar", [r.source_file for r in rows]),
        "source_line": ("bigint", [r.source_line for r in rows]),
    }
    for name in FIRM_COLUMNS:
        columns[name] = ("varchar", [r.values.get(name) for r in rows])
    normalised = [normalise(r.values, office=False) for r in rows]
    columns |= {
        "n_jurisdiction": ("varchar", [n.jurisdiction for n in normalised]),
        "n_status": ("varchar", [n.status for n in normalised]),
        "n_filing_date": ("date", [n.filing_date for n in normalised]),
        "n_registration_date": ("date", [n.registration_date for n in normalised]),
        "n_next_renewal_date": ("date", [n.next_renewal_date for n in normalised]),
        "n_classes": ("ints", [n.classes for n in normalised]),
        "problems": (
            "varchar",
            [
                # A row that could not be read says only that; its field errors follow from it.
                r.read_error or "; ".join(n.problems) or None
                for r, n in zip(rows, normalised, strict=True)
            ],
        ),
    }
    _stage(con, "portfolio_firm_stage", columns)
    con.execute(load_sql("stage_ranked_firm_rows"))
    params = {"month": month}

    def write() -> tuple[int, int]:
        valid = replace_partition(
            con, "portfolio.firm_records", {"month": month}, load_sql("select_firm_records"), params
        )
        quarantined = replace_partition(
            con,
            "quarantine.portfolio_firm_rows",
            {"month": month},
            load_sql("select_quarantined_firm_rows"),
            params,
        )
        return valid, quarantined

    valid, quarantined = atomically(con, write)
    return FirmLoad([p.name for p in files], len(rows), valid, quarantined)


# ---------------------------------------------------------------- office data
@dataclass
class OfficeRow:
    registration_id: str | None
    jurisdiction: str | None
    source: str
    source_line: int | None
    fetched_at: dt.datetime
    attempts: int
    error: str | None
    retryable: bool
    values: dict


def _stage_office_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[OfficeRow]) -> None:
    normalised = [normalise(r.values, office=True) for r in rows]
    errors = []
    for row, record in zip(rows, normalised, strict=True):
        problems = [p for p in record.problems if not p.startswith("registration_id")]
        if row.error:
            errors.append(row.error)
        elif problems:
            errors.append("office data: " + "; ".join(problems))
        else:
            errors.append(None)
    _stage(
        con,
        "portfolio_office_stage",
        {
            "registration_id": ("varchar", [r.registration_id for r in rows]),
            "jurisdiction": (
                "varchar",
                [n.jurisdiction or r.jurisdiction for r, n in zip(rows, normalised, strict=True)],
            ),
            "source": ("varchar", [r.source for r in rows]),
            "source_line": ("bigint", [r.source_line for r in rows]),
            "fetched_at": ("timestamp", [r.fetched_at for r in rows]),
            "attempts": ("int", [r.attempts for r in rows]),
            "error": ("varchar", errors),
            "retryable": ("bool", [r.retryable and r.error is not None for r in rows]),
            "mark": ("varchar", [n.mark for n in normalised]),
            "owner": ("varchar", [n.owner for n in normalised]),
            "office_status": ("varchar", [n.raw_status for n in normalised]),
            "status": ("varchar", [n.status for n in normalised]),
            "filing_date": ("date", [n.filing_date for n in normalised]),
            "registration_date": ("date", [n.registration_date for n in normalised]),
            "next_renewal_date": ("date", [n.next_renewal_date for n in normalised]),
            "classes": ("ints", [n.classes for n in normalised]),
            "as_of": ("date", [n.as_of for n in normalised]),
        },
    )


@dataclass(frozen=True)
class FetchCounts:
    registrations: int
    succeeded: int
    failed: int
    retried: int


def fetch_counts(con: duckdb.DuckDBPyConnection, month: dt.date) -> FetchCounts:
    row = con.execute(
        "SELECT (SELECT count(*) FROM portfolio.firm_records WHERE month = $month), "
        "count(*) FILTER (fetch_state = 'succeeded'), count(*) FILTER (fetch_state = 'failed'), "
        "count(*) FILTER (attempts > 1) "
        "FROM portfolio.office_snapshot WHERE month = $month",
        {"month": month},
    ).fetchone()
    return FetchCounts(*(int(v or 0) for v in row))


def _write_targets(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> None:
    _stage(con, "portfolio_fetch_targets", {"registration_id": ("varchar", list(ids))})


def _snapshot_params(month: dt.date, by_as_of: bool, missing_error: str, missing_source: str):
    start, following = month_bounds(month)
    return {
        "month": start,
        "next_month": following,
        "by_as_of": by_as_of,
        "missing_error": missing_error,
        "missing_source": missing_source,
        "now": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


@dataclass(frozen=True)
class SnapshotLoad:
    files: list[str]
    office_rows: int
    unattributable: list[str]  # "file line N: reason" of rows naming no registration
    counts: FetchCounts


def load_office_snapshots(
    con: duckdb.DuckDBPyConnection, month: dt.date, files: Sequence[Path]
) -> SnapshotLoad:
    """Replace the month's office snapshot from snapshot files whose ``as_of`` is in the month."""
    start, following = month_bounds(month)
    # Other months' rows are dropped before the costly normalisation; undated rows stay (the SQL
    # uses them only for registrations with no dated row, to report why they failed).
    rows = [
        row
        for path in files
        for row in _snapshot_rows(path)
        if _as_of_in_month(row.values, start, following)
    ]
    _stage_office_rows(con, rows)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE portfolio_fetch_targets AS SELECT registration_id "
        "FROM portfolio.firm_records WHERE month = $month",
        {"month": month},
    )
    params = _snapshot_params(
        month,
        by_as_of=True,
        missing_error=f"not in any office snapshot with as_of in {month:%Y-%m}",
        missing_source="snapshot",
    )
    atomically(
        con,
        lambda: replace_partition(
            con,
            "portfolio.office_snapshot",
            {"month": month},
            load_sql("select_office_snapshot"),
            params,
        ),
    )
    unattributable = [
        f"{r.source} line {r.source_line}: {r.error or 'registration_id is missing'}"
        for r in rows
        if not r.registration_id
    ]
    return SnapshotLoad(
        [p.name for p in files], len(rows), unattributable, fetch_counts(con, month)
    )


def _as_of_in_month(values: dict, start: dt.date, following: dt.date) -> bool:
    code = jurisdiction_code(values.get("jurisdiction"))
    if code is None:
        return True
    try:
        as_of = parse_date(values.get("as_of"), code, "as_of")
    except NormaliseError:
        return True
    return as_of is None or start <= as_of < following


def _snapshot_rows(path: Path) -> list[OfficeRow]:
    fetched_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return [
        OfficeRow(
            registration_id=raw.values.get("registration_id"),
            jurisdiction=raw.values.get("jurisdiction"),
            source=raw.source_file,
            source_line=raw.source_line,
            fetched_at=fetched_at,
            attempts=1,
            error=f"office data: {raw.read_error}" if raw.read_error else None,
            retryable=False,
            values=raw.values,
        )
        for raw in read_records(path, OFFICE_COLUMNS)
    ]


def pending_fetches(
    con: duckdb.DuckDBPyConnection, month: dt.date, refetch_all: bool = False
) -> list[FetchRequest]:
    """What the API must (re)fetch this month: everything not yet succeeded, by priority."""
    rows = con.execute(
        load_sql("select_pending_fetches"), {"month": month, "refetch_all": refetch_all}
    ).fetchall()
    return [FetchRequest(rid, code, int(rank)) for rid, code, rank in rows]


def write_api_results(
    con: duckdb.DuckDBPyConnection, month: dt.date, results: Sequence[FetchResult]
) -> int:
    """Checkpoint a batch of API results: replace just these registrations' rows, atomically."""
    if not results:
        return 0
    rows = [
        OfficeRow(
            registration_id=r.registration_id,
            jurisdiction=r.jurisdiction,
            source="api",
            source_line=None,
            fetched_at=r.fetched_at,
            attempts=r.attempts,
            error=None if r.succeeded else (r.error or "no response"),
            retryable=r.retryable,
            values=_api_values(r),
        )
        for r in results
    ]
    _stage_office_rows(con, rows)
    _write_targets(con, [r.registration_id for r in results])
    params = _snapshot_params(month, by_as_of=False, missing_error="", missing_source="api")

    def write() -> int:
        con.execute(
            "DELETE FROM portfolio.office_snapshot WHERE month = $month AND registration_id IN "
            "(SELECT registration_id FROM portfolio_fetch_targets)",
            {"month": month},
        )
        con.execute(
            f"INSERT INTO portfolio.office_snapshot BY NAME {load_sql('select_office_snapshot')}",
            params,
        )
        return len(rows)

    return atomically(con, write)


def _api_values(result: FetchResult) -> dict[str, str | None]:
    """The office's JSON as record text; the request names the registration and jurisdiction."""
    record = result.record or {}
    values = {c: _api_text(record.get(c)) for c in OFFICE_COLUMNS}
    values["registration_id"] = result.registration_id
    values["jurisdiction"] = values["jurisdiction"] or result.jurisdiction
    if result.succeeded and not values["as_of"]:
        values["as_of"] = result.fetched_at.date().isoformat()
    return values


def _api_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def drop_stale_office_rows(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    """Remove rows of registrations no longer in the month's firm records."""

    stale = (
        "FROM portfolio.office_snapshot WHERE month = $month AND registration_id NOT IN "
        "(SELECT registration_id FROM portfolio.firm_records WHERE month = $month)"
    )

    def write() -> int:
        count = int(scalar(con, f"SELECT count(*) {stale}", {"month": month}) or 0)
        if count:
            con.execute(f"DELETE {stale}", {"month": month})
        return count

    return atomically(con, write)


# ---------------------------------------------------------------- the sweep
def _replace(con, table: str, sql_name: str, month: dt.date, **params) -> int:
    return atomically(
        con,
        lambda: replace_partition(
            con, table, {"month": month}, load_sql(sql_name), {"month": month, **params}
        ),
    )


def build_baseline(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    return _replace(con, "portfolio.baseline", "select_baseline", month)


def build_status_changes(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    return _replace(con, "portfolio.status_changes", "select_status_changes", month)


def sweep_date_for(month: dt.date) -> dt.date:
    """The date a month's sweep is as of: the first of the month (when the schedule runs)."""
    return month.replace(day=1)


def build_renewals_due(
    con: duckdb.DuckDBPyConnection, month: dt.date, horizon_days: int = RENEWAL_HORIZON_DAYS
) -> int:
    sweep = sweep_date_for(month)
    return _replace(
        con,
        "portfolio.renewals_due",
        "select_renewals_due",
        month,
        sweep_date=sweep,
        horizon_end=sweep + dt.timedelta(days=horizon_days),
    )


def build_mismatches(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    return _replace(con, "portfolio.mismatches", "select_mismatches", month)
