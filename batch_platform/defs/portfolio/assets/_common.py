"""What every asset of the portfolio domain shares: group, owner, kinds, pool, partitions,
and its checks' shapes."""

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck
from batch_platform.defs.common.metadata import stored_asset
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

GROUP = "portfolio"

LANDING_FIRM_RECORDS = dg.AssetKey(["landing", "landing_portfolio_firm_records"])
LANDING_OFFICE = dg.AssetKey(["landing", "landing_portfolio_office_snapshots"])
FIRM_RECORDS = dg.AssetKey(["portfolio", "portfolio_firm_records"])
QUARANTINED_FIRM_ROWS = dg.AssetKey(["quarantine", "quarantine_portfolio_firm_rows"])
# Files, not a table: API responses staged under <warehouse dir>/staging/portfolio/<month>/.
OFFICE_API_RESPONSES = dg.AssetKey(["portfolio", "portfolio_office_api_responses"])
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


def registration_key_unique(
    key: dg.AssetKey,
    table: str,
    description: str = "One row per (month, registration_id).",
    name: str = "key_unique",
) -> KeyUniqueCheck:
    """Every portfolio table holds one row per registration and month (blocking)."""
    return KeyUniqueCheck(
        key, table, ("registration_id",), description, where=MONTH, name=name, blocking=True
    )
