"""What every asset of the portfolio domain shares: group, owner, kinds, pool, partitions,
and its checks' shapes."""

import datetime as dt

import dagster as dg
import duckdb

from batch_platform.defs.common.checks import key_unique_check
from batch_platform.defs.common.metadata import stored_asset
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

GROUP = "portfolio"

LANDING_FIRM_RECORDS = dg.AssetKey(["landing", "landing_portfolio_firm_records"])
LANDING_OFFICE = dg.AssetKey(["landing", "landing_portfolio_office_snapshots"])
FIRM_RECORDS = dg.AssetKey(["portfolio", "portfolio_firm_records"])
QUARANTINED_FIRM_ROWS = dg.AssetKey(["quarantine", "quarantine_portfolio_firm_rows"])
OFFICE_SNAPSHOT = dg.AssetKey(["portfolio", "portfolio_office_snapshot"])
BASELINE = dg.AssetKey(["portfolio", "portfolio_baseline"])
STATUS_CHANGES = dg.AssetKey(["portfolio", "portfolio_status_changes"])
RENEWALS_DUE = dg.AssetKey(["portfolio", "portfolio_renewals_due"])
MISMATCHES = dg.AssetKey(["portfolio", "portfolio_mismatches"])
HEALTH_REPORT = dg.AssetKey(["reports", "reports_portfolio_health_report"])


def monthly_table(layer: str) -> dict:
    """Decorator arguments of a monthly-partitioned asset stored as a DuckDB table."""
    return stored_asset(GROUP, layer) | {"partitions_def": portfolio_months}


MONTH = "month = $month"


def registration_id_unique(
    con: duckdb.DuckDBPyConnection,
    key: dg.AssetKey,
    table: str,
    month: dt.date,
    check_name: str = "key_unique",
) -> dg.AssetCheckResult:
    """Every portfolio table holds one row per registration and month."""
    return key_unique_check(
        con,
        asset_key=key,
        check_name=check_name,
        table=table,
        key_columns=["registration_id"],
        where=MONTH,
        params={"month": month},
    )
