"""Loading the month's firm records: valid rows into portfolio.firm_records, the rest into
quarantine.portfolio_firm_rows with every reason. No Dagster here.

Python reads and normalises the records (office date formats and status words need the
per-jurisdiction reference); the SQL in ``sql/`` ranks duplicates and splits the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.portfolio.logic.registration_records import (
    FIRM_COLUMNS,
    NO_CLIENT,
    OPTIONAL_FIRM_COLUMNS,
    RawRecord,
    normalise_record,
    normalised_columns,
    read_records,
)
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)

# The staged normalised columns (n_<field>) beside the text as read.
NORMALISED_FIELDS = (
    "jurisdiction",
    "status",
    "filing_date",
    "registration_date",
    "next_renewal_date",
    "classes",
)


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
    rows: list[RawRecord] = [
        r for path in files for r in read_records(path, FIRM_COLUMNS, OPTIONAL_FIRM_COLUMNS)
    ]
    normalised = [normalise_record(r.values, office=False) for r in rows]
    text = pa.string()
    columns = {
        "source_file": pa.array([r.source_file for r in rows], text),
        "source_line": pa.array([r.source_line for r in rows], pa.int64()),
        **{
            name: pa.array([r.values.get(name) for r in rows], text)
            for name in (*FIRM_COLUMNS, *OPTIONAL_FIRM_COLUMNS)
        },
        **normalised_columns(normalised, {f"n_{name}": name for name in NORMALISED_FIELDS}),
        "problems": pa.array(
            [
                # A row that could not be read says only that; its field errors follow from it.
                r.read_error or "; ".join(n.problems) or None
                for r, n in zip(rows, normalised, strict=True)
            ],
            text,
        ),
    }
    stage_rows(con, "portfolio_firm_stage", pa.table(columns))
    con.execute(load_sql("stage_ranked_firm_rows"))
    params = {"month": month}
    valid_params = params | {"no_client": NO_CLIENT}

    # Valid and quarantined rows change together: a reader never sees one without the other.
    def write() -> tuple[int, int]:
        valid = write_partition(
            con,
            "portfolio.firm_records",
            params,
            load_sql("select_firm_records"),
            valid_params,
            in_transaction=True,
        )
        quarantined = write_partition(
            con,
            "quarantine.portfolio_firm_rows",
            params,
            load_sql("select_quarantined_firm_rows"),
            params,
            in_transaction=True,
        )
        return valid, quarantined

    valid, quarantined = atomically(con, write)
    return FirmLoad([p.name for p in files], len(rows), valid, quarantined)
