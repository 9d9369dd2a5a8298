"""The month's office data: from snapshot files or API results into portfolio.office_snapshot.

Plain functions over a DuckDB connection (no Dagster). Records are normalised in Python (office
date formats and status words), staged, and matched to the firm's registrations in SQL. API
results are normalised as they arrive and staged as Parquet segments (``office_responses``),
which one transaction folds in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.portfolio.logic.office_api import OfficeFetchRequest, OfficeFetchResult
from batch_platform.defs.portfolio.logic.office_vocabulary import (
    NormaliseError,
    jurisdiction_code,
    parse_date,
)
from batch_platform.defs.portfolio.logic.registration_records import (
    OFFICE_COLUMNS,
    normalise_record,
    normalised_columns,
    read_records,
)
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, scalar, stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)

# The staged normalised columns, by the Normalised field each holds.
NORMALISED_FIELDS = {
    "mark": "mark",
    "owner": "owner",
    "office_status": "raw_status",
    "status": "status",
    "filing_date": "filing_date",
    "registration_date": "registration_date",
    "next_renewal_date": "next_renewal_date",
    "classes": "classes",
    "as_of": "as_of",
}


def month_date_range(month: dt.date) -> tuple[dt.date, dt.date]:
    """The month's first day and the first day of the month after it."""
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


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


def _office_rows_table(rows: Sequence[OfficeRow]) -> pa.Table:
    """Office rows normalised, in the columns ``select_office_snapshot.sql`` picks from."""
    normalised = [normalise_record(r.values, office=True) for r in rows]
    errors = []
    for row, record in zip(rows, normalised, strict=True):
        problems = [p for p in record.problems if not p.startswith("registration_id")]
        if row.error:
            errors.append(row.error)
        elif problems:
            errors.append("office data: " + "; ".join(problems))
        else:
            errors.append(None)
    text = pa.string()
    columns = {
        "registration_id": pa.array([r.registration_id for r in rows], text),
        "jurisdiction": pa.array(
            [n.jurisdiction or r.jurisdiction for r, n in zip(rows, normalised, strict=True)], text
        ),
        "source": pa.array([r.source for r in rows], text),
        "source_line": pa.array([r.source_line for r in rows], pa.int64()),
        "fetched_at": pa.array([r.fetched_at for r in rows], pa.timestamp("us")),
        "attempts": pa.array([r.attempts for r in rows], pa.int32()),
        "error": pa.array(errors, text),
        "retryable": pa.array([r.retryable and r.error is not None for r in rows], pa.bool_()),
        **normalised_columns(normalised, NORMALISED_FIELDS),
    }
    return pa.table(columns)


def _stage_office_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[OfficeRow]) -> None:
    stage_rows(con, "portfolio_office_stage", _office_rows_table(rows))


@dataclass(frozen=True)
class FetchCounts:
    registrations: int
    succeeded: int
    failed: int
    retried: int


def fetch_counts(con: duckdb.DuckDBPyConnection, month: dt.date) -> FetchCounts:
    row = con.execute(load_sql("count_office_fetches"), {"month": month}).fetchone()
    return FetchCounts(*(int(v or 0) for v in row))


def fetch_states(con: duckdb.DuckDBPyConnection, month: dt.date) -> list[tuple[str, int]]:
    """(fetch_state, registrations) of the month's office rows, by state."""
    return con.execute(
        load_sql("count_office_snapshot_by_fetch_state"), {"month": month}
    ).fetchall()


def failed_fetches(
    con: duckdb.DuckDBPyConnection, month: dt.date, limit: int
) -> list[tuple[str, str, int, str]]:
    """(registration_id, jurisdiction, attempts, error) of up to ``limit`` failed fetches,
    nearest renewal first."""
    params = {"month": month, "limit": limit}
    return con.execute(load_sql("select_failed_fetches"), params).fetchall()


def _stage_fetch_priority(con: duckdb.DuckDBPyConnection, month: dt.date) -> None:
    con.execute(load_sql("stage_fetch_priority"), {"month": month})


