"""Asset checks that count offending rows: zero passes, anything else says how many and where."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import duckdb

from batch_platform.lib.warehouse import checked_table, quote_ident, scalar


def count_check(
    con: duckdb.DuckDBPyConnection,
    *,
    asset_key: dg.AssetKey,
    check_name: str,
    sql: str,
    params: Mapping[str, Any] | None = None,
    what: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """``sql`` counts the rows that break the rule; ``what`` describes one such row."""
    return counted_check_result(
        asset_key=asset_key,
        check_name=check_name,
        failing_by_partition={"": int(scalar(con, sql, params) or 0)},
        what=what,
        severity=severity,
    )


def partitions_count_check(
    con: duckdb.DuckDBPyConnection,
    *,
    asset_key: dg.AssetKey,
    check_name: str,
    sql: str,
    partition_keys: Sequence[str],
    what: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """One query for all partitions of a run: ``sql`` takes ``$partition_keys`` (a list) and
    returns ``(partition_key, offending rows)`` for the partitions that have any."""
    failing = dict.fromkeys(partition_keys, 0)
    for key, count in con.execute(sql, {"partition_keys": list(partition_keys)}).fetchall():
        failing[key] = int(count)
    return counted_check_result(
        asset_key=asset_key,
        check_name=check_name,
        failing_by_partition=failing,
        what=what,
        severity=severity,
    )


def counted_check_result(
    *,
    asset_key: dg.AssetKey,
    check_name: str,
    failing_by_partition: Mapping[str, int],
    what: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """Pass when no partition has an offending row; say how many there are and where."""
    failing = sum(failing_by_partition.values())
    where = [key for key, count in failing_by_partition.items() if count and key]
    metadata: dict[str, Any] = {"failing_rows": failing}
    if len(failing_by_partition) > 1:
        metadata["partitions_checked"] = len(failing_by_partition)
    if where:
        metadata["failing_partitions"] = ", ".join(where[:20]) + (" …" if len(where) > 20 else "")
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=failing == 0,
        severity=severity,
        description=f"{failing} {what}" if failing else f"no {what}",
        metadata=metadata,
    )


def check_spec(
    asset_key: dg.AssetKey, name: str, description: str, blocking: bool = False
) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset_key, description=description, blocking=blocking)


@dataclass(frozen=True)
class KeyUniqueCheck:
    """The check every table has: its key is unique within the rows a run wrote (``where``, with
    the run's parameters). Declared once, for the check's spec and its evaluation."""

    asset_key: dg.AssetKey
    table: str
    key_columns: tuple[str, ...]
    description: str  # what the key is, as the UI shows it
    where: str = "true"
    name: str = "key_unique"
    blocking: bool = False

    def spec(self) -> dg.AssetCheckSpec:
        return check_spec(self.asset_key, self.name, self.description, blocking=self.blocking)

    def evaluate(
        self, con: duckdb.DuckDBPyConnection, params: Mapping[str, Any] | None = None
    ) -> dg.AssetCheckResult:
        """Rows beyond the first for any key value: zero passes."""
        table = checked_table(self.table)
        columns = ", ".join(quote_ident(column) for column in self.key_columns)
        return count_check(
            con,
            asset_key=self.asset_key,
            check_name=self.name,
            sql=f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {table} "
            f"WHERE {self.where} GROUP BY {columns} HAVING count(*) > 1)",
            params=params,
            what=f"rows repeating a key ({', '.join(self.key_columns)}) of {table}",
        )


@dataclass(frozen=True)
class RowCountCheck:
    """An asset check whose ``sql`` counts the rows that break a rule: zero passes. Declared
    once, so the check's spec and its evaluation cannot drift apart."""

    asset_key: dg.AssetKey
    name: str
    description: str
    sql: str  # counts offending rows; binds the run's parameters and ``params``
    what: str  # one offending row, as the check's result names it
    blocking: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)

    def spec(self) -> dg.AssetCheckSpec:
        return check_spec(self.asset_key, self.name, self.description, blocking=self.blocking)

    def evaluate(
        self, con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]
    ) -> dg.AssetCheckResult:
        return count_check(
            con,
            asset_key=self.asset_key,
            check_name=self.name,
            sql=self.sql,
            params={**params, **self.params},
            what=self.what,
        )
