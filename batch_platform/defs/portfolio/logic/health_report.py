"""The monthly portfolio health report: counts, lists and failed fetches, as Markdown.

Plain functions over a DuckDB connection (no Dagster).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from batch_platform.defs.portfolio.logic.office_data import fetch_counts
from batch_platform.defs.portfolio.logic.transforms import RENEWAL_HORIZON_DAYS, sweep_date_for
from batch_platform.lib.warehouse import atomically, replace_partition

LIST_LIMIT = 200


@dataclass(frozen=True)
class HealthReport:
    month: dt.date
    sweep_date: dt.date
    totals: dict[str, int]
    summary: str
    markdown: str


def _table(con, sql: str, params: dict, headers: list[str], limit: int = LIST_LIMIT) -> str:
    total = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    rows = con.execute(f"{sql} LIMIT {limit}", params).fetchall()
    if not rows:
        return "_none_\n"

    def cell(value) -> str:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return "" if value is None else str(value).replace("|", "/").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    if total > limit:
        lines.append(f"\n… and {total - limit:,} more (see the table)")
    return "\n".join(lines) + "\n"


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
    header = "| " + " | ".join(COUNT_COLUMNS.values()) + " |"
    values = "| " + " | ".join(f"{totals[k]:,}" for k in COUNT_COLUMNS) + " |"
    return f"{header}\n|{'---|' * len(COUNT_COLUMNS)}\n{values}"


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
        "jurisdictions": int(
            con.execute(
                "SELECT count(DISTINCT jurisdiction) FROM portfolio.firm_records "
                "WHERE month = $month",
                params,
            ).fetchone()[0]
        ),
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
            "SELECT registration_id, jurisdiction, mark, previous_status, current_status, "
            "baseline_month FROM portfolio.status_changes WHERE month = $month "
            "ORDER BY registration_id",
            params,
            ["registration", "jurisdiction", "mark", "was", "now", "baseline month"],
        ),
        f"## Renewals due within {RENEWAL_HORIZON_DAYS} days (overdue first)",
        _table(
            con,
            "SELECT registration_id, jurisdiction, mark, owner, next_renewal_date, days_until, "
            "date_source FROM portfolio.renewals_due WHERE month = $month "
            "ORDER BY next_renewal_date, registration_id",
            params,
            ["registration", "jurisdiction", "mark", "owner", "renew by", "days", "date from"],
        ),
        "## Office data differing from the firm's records",
        _table(
            con,
            "SELECT registration_id, jurisdiction, differing_fields, firm_owner, office_owner, "
            "firm_status, office_status, firm_next_renewal_date, office_next_renewal_date "
            "FROM portfolio.mismatches WHERE month = $month ORDER BY registration_id",
            params,
            MISMATCH_HEADERS,
        ),
        "## Registrations that failed to fetch (re-run the month to retry only these)",
        _table(
            con,
            "SELECT registration_id, jurisdiction, attempts, retryable, error "
            "FROM portfolio.office_snapshot WHERE month = $month AND fetch_state = 'failed' "
            "ORDER BY priority_rank",
            params,
            ["registration", "jurisdiction", "attempts", "retryable", "error"],
        ),
        "## Quarantined firm-record rows",
        _table(
            con,
            "SELECT source_file, source_line, registration_id, reason "
            "FROM quarantine.portfolio_firm_rows WHERE month = $month "
            "ORDER BY source_file, source_line",
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
    return atomically(
        con,
        lambda: replace_partition(
            con, "reports.portfolio_health_report", {"month": report.month}, select, params
        ),
    )
