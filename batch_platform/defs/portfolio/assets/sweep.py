"""The month's findings: baseline, status changes, renewals due and mismatches."""

import dagster as dg

from batch_platform.defs.common.checks import check_spec, count_check
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
from batch_platform.defs.portfolio.logic.transforms import (
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


def _key_unique_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return check_spec(key, "key_unique", "One row per (month, registration_id).", blocking=True)


def _key_unique(con, key: dg.AssetKey, table: str, params: dict) -> dg.AssetCheckResult:
    return count_check(
        con,
        asset_key=key,
        check_name="key_unique",
        sql=f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE month = $month "
        "GROUP BY registration_id HAVING count(*) > 1)",
        params=params,
        what="repeated (month, registration_id) keys",
    )


@dg.asset(
    key=BASELINE,
    # Lineage to last month's snapshot; the SQL falls back to older months where it failed.
    deps=[dg.AssetDep(OFFICE_SNAPSHOT, partition_mapping=PREVIOUS_MONTH), FIRM_RECORDS],
    **monthly_table("clean"),
    check_specs=[_key_unique_spec(BASELINE)],
)
def baseline(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Last month's office snapshot: per registration, the latest successful office record of
    an earlier month (normally the month before; older when last month's fetch failed).
    Key: (month, registration_id)."""
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        rows = build_baseline(con, month)
        context.log.info(f"{month:%Y-%m}: baseline for {rows:,} registrations")
        if rows == 0:
            context.log.warning(f"{month:%Y-%m}: no earlier office data; no status changes")
        observed = con.execute(
            "SELECT observed_month, count(*) FROM portfolio.baseline WHERE month = $month "
            "GROUP BY ALL ORDER BY 1 DESC",
            params,
        ).fetchall()
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "portfolio.baseline", MONTH, params)
            | {"observed_months": ", ".join(f"{m:%Y-%m}: {n:,}" for m, n in observed) or "none"}
        )
        yield _key_unique(con, BASELINE, "portfolio.baseline", params)


@dg.asset(
    key=STATUS_CHANGES,
    deps=[OFFICE_SNAPSHOT, BASELINE],
    **monthly_table("findings"),
    check_specs=[
        _key_unique_spec(STATUS_CHANGES),
        check_spec(STATUS_CHANGES, "statuses_canonical", "Both statuses are canonical and differ."),
    ],
)
def status_changes(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Registrations whose office status (canonical) differs from the baseline's.
    Key: (month, registration_id)."""
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        rows = build_status_changes(con, month)
        context.log.info(f"{month:%Y-%m}: {rows} status change(s)")
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "portfolio.status_changes", MONTH, params, preview_rows=20)
        )
        yield _key_unique(con, STATUS_CHANGES, "portfolio.status_changes", params)
        yield count_check(
            con,
            asset_key=STATUS_CHANGES,
            check_name="statuses_canonical",
            sql="SELECT count(*) FROM portfolio.status_changes WHERE month = $month AND ("
            "previous_status = current_status OR NOT list_contains($statuses, previous_status) "
            "OR NOT list_contains($statuses, current_status))",
            params=params | {"statuses": list(CANONICAL_STATUSES)},
            what="changes with a non-canonical or unchanged status",
        )


@dg.asset(
    key=RENEWALS_DUE,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=[
        _key_unique_spec(RENEWALS_DUE),
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
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        rows = build_renewals_due(con, month)
        context.log.info(f"{month:%Y-%m}: {rows} renewal(s) due within {RENEWAL_HORIZON_DAYS} days")
        sources = dict(
            con.execute(
                "SELECT date_source, count(*) FROM portfolio.renewals_due WHERE month = $month "
                "GROUP BY ALL",
                params,
            ).fetchall()
        )
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "portfolio.renewals_due", MONTH, params, preview_rows=20)
            | {
                "from_office": int(sources.get("office", 0)),
                "from_firm_records": int(sources.get("firm_records", 0)),
            }
        )
        yield _key_unique(con, RENEWALS_DUE, "portfolio.renewals_due", params)
        yield count_check(
            con,
            asset_key=RENEWALS_DUE,
            check_name="within_horizon",
            sql="SELECT count(*) FROM portfolio.renewals_due WHERE month = $month "
            "AND days_until > $horizon",
            params=params | {"horizon": RENEWAL_HORIZON_DAYS},
            what="renewals beyond the horizon",
        )


@dg.asset(
    key=MISMATCHES,
    deps=[FIRM_RECORDS, OFFICE_SNAPSHOT],
    **monthly_table("findings"),
    check_specs=[
        _key_unique_spec(MISMATCHES),
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
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        rows = build_mismatches(con, month)
        context.log.info(f"{month:%Y-%m}: {rows} mismatch(es) between office and firm records")
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "portfolio.mismatches", MONTH, params, preview_rows=20)
        )
        yield _key_unique(con, MISMATCHES, "portfolio.mismatches", params)
        yield count_check(
            con,
            asset_key=MISMATCHES,
            check_name="fields_named",
            sql="SELECT count(*) FROM portfolio.mismatches WHERE month = $month AND ("
            "len(differing_fields) = 0 OR NOT list_has_all("
            "['owner', 'status', 'next_renewal_date'], differing_fields))",
            params=params,
            what="mismatches without valid differing fields",
        )