def _snapshot_params(month: dt.date, by_as_of: bool, missing_error: str, missing_source: str):
    start, following = month_date_range(month)
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
    start, following = month_date_range(month)
    # Other months' rows are dropped before the costly normalisation; undated rows stay (the SQL
    # uses them only for registrations with no dated row, to report why they failed).
    rows = [
        row
        for path in files
        for row in _snapshot_rows(path)
        if _as_of_in_month(row.values, start, following)
    ]
    _stage_office_rows(con, rows)
    _stage_fetch_priority(con, month)
    con.execute(load_sql("stage_all_fetch_targets"))
    params = _snapshot_params(
        month,
        by_as_of=True,
        missing_error=f"not in any office snapshot with as_of in {month:%Y-%m}",
        missing_source="snapshot",
    )
    write_partition(
        con,
        "portfolio.office_snapshot",
        {"month": month},
        load_sql("select_office_snapshot"),
        params,
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
    con: duckdb.DuckDBPyConnection,
    month: dt.date,
    refetch_all: bool = False,
    staged_successes: Iterable[str] = (),
) -> list[OfficeFetchRequest]:
    """What the API must (re)fetch this month, by priority: every registration without a
    succeeded row in the warehouse (every registration with ``refetch_all``), less those a staged
    segment already holds a success for. Only reads the warehouse."""
    _stage_fetch_priority(con, month)
    ids = pa.array(sorted(staged_successes), pa.string())
    stage_rows(con, "portfolio_staged_successes", pa.table({"registration_id": ids}))
    rows = con.execute(
        load_sql("select_pending_fetches"), {"month": month, "refetch_all": refetch_all}
    ).fetchall()
    return [OfficeFetchRequest(rid, code, int(rank)) for rid, code, rank in rows]


# The error of a registration that entered the firm records after the fetch step looked.
NOT_FETCHED = "no office API result yet: re-run the month to fetch it"


@dataclass(frozen=True)
class StagedWrite:
    results: int  # staged API results folded in (a registration may have several)
    dropped: int  # rows of registrations no longer in the month's firm records


def write_staged_responses(
    con: duckdb.DuckDBPyConnection, month: dt.date, segments: Sequence[Path]
) -> StagedWrite:
    """Fold staged API results (Parquet segments of :func:`api_result_rows`) into the month's
    office snapshot, in one transaction.

    DuckDB reads the segments. The month is then rewritten at once: a fetched registration gets
    its best result (a success over a failure, then the newest), every other registration still
    in the firm records keeps its row, and rows of registrations no longer there are dropped.
    Nothing is written when nothing is staged and no row is stale. Folding the same segments in
    again writes the same rows.
    """
    stage_rows(con, "portfolio_office_fetched", api_result_rows([]))
    if segments:
        paths = [str(path) for path in segments]
        con.execute(load_sql("stage_fetched_office_rows"), {"segments": paths})
    results = int(scalar(con, "SELECT count(*) FROM portfolio_office_fetched"))
    params = _snapshot_params(
        month, by_as_of=False, missing_error=NOT_FETCHED, missing_source="api"
    )

    def rewrite_month() -> int:
        _stage_fetch_priority(con, month)
        con.execute(load_sql("stage_office_rows_after_fetch"), {"month": month})
        con.execute(load_sql("stage_all_fetch_targets"))
        dropped = int(scalar(con, load_sql("count_stale_office_snapshot"), {"month": month}))
        if results or dropped:
            write_partition(
                con,
                "portfolio.office_snapshot",
                {"month": month},
                load_sql("select_office_snapshot"),
                params,
                in_transaction=True,
            )
        return dropped

    return StagedWrite(results, atomically(con, rewrite_month))


def api_result_rows(results: Sequence[OfficeFetchResult]) -> pa.Table:
    """API results as normalised office rows (what a staged segment holds): ``error`` is null
    exactly when the office answered with usable data."""
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
    return _office_rows_table(rows)


def _api_values(result: OfficeFetchResult) -> dict[str, str | None]:
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
