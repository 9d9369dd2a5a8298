"""What every asset of the portfolio domain shares: group, owner, kinds, pool, partitions."""

import dagster as dg

from batch_platform.defs.common.resources import WAREHOUSE_POOL
from batch_platform.defs.portfolio.partitions import portfolio_months

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
