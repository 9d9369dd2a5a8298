"""The month's findings: baseline, status changes, renewals due and mismatches."""

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import duckdb as ddb

from batch_platform.defs.common.checks import (
    check_spec,
    count_check,
    key_unique_check,
    key_unique_spec,
)
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.portfolio.assets._common import (
    BASELINE,
    FIRM_RECORDS,
    MISMATCHES,
    MONTH,
    OFFICE_SNAPSHOT,
    RENEWALS_DUE,
    STATUS_CHANGES,
    monthly_table,
)
from batch_platform.defs.portfolio.logic.office_vocabulary import CANONICAL_STATUSES
from batch_platform.defs.portfolio.logic.sweep_tables import (
    RENEWAL_HORIZON_DAYS,
    build_baseline,
    build_mismatches,
    build_renewals_due,
    build_status_changes,
)
from batch_platform.defs.portfolio.partitions import month_of
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)
PREVIOUS_MONTH = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)
KEY_DESCRIPTION = "One row per (month, registration_id)."


@dataclass(frozen=True)
class RowRule:
    """A check beyond the key: ``sql/<sql_name>.sql`` counts the month's rows breaking it."""

    check_name: str
    sql_name: str
    what: str
    params: Mapping[str, Any] = field(default_factory=dict)


def _sweep_step(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    *,
    key: dg.AssetKey,
    table: str,
    build: Callable[[ddb.DuckDBPyConnection, dt.date], int],
    log: Callable[[dt.date, int], None],
    preview_rows: int = 20,
    extra_metadata: Callable[[ddb.DuckDBPyConnection, dict], dict] | None = None,
    rule: RowRule | None = None,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """What every sweep asset does: build the month's rows, describe them, check the key (and
    ``rule``)."""
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        log(month, build(con, month))
        metadata = table_metadata(con, table, MONTH, params, preview_rows=preview_rows)
        if extra_metadata:
            metadata |= extra_metadata(con, params)
        yield dg.MaterializeResult(metadata=metadata)
        yield key_unique_check(
            con,
            asset_key=key,
            table=table,
            key_columns=["registration_id"],
            where=MONTH,
            params=params,
        )
        if rule:
            yield count_check(
                con,
                asset_key=key,
                check_name=rule.check_name,
                sql=load_sql(rule.sql_name),
                params=params | dict(rule.params),
                what=rule.what,
            )


@dg.asset(
    key=BASELINE,
    # Lineage to last month's snapshot; the SQL falls back to older months where it failed.
    deps=[dg.AssetDep(OFFICE_SNAPSHOT, partition_mapping=PREVIOUS_MONTH), FIRM_RECORDS],
    **monthly_table("clean"),
    check_specs=[key_unique_spec(BASELINE, KEY_DESCRIPTION, blocking=True)],
)
def baseline(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Last month's office snapshot: per registration, the latest successful office record of
    an earlier month (normally the month before; older when last month's fetch failed).
    Key: (month, registration_id)."""

    def log(month: dt.date, rows: int) -> None:
        context.log.info(f"{month:%Y-%m}: baseline for {rows:,} registrations")
        if rows == 0:
            context.log.warning(f"{month:%Y-%m}: no earlier office data; no status changes")

    def observed_months(con: ddb.DuckDBPyConnection, params: dict) -> dict:
        observed = con.execute(load_sql("count_baseline_by_observed_month"), params).fetchall()
        return {"observed_months": ", ".join(f"{m:%Y-%m}: {n:,}" for m, n in observed) or "none"}

    yield from _sweep_step(
        context,
        duckdb,
        key=BASELINE,
        table="portfolio.baseline",
        build=build_baseline,
        log=log,
        preview_rows=5,
        extra_metadata=observed_months,
    )


@dg.asset(
    key=STATUS_CHANGES,
    deps=[OFFICE_SNAPSHOT, BASELINE],
    **monthly_table("findings"),
    check_specs=[
        key_unique_spec(STATUS_CHANGES, KEY_DESCRIPTION, blocking=True),
        check_spec(STATUS_CHANGES, "statuses_canonical", "Both statuses are canonical and differ."),
    ],
)
def status_changes(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Registrations whose office status (canonical) differs from the baseline's.
    Key: (month, registration_id)."""
    yield from _sweep_step(
        context,
        duckdb,
        key=STATUS_CHANGES,
        table="portfolio.status_changes",
        build=build_status_changes,
        log=lambda month, rows: context.log.info(f"{month:%Y-%m}: {rows} status change(s)"),
        rule=RowRule(
            "statuses_canonical",
            "count_noncanonical_status_changes",
            "changes with a non-canonical or unchanged status",
            {"statuses": list(CANONICAL_STATUSES)},
        ),
    )


@dg.asset(
    key=RENEWALS_DUE,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=[
        key_unique_spec(RENEWALS_DUE, KEY_DESCRIPTION, blocking=True),
        check_spec(
            RENEWALS_DUE,
            "within_horizon",
            f"Every renewal is at most {RENEWAL_HORIZON_DAYS} days after the sweep date.",
        ),
    ],
)
def renewals_due(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Registered marks whose next renewal is within 90 days of the sweep date (the 1st of the
    month), overdue ones included: the office's date, or the firm's when the office gives none.
    Key: (month, registration_id)."""

    def date_sources(con: ddb.DuckDBPyConnection, params: dict) -> dict:
        sources = dict(
            con.execute(load_sql("count_renewals_due_by_date_source"), params).fetchall()
        )
        return {
            "from_office": int(sources.get("office", 0)),
            "from_firm_records": int(sources.get("firm_records", 0)),
        }

    yield from _sweep_step(
        context,
        duckdb,
        key=RENEWALS_DUE,
        table="portfolio.renewals_due",
        build=build_renewals_due,
        log=lambda month, rows: context.log.info(
            f"{month:%Y-%m}: {rows} renewal(s) due within {RENEWAL_HORIZON_DAYS} days"
        ),
        extra_metadata=date_sources,
        rule=RowRule(
            "within_horizon",
            "count_renewals_beyond_horizon",
            "renewals beyond the horizon",
            {"horizon": RENEWAL_HORIZON_DAYS},
        ),
    )


@dg.asset(
    key=MISMATCHES,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=[
        key_unique_spec(MISMATCHES, KEY_DESCRIPTION, blocking=True),
        check_spec(
            MISMATCHES,
            "fields_named",
            "Every mismatch names at least one differing field among owner, status and "
            "next_renewal_date.",
        ),
    ],
)
def mismatches(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Registrations where the office's owner, status or next renewal date differs from the
    firm's record, with the differing fields. Key: (month, registration_id)."""
    yield from _sweep_step(
        context,
        duckdb,
        key=MISMATCHES,
        table="portfolio.mismatches",
        build=build_mismatches,
        log=lambda month, rows: context.log.info(
            f"{month:%Y-%m}: {rows} mismatch(es) between office and firm records"
        ),
        rule=RowRule(
            "fields_named",
            "count_mismatches_without_fields",
            "mismatches without valid differing fields",
        ),
    )
