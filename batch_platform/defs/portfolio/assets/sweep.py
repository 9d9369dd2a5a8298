"""The month's findings: baseline, status changes, renewals due and mismatches."""

import datetime as dt
from collections.abc import Callable, Iterator

import dagster as dg
import duckdb as ddb

from batch_platform.defs.common.checks import RowCountCheck
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
    load_sql,
    monthly_table,
    registration_key_unique,
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

PREVIOUS_MONTH = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)
STATUSES_CANONICAL = RowCountCheck(
    STATUS_CHANGES,
    "statuses_canonical",
    "Both statuses are canonical and differ.",
    load_sql("count_noncanonical_status_changes"),
    "changes with a non-canonical or unchanged status",
    params={"statuses": list(CANONICAL_STATUSES)},
)
WITHIN_HORIZON = RowCountCheck(
    RENEWALS_DUE,
    "within_horizon",
    f"Every renewal is at most {RENEWAL_HORIZON_DAYS} days after the sweep date.",
    load_sql("count_renewals_beyond_horizon"),
    "renewals beyond the horizon",
    params={"horizon": RENEWAL_HORIZON_DAYS},
)
FIELDS_NAMED = RowCountCheck(
    MISMATCHES,
    "fields_named",
    "Every mismatch names at least one differing field among owner, status and next_renewal_date.",
    load_sql("count_mismatches_without_fields"),
    "mismatches without valid differing fields",
)


KEY_CHECKS = {
    key: registration_key_unique(key, table)
    for key, table in [
        (BASELINE, "portfolio.baseline"),
        (STATUS_CHANGES, "portfolio.status_changes"),
        (RENEWALS_DUE, "portfolio.renewals_due"),
        (MISMATCHES, "portfolio.mismatches"),
    ]
}


def _check_specs(key: dg.AssetKey, rule: RowCountCheck | None = None) -> list[dg.AssetCheckSpec]:
    key_spec = KEY_CHECKS[key].spec()
    return [key_spec, rule.spec()] if rule else [key_spec]


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
    rule: RowCountCheck | None = None,
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
        yield KEY_CHECKS[key].evaluate(con, params)
        if rule:
            yield rule.evaluate(con, params)


@dg.asset(
    key=BASELINE,
    # Lineage to last month's snapshot; the SQL falls back to older months where it failed.
    deps=[dg.AssetDep(OFFICE_SNAPSHOT, partition_mapping=PREVIOUS_MONTH), FIRM_RECORDS],
    **monthly_table("clean"),
    check_specs=_check_specs(BASELINE),
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
    check_specs=_check_specs(STATUS_CHANGES, STATUSES_CANONICAL),
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
        rule=STATUSES_CANONICAL,
    )


@dg.asset(
    key=RENEWALS_DUE,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=_check_specs(RENEWALS_DUE, WITHIN_HORIZON),
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
        rule=WITHIN_HORIZON,
    )


@dg.asset(
    key=MISMATCHES,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=_check_specs(MISMATCHES, FIELDS_NAMED),
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
        rule=FIELDS_NAMED,
    )
