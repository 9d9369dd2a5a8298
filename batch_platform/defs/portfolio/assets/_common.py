"""What every asset of the portfolio domain shares: group, owner, kinds, pool, partitions,
and its checks' shapes."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import duckdb

from batch_platform.defs.common.checks import check_spec, count_check, key_unique_check
from batch_platform.defs.common.resources import WAREHOUSE_POOL
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

OWNERS = ["team:data-platform"]
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
    return {
        "group_name": GROUP,
        "kinds": {"duckdb"},
        "owners": OWNERS,
        "tags": {"layer": layer},
        "pool": WAREHOUSE_POOL,
        "partitions_def": portfolio_months,
    }


MONTH = "month = $month"


@dataclass(frozen=True)
class RowRule:
    """An asset check counting the month's rows that break a rule: ``sql/<sql_name>.sql`` takes
    ``$month`` and ``params``. Declared once, for both the check's spec and its result."""

    check_name: str
    description: str
    sql_name: str
    what: str  # an offending row, as the check's result names it
    params: Mapping[str, Any] = field(default_factory=dict)
    blocking: bool = False

    def spec(self, key: dg.AssetKey) -> dg.AssetCheckSpec:
        return check_spec(key, self.check_name, self.description, blocking=self.blocking)

    def check(self, con: duckdb.DuckDBPyConnection, key: dg.AssetKey, month: dt.date):
        return count_check(
            con,
            asset_key=key,
            check_name=self.check_name,
            sql=load_sql(self.sql_name),
            params={"month": month, **self.params},
            what=self.what,
        )


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
