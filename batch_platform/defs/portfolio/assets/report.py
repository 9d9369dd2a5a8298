"""The monthly portfolio health report: a table row, a Markdown file and UI metadata."""

import datetime as dt

import dagster as dg

from batch_platform.defs.common.checks import check_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.portfolio.assets._common import (
    HEALTH_REPORT,
    MISMATCHES,
    OFFICE_SNAPSHOT,
    QUARANTINED_FIRM_ROWS,
    RENEWALS_DUE,
    STATUS_CHANGES,
    monthly_table,
)
from batch_platform.defs.portfolio.logic.health_report import (
    build_health_report,
    store_health_report,
)
from batch_platform.defs.portfolio.partitions import month_of


@dg.asset(
    key=HEALTH_REPORT,
    deps=[STATUS_CHANGES, RENEWALS_DUE, MISMATCHES, OFFICE_SNAPSHOT, QUARANTINED_FIRM_ROWS],
    **(monthly_table("reports") | {"kinds": {"duckdb", "markdown"}}),
    # The report of the month is due on the 1st; a month and two days without one fails.
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=33)),
    check_specs=[
        check_spec(
            HEALTH_REPORT,
            "counts_reconcile",
            "Registrations = fetched + failed in the report.",
            blocking=True,
        ),
        check_spec(HEALTH_REPORT, "report_written", "The Markdown report file exists."),
    ],
)
def portfolio_health_report(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """The month's portfolio health report: counts, status changes, renewals due, mismatches,
    registrations that failed to fetch and quarantined firm rows. Written to
    <reports>/portfolio_health_<YYYY-MM>.md; its one-line ``summary`` metadata is what the
    delivery domain's completion webhook sends. Key: month."""
    month = month_of(context)
    reports_dir = landing.reports_path
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"portfolio_health_{month:%Y-%m}.md"
    with duckdb.get_connection() as con:
        report = build_health_report(con, month)
        path.write_text(report.markdown + "\n", encoding="utf-8")
        store_health_report(con, report, str(path))
    context.log.info(f"{month:%Y-%m}: {report.summary}; written to {path}")
    totals = report.totals
    yield dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.text(report.summary),
            "report": dg.MetadataValue.md(report.markdown),
            "path": dg.MetadataValue.path(str(path)),
            **totals,
            "dagster/row_count": 1,
        }
    )
    unreconciled = totals["registrations"] - totals["fetched"] - totals["failed"]
    yield dg.AssetCheckResult(
        check_name="counts_reconcile",
        passed=unreconciled == 0,
        description=f"{totals['registrations']:,} registrations = {totals['fetched']:,} fetched "
        f"+ {totals['failed']:,} failed"
        + ("" if unreconciled == 0 else f" (off by {unreconciled:,})"),
        metadata={"unreconciled": unreconciled},
    )
    yield dg.AssetCheckResult(
        check_name="report_written",
        passed=path.is_file(),
        description=f"written to {path}" if path.is_file() else f"missing: {path}",
    )
