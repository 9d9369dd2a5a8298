"""The portfolio health check's transformations: plain functions over a DuckDB connection.

Firm records and the sweep (baseline, status changes, renewals, mismatches) are here; office data
is in ``office_data.py``. No Dagster here. Python reads and normalises records (office date
formats and status words need the per-jurisdiction reference); DuckDB SQL in ``sql/`` does the
set logic. Each write replaces rows inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.portfolio.logic.records import (
    FIRM_COLUMNS,
    RawRecord,
    is_record_file,
    normalise,
    read_records,
)
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, replace_partition

load_sql = SqlFolder.of_domain(__file__)
RENEWAL_HORIZON_DAYS = 90


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def ignored_files(directory: Path) -> list[str]:
    """Visible files in ``directory`` that are not CSV/JSONL (and so are not read)."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name
        for p in directory.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and not p.name.endswith(".done")
        and not is_record_file(p.name)
    )


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


def stage_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list]]
) -> None:
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
    stage_table(con, "portfolio_firm_stage", columns)
    con.execute(load_sql("stage_ranked_firm_rows"))
    params = {"month": month}

    def write() -> tuple[int, int]:
        valid = replace_partition(
            con,
            "portfolio.firm_records",
            {"month": month},
            load_sql("select_firm_records"),
            params,
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
