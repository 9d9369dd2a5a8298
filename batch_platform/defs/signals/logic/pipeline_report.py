"""The daily pipeline report: row accounting per file, score distribution, top movers, delay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.defs.signals.logic.transforms import Window, load_sql
from batch_platform.lib.warehouse import atomically, replace_partition, scalar

MAX_FILES_SHOWN = 50


@dataclass(frozen=True)
class PipelineReport:
    report_date: dt.date
    markdown: str
    totals: dict[str, int]
    newest_event_at: dt.datetime | None
    data_delay_hours: float | None


def _markdown_table(headers: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def build_pipeline_report(con: duckdb.DuckDBPyConnection, window: Window) -> PipelineReport:
    params = {"report_date": window.day}

    def write_file_accounting():
        replace_partition(
            con,
            "reports.file_accounting",
            {"report_date": window.day},
            load_sql("select_file_accounting"),
            params,
        )

    atomically(con, write_file_accounting)
    files = con.execute(
        "SELECT source_file, status, rows_in, rows_cleaned, rows_duplicate, rows_quarantined "
        "FROM reports.file_accounting WHERE report_date = $report_date "
        "ORDER BY source_file LIMIT $limit",
        params | {"limit": MAX_FILES_SHOWN},
    ).fetchall()
    totals_row = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'loaded'), "
        "count(*) FILTER (WHERE status = 'quarantined'), coalesce(sum(rows_in), 0), "
        "coalesce(sum(rows_cleaned), 0), coalesce(sum(rows_duplicate), 0), "
        "coalesce(sum(rows_quarantined), 0) FROM reports.file_accounting "
        "WHERE report_date = $report_date",
        params,
    ).fetchone()
    keys = ["files_loaded", "files_quarantined", "rows_in", "rows_cleaned", "rows_duplicate"]
    totals = dict(zip([*keys, "rows_quarantined"], map(int, totals_row), strict=True))
    scores = con.execute(
        "SELECT tier, count(*), round(avg(score), 1) FROM scores.lead_scores "
        "WHERE as_of_date = $report_date GROUP BY tier ORDER BY tier",
        params,
    ).fetchall()
    movers = con.execute(
        "SELECT email, previous_score, score, score_change, tier FROM scores.lead_scores "
        "WHERE as_of_date = $report_date AND score_change IS NOT NULL "
        "ORDER BY abs(score_change) DESC, email LIMIT 10",
        params,
    ).fetchall()
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
    shown = (
        f" (first {MAX_FILES_SHOWN})"
        if totals["files_loaded"] + totals["files_quarantined"] > MAX_FILES_SHOWN
        else ""
    )
    markdown = "\n\n".join(
        [
            f"# Pipeline report {window.day.isoformat()}",
            _markdown_table(["measure", "value"], list(totals.items())),
            f"**Newest event before the end of the day:** {newest or 'none'} UTC; "
            f"**data delay:** {delay if delay is not None else 'n/a'} hours.",
            "## Score distribution",
            _markdown_table(["tier", "contacts", "mean score"], scores),
            "## Top movers",
            _markdown_table(["email", "previous", "score", "change", "tier"], movers),
            f"## Row accounting per file{shown}",
            _markdown_table(
                ["file", "status", "rows in", "cleaned", "duplicates", "quarantined"], files
            ),
        ]
    )

    def write_report():
        replace_partition(
            con,
            "reports.daily_pipeline_report",
            {"report_date": window.day},
            "SELECT $report_date::DATE AS report_date, $files_loaded AS files_loaded, "
            "$files_quarantined AS files_quarantined, $rows_in AS rows_in, "
            "$rows_cleaned AS rows_cleaned, $rows_duplicate AS rows_duplicate, "
            "$rows_quarantined AS rows_quarantined, $contacts_scored AS contacts_scored, "
            "$mqls AS mqls, $newest::TIMESTAMP AS newest_event_at, "
            "$delay::DOUBLE AS data_delay_hours, $markdown AS report_markdown",
            params | totals | {"newest": newest, "delay": delay, "markdown": markdown},
        )

    atomically(con, write_report)
    return PipelineReport(window.day, markdown, totals, newest, delay)
