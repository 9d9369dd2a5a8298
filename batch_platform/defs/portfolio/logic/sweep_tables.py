"""The monthly sweep's tables: baseline, status changes, renewals due and mismatches, each one
SQL statement in ``sql/`` that replaces the month's partition. No Dagster here."""

from __future__ import annotations

import datetime as dt

import duckdb

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import write_partition

load_sql = SqlFolder.of_domain(__file__)
RENEWAL_HORIZON_DAYS = 90


def build_baseline(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    params = {"month": month}
    return write_partition(con, "portfolio.baseline", params, load_sql("select_baseline"), params)


def build_status_changes(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    params = {"month": month}
    sql = load_sql("select_status_changes")
    return write_partition(con, "portfolio.status_changes", params, sql, params)


def sweep_date_for(month: dt.date) -> dt.date:
    """The date a month's sweep is as of: the first of the month (when the schedule runs)."""
    return month.replace(day=1)


def build_renewals_due(
    con: duckdb.DuckDBPyConnection, month: dt.date, horizon_days: int = RENEWAL_HORIZON_DAYS
) -> int:
    sweep = sweep_date_for(month)
    params = {
        "month": month,
        "sweep_date": sweep,
        "horizon_end": sweep + dt.timedelta(days=horizon_days),
    }
    sql = load_sql("select_renewals_due")
    return write_partition(con, "portfolio.renewals_due", {"month": month}, sql, params)


def build_mismatches(con: duckdb.DuckDBPyConnection, month: dt.date) -> int:
    params = {"month": month}
    sql = load_sql("select_mismatches")
    return write_partition(con, "portfolio.mismatches", params, sql, params)
