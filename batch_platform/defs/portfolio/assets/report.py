"""The monthly portfolio health report: a table row, a Markdown file and UI metadata."""

import datetime as dt
from pathlib import Path

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
    HealthReport,
    build_health_report,
    client_file_names,
    clients_table,
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
        check_spec(
            HEALTH_REPORT,
            "report_written",
            "The Markdown report file exists, and one per client when the records name clients.",
        ),
    ],
)
def portfolio_health_report(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """The month's portfolio health report: counts, status changes, renewals due, mismatches,
    registrations that failed to fetch and quarantined firm rows, split per client when the
    firm records name clients (a table of every client's counts, and one report per client in
    <reports>/portfolio_health_<YYYY-MM>/<client>.md). Written to
    <reports>/portfolio_health_<YYYY-MM>.md; its ``summary`` metadata (the one-line summary,
    then a line per client with findings) is what the completion webhook sends. Key: month."""
    month = month_of(context)
    reports_dir = landing.reports_path
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"portfolio_health_{month:%Y-%m}.md"
    with duckdb.get_connection() as con:
        report = build_health_report(con, month)
        path.write_text(report.markdown + "\n", encoding="utf-8")
        client_paths = _write_client_reports(report, reports_dir / path.stem)
        store_health_report(con, report, str(path))
    context.log.info(f"{month:%Y-%m}: {report.summary}; written to {path}")
    totals = report.totals
    per_client: dict = {}
    if report.split_by_client:
        per_client = {
            "client_reports_dir": dg.MetadataValue.path(str(reports_dir / path.stem)),
            "per_client": dg.MetadataValue.md(clients_table(report.clients)),
            "per_client_counts": dg.MetadataValue.json(
                {
                    c.client: {
                        "registrations": c.registrations,
                        "status_changes": c.status_changes,
                        "renewals_due": c.renewals_due,
                        "mismatches": c.mismatches,
                        "failed": c.failed,
                    }
                    for c in report.clients
                }
            ),
        }
    yield dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.text(report.full_summary),
            "report": dg.MetadataValue.md(report.markdown),
            "path": dg.MetadataValue.path(str(path)),
            **totals,
            **per_client,
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
    missing = [p for p in [path, *client_paths] if not p.is_file()]
    yield dg.AssetCheckResult(
        check_name="report_written",
        passed=not missing,
        description=f"missing: {', '.join(str(p) for p in missing)}"
        if missing
        else f"written to {path}"
        + (f" and {len(client_paths)} client reports" if client_paths else ""),
    )


def _write_client_reports(report: HealthReport, folder: Path) -> list[Path]:
    """One file per client in ``folder`` (emptied of the month's older client reports first,
    so a client no longer in the records leaves no stale report)."""
    if folder.is_dir():
        for old in folder.glob("*.md"):
            old.unlink()
    if not report.client_reports:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    names = client_file_names(list(report.client_reports))
    paths = []
    for client, markdown in report.client_reports.items():
        target = folder / names[client]
        target.write_text(markdown + "\n", encoding="utf-8")
        paths.append(target)
    return paths
