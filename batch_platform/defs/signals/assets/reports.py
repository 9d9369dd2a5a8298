"""The daily pipeline report, as a table, a Markdown file and UI metadata."""

import dagster as dg

from batch_platform.defs.common.checks import RowCountCheck, check_spec
from batch_platform.defs.common.metadata import OWNERS, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import multi_asset_over
from batch_platform.defs.signals.assets._windows import windows_of_run
from batch_platform.defs.signals.assets.rollups import ALL_FILES, DAILY_USAGE, WEB_SESSIONS
from batch_platform.defs.signals.assets.scores import LEAD_SCORES
from batch_platform.defs.signals.logic.pipeline_report import write_pipeline_report
from batch_platform.defs.signals.partitions import daily_partitions
from batch_platform.lib.charts import bar_chart_png, markdown_image
from batch_platform.lib.sql_files import SqlFolder

PIPELINE_REPORT = dg.AssetKey(["reports", "reports_daily_pipeline_report"])
FILE_ACCOUNTING = dg.AssetKey(["reports", "reports_file_accounting"])
load_sql = SqlFolder.of_domain(__file__)
FILES_BALANCE = RowCountCheck(
    FILE_ACCOUNTING,
    "rows_balance",
    "For every file, rows in = cleaned + duplicates + quarantined.",
    load_sql("check_file_accounting_balances"),
    "files whose rows do not balance",
    blocking=True,
)


def report_chart(report) -> bytes:
    """Where the day's rows went, and how many contacts reached the MQL threshold."""
    totals = report.totals
    labels = ["cleaned", "duplicate", "quarantined", "scored", "MQLs"]
    keys = ["rows_cleaned", "rows_duplicate", "rows_quarantined", "contacts_scored", "mqls"]
    return bar_chart_png(
        f"Pipeline {report.report_date.isoformat()}", labels, [totals[k] for k in keys], "count"
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PIPELINE_REPORT,
            deps=[LEAD_SCORES, WEB_SESSIONS, DAILY_USAGE, ALL_FILES],
            description="Daily report: rows in / cleaned / duplicates / quarantined, score "
            "distribution, top movers and data delay. Also written to <reports>/.",
            kinds={"duckdb", "markdown"},
            owners=OWNERS,
            tags={"layer": "reports"},
        ),
        table_spec(
            FILE_ACCOUNTING,
            "Row accounting per landed file as of the report day.",
            deps=[ALL_FILES],
            layer="reports",
        ),
    ],
    check_specs=[
        FILES_BALANCE.spec(),
        check_spec(PIPELINE_REPORT, "report_written", "The Markdown report file exists."),
    ],
    **multi_asset_over(daily_partitions),
)
def daily_pipeline_report(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Build the report for each day of the run and write it as Markdown."""
    windows = windows_of_run(context, daily_partitions)
    reports_dir = landing.reports_path
    reports_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.get_connection() as con:
        written = []
        for window in windows:
            report = write_pipeline_report(con, window)
            path = reports_dir / f"pipeline_report_{window.day.isoformat()}.md"
            chart = report_chart(report)
            path.with_suffix(".png").write_bytes(chart)
            path.write_text(
                f"{report.markdown}\n\n![rows and scores]({path.with_suffix('.png').name})\n",
                encoding="utf-8",
            )
            written.append(path)
            if report.data_delay_hours is None or report.data_delay_hours > 48:
                context.log.warning(
                    f"{window.day}: data is late — newest event {report.newest_event_at}, "
                    f"{report.data_delay_hours} hours before the end of the day"
                )
        yield dg.MaterializeResult(
            asset_key=PIPELINE_REPORT,
            metadata={
                "report": dg.MetadataValue.md(report.markdown),
                "chart": dg.MetadataValue.md(markdown_image(chart, "rows and scores")),
                "path": dg.MetadataValue.path(str(written[-1])),
                "data_delay_hours": report.data_delay_hours,
                "unmapped_rows": sum(v.rows for v in report.unmapped),
                **{k: v for k, v in report.totals.items()},
                "dagster/row_count": len(windows),
            },
        )
        yield dg.MaterializeResult(
            asset_key=FILE_ACCOUNTING, metadata={"files": report.totals["files_loaded"]}
        )
        days = {"first": windows[0].day, "last": windows[-1].day}
        yield FILES_BALANCE.evaluate(con, days)
        missing = [str(p) for p in written if not p.is_file()]
        yield dg.AssetCheckResult(
            asset_key=PIPELINE_REPORT,
            check_name="report_written",
            passed=not missing,
            description=f"missing: {', '.join(missing)}" if missing else "report files written",
        )
