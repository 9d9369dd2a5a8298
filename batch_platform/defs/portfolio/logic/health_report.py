"""The monthly portfolio health report: counts, lists and failed fetches, as Markdown.

Plain functions over a DuckDB connection (no Dagster).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.defs.portfolio.logic.office_data import fetch_counts
from batch_platform.defs.portfolio.logic.sweep_tables import RENEWAL_HORIZON_DAYS, sweep_date_for
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import write_partition

load_sql = SqlFolder.of_domain(__file__)
LIST_LIMIT = 200


@dataclass(frozen=True)
class HealthReport:
    month: dt.date
    sweep_date: dt.date
    totals: dict[str, int]
    summary: str
    markdown: str


def _list_text(value: object) -> object:
    """A list (e.g. the differing fields) reads as comma-separated words in a cell."""
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def _table(con, sql_name: str, params: dict, headers: list[str], limit: int = LIST_LIMIT) -> str:
    """The rows of ``sql/<sql_name>.sql`` (a SELECT without LIMIT) as a Markdown table."""
    sql = load_sql(sql_name)
    total = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    rows = con.execute(f"{sql} LIMIT $limit", params | {"limit": limit}).fetchall()
    if not rows:
        return "_none_\n"
    table = markdown_table(headers, ([_list_text(v) for v in row] for row in rows))
    if total > limit:
        table += f"\n\n… and {total - limit:,} more (see the table)"
    return table + "\n"


COUNT_COLUMNS = {
    "registrations": "registrations",
    "jurisdictions": "jurisdictions",
    "fetched": "fetched",
    "failed": "failed",
    "retried": "retried",
    "status_changes": "status changes",
    "renewals_due": "renewals due",
    "mismatches": "mismatches",
    "quarantined_rows": "quarantined firm rows",
}
MISMATCH_HEADERS = [
    "registration", "jurisdiction", "fields", "firm owner", "office owner", "firm status",
    "office status", "firm renewal", "office renewal",
]  # fmt: skip


def _counts_table(totals: dict[str, int]) -> str:
    return markdown_table(list(COUNT_COLUMNS.values()), [[f"{totals[k]:,}" for k in COUNT_COLUMNS]])


def _count(con, table: str, params: dict) -> int:
    row = con.execute(f"SELECT count(*) FROM {table} WHERE month = $month", params).fetchone()
    return int(row[0])


def build_health_report(con: duckdb.DuckDBPyConnection, month: dt.date) -> HealthReport:
    params = {"month": month}
    counts = fetch_counts(con, month)
    totals = {
        "registrations": counts.registrations,
        "fetched": counts.succeeded,
        "failed": counts.failed,
        "retried": counts.retried,
        "status_changes": _count(con, "portfolio.status_changes", params),
        "renewals_due": _count(con, "portfolio.renewals_due", params),
        "mismatches": _count(con, "portfolio.mismatches", params),
        "quarantined_rows": _count(con, "quarantine.portfolio_firm_rows", params),
        "jurisdictions": int(con.execute(load_sql("count_jurisdictions"), params).fetchone()[0]),
    }
    summary = (
        f"{totals['registrations']:,} registrations: {totals['status_changes']} status changes, "
        f"{totals['renewals_due']} renewals due, {totals['mismatches']} mismatches, "
        f"{totals['failed']} fetch failures"
    )
    sweep = sweep_date_for(month)
    sections = [
        f"# Portfolio health check {month:%Y-%m}",
        f"Sweep date {sweep.isoformat()}. {summary}.",
        _counts_table(totals),
        "## Status changes since the baseline",
        _table(
            con,
            "list_status_changes",
            params,
            ["registration", "jurisdiction", "mark", "was", "now", "baseline month"],
        ),
        f"## Renewals due within {RENEWAL_HORIZON_DAYS} days (overdue first)",
        _table(
            con,
            "list_renewals_due",
            params,
            ["registration", "jurisdiction", "mark", "owner", "renew by", "days", "date from"],
        ),
        "## Office data differing from the firm's records",
        _table(
            con,
            "list_mismatches",
            params,
            MISMATCH_HEADERS,
        ),
        "## Registrations that failed to fetch (re-run the month to retry only these)",
        _table(
            con,
            "list_failed_fetches",
            params,
            ["registration", "jurisdiction", "attempts", "retryable", "error"],
        ),
        "## Quarantined firm-record rows",
        _table(
            con,
            "list_quarantined_firm_rows",
            params,
            ["file", "line", "registration", "reason"],
        ),
    ]
    return HealthReport(month, sweep, totals, summary, "\n\n".join(sections))


def store_health_report(con: duckdb.DuckDBPyConnection, report: HealthReport, path: str) -> int:
    """Replace the month's row of reports.portfolio_health_report."""
    params = {
        "month": report.month,
        "sweep_date": report.sweep_date,
        "summary": report.summary,
        "report_path": path,
        **{k: v for k, v in report.totals.items() if k != "jurisdictions"},
    }
    columns = [k for k in params if k != "month"]
    select = "SELECT $month::DATE AS month, " + ", ".join(f"${c} AS {c}" for c in columns)
    return write_partition(
        con, "reports.portfolio_health_report", {"month": report.month}, select, params
    )
