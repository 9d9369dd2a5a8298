"""Asset checks that count offending rows: zero passes, anything else says how many and where."""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from batch_platform.lib.warehouse import scalar


def count_check(
    con: duckdb.DuckDBPyConnection,
    *,
    asset_key: dg.AssetKey,
    check_name: str,
    sql: str,
    params: dict[str, Any] | None = None,
    what: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """``sql`` counts the rows that break the rule; ``what`` describes one such row."""
    failing = int(scalar(con, sql, params) or 0)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=failing == 0,
        severity=severity,
        description=f"{failing} {what}" if failing else f"no {what}",
        metadata={"failing_rows": failing},
    )


def check_spec(
    asset_key: dg.AssetKey, name: str, description: str, blocking: bool = False
) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset_key, description=description, blocking=blocking)
