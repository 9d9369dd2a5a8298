"""The month's office data: from snapshot files or API results into portfolio.office_snapshot.

Plain functions over a DuckDB connection (no Dagster). Records are normalised in Python (office
date formats and status words), staged, and matched to the firm's registrations in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.defs.portfolio.logic.office_api import FetchRequest, FetchResult
from batch_platform.defs.portfolio.logic.office_vocabulary import (
    NormaliseError,
    jurisdiction_code,
    parse_date,
)
from batch_platform.defs.portfolio.logic.records import OFFICE_COLUMNS, normalise, read_records
from batch_platform.defs.portfolio.logic.transforms import load_sql, month_bounds, stage_table
from batch_platform.lib.warehouse import atomically, replace_partition, scalar


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
    stage_table(
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
    stage_table(con, "portfolio_fetch_targets", {"registration_id": ("varchar", list(ids))})


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
