"""The daily pipeline report: row accounting per file, score distribution, top movers, delay,
and the event types and sources in no list of the reference data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.defs.signals.logic.unmapped_values import (
    UnmappedValue,
    unmapped_table,
    unmapped_values,
)
from batch_platform.defs.signals.logic.utc_window import Window
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import scalar, write_partition

load_sql = SqlFolder.of_domain(__file__)

MAX_FILES_SHOWN = 50
MAX_UNMAPPED_SHOWN = 50


@dataclass(frozen=True)
class PipelineReport:
    report_date: dt.date
    markdown: str
    totals: dict[str, int]
    newest_event_at: dt.datetime | None
    data_delay_hours: float | None
    unmapped: list[UnmappedValue]


def write_pipeline_report(con: duckdb.DuckDBPyConnection, window: Window) -> PipelineReport:
    """Replace the day's rows of reports.file_accounting and reports.daily_pipeline_report, and
    return the report (its Markdown and totals) for the caller to publish."""
    params = {"report_date": window.day}
    write_partition(
        con, "reports.file_accounting", params, load_sql("select_file_accounting"), params
    )
    files = con.execute(
        load_sql("select_file_accounting_shown"), params | {"limit": MAX_FILES_SHOWN}
    ).fetchall()
    totals_row = con.execute(load_sql("select_file_accounting_totals"), params).fetchone()
    keys = ["files_loaded", "files_quarantined", "rows_in", "rows_cleaned", "rows_duplicate"]
    totals = dict(zip([*keys, "rows_quarantined"], map(int, totals_row), strict=True))
    scores = con.execute(load_sql("select_lead_score_tiers"), params).fetchall()
    movers = con.execute(load_sql("select_lead_score_movers"), params).fetchall()
    totals["contacts_scored"] = sum(int(r[1]) for r in scores)
    totals["mqls"] = int(
        scalar(
            con,
            "SELECT count(*) FROM scores.lead_scores WHERE as_of_date = $report_date AND is_mql",
            params,
        )
    )
    newest = scalar(
        con,
        "SELECT max(occurred_at) FROM clean.signals WHERE occurred_at < $end",
        {"end": window.end},
    )
    delay = round((window.end - newest).total_seconds() / 3600, 2) if newest else None
    unmapped = unmapped_values(con, None, (window.start, window.end))
    shown = (
        f" (first {MAX_FILES_SHOWN})"
        if totals["files_loaded"] + totals["files_quarantined"] > MAX_FILES_SHOWN
        else ""
    )
    markdown = "\n\n".join(
        [
            f"# Pipeline report {window.day.isoformat()}",
            markdown_table(["measure", "value"], list(totals.items())),
            f"**Newest event before the end of the day:** {newest or 'none'} UTC; "
            f"**data delay:** {delay if delay is not None else 'n/a'} hours.",
            "## Score distribution",
            markdown_table(["tier", "contacts", "mean score"], scores),
            "## Top movers",
            markdown_table(["email", "previous", "score", "change", "tier"], movers),
            f"## Row accounting per file{shown}",
            markdown_table(
                ["file", "status", "rows in", "cleaned", "duplicates", "quarantined"], files
            ),
            *_unmapped_section(unmapped),
        ]
    )
    write_partition(
        con,
        "reports.daily_pipeline_report",
        params,
        load_sql("select_daily_pipeline_report"),
        params | totals | {"newest": newest, "delay": delay, "markdown": markdown},
    )
    return PipelineReport(window.day, markdown, totals, newest, delay, unmapped)


def _unmapped_section(unmapped: list[UnmappedValue]) -> list[str]:
    """Event types and sources in no list of the reference data, in every file so far: kept as
    'unmapped' and scoring 0 until the reference file maps them and their files are re-run."""
    heading = "## Event types and sources in no list (kept as `unmapped`, scoring 0)"
    if not unmapped:
        return [heading, "_none: every event type and source is in the reference data_"]
    rows = sum(v.rows for v in unmapped)
    more = len(unmapped) - MAX_UNMAPPED_SHOWN
    return [
        heading,
        f"{rows:,} cleaned rows in {len(unmapped)} spelling(s). Map them in the reference file "
        "($BATCH_PLATFORM_REFERENCE) and re-run their files to score them.",
        unmapped_table(unmapped[:MAX_UNMAPPED_SHOWN], with_day=True)
        + (f"\n\n… and {more} more" if more > 0 else ""),
    ]
