"""The monthly portfolio health report: counts, lists, failed fetches and the registrations
swept with assumed formats (offices whose date format or status words are not known), as
Markdown; split per client (the firm records' ``client`` column): a table of every client's
counts, the summary's per-client lines, and one report per client.

Plain functions over a DuckDB connection (no Dagster).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import duckdb

from batch_platform.defs.portfolio.logic.office_data import fetch_counts
from batch_platform.defs.portfolio.logic.office_reference import OfficeReference, office_reference
from batch_platform.defs.portfolio.logic.registration_records import NO_CLIENT
from batch_platform.defs.portfolio.logic.sweep_tables import RENEWAL_HORIZON_DAYS, sweep_date_for
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import write_partition

load_sql = SqlFolder.of_domain(__file__)
LIST_LIMIT = 200
# The summary names at most this many clients with findings, one line each.
SUMMARY_CLIENTS = 60


@dataclass(frozen=True)
class ClientCounts:
    """One client's registrations and findings in the month."""

    client: str
    registrations: int
    status_changes: int
    renewals_due: int
    mismatches: int
    failed: int

    @property
    def findings(self) -> int:
        return self.status_changes + self.renewals_due + self.mismatches + self.failed


@dataclass(frozen=True)
class HealthReport:
    month: dt.date
    sweep_date: dt.date
    totals: dict[str, int]
    summary: str
    markdown: str
    # office → (registrations, what was assumed) for offices without known formats
    assumed_offices: dict[str, tuple[int, str]]
    clients: list[ClientCounts] = field(default_factory=list)
    # client → its own report (Markdown); empty when the firm records name no client
    client_reports: dict[str, str] = field(default_factory=dict)

    @property
    def split_by_client(self) -> bool:
        return any(c.client != NO_CLIENT for c in self.clients)

    @property
    def full_summary(self) -> str:
        """The summary line, then one line per client with findings (what the run's webhook
        sends); just the line when the firm records name no client."""
        if not self.split_by_client:
            return self.summary
        return "\n".join([self.summary, *client_summary_lines(self.clients)])


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


def client_summary_lines(clients: list[ClientCounts], limit: int = SUMMARY_CLIENTS) -> list[str]:
    """``<client>: 1 status change, 2 renewals due, 0 mismatches`` per client with findings
    (``, 1 fetch failure`` when any failed), most findings first, then how many had none."""
    busy = sorted((c for c in clients if c.findings), key=lambda c: (-c.findings, c.client))
    lines = [
        f"{c.client}: {_plural(c.status_changes, 'status change', 'status changes')}, "
        f"{_plural(c.renewals_due, 'renewal due', 'renewals due')}, "
        f"{_plural(c.mismatches, 'mismatch', 'mismatches')}"
        + (f", {_plural(c.failed, 'fetch failure', 'fetch failures')}" if c.failed else "")
        for c in busy[:limit]
    ]
    if len(busy) > limit:
        lines.append(f"… and {len(busy) - limit:,} more clients with findings (see the report)")
    quiet = len(clients) - len(busy)
    if quiet:
        lines.append(f"{_plural(quiet, 'client', 'clients')} with nothing to report")
    return lines


def client_file_names(clients: list[str]) -> dict[str, str]:
    """A file name per client (``<slug>.md``), distinct even when two names slug alike."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for client in sorted(clients):
        slug = re.sub(r"[^a-z0-9]+", "-", client.lower()).strip("-") or "client"
        name, n = slug, 1
        while name in taken:
            n += 1
            name = f"{slug}-{n}"
        taken.add(name)
        names[client] = f"{name}.md"
    return names


def client_counts(con: duckdb.DuckDBPyConnection, month: dt.date) -> list[ClientCounts]:
    rows = con.execute(load_sql("count_findings_by_client"), {"month": month}).fetchall()
    return [ClientCounts(*row) for row in rows]


def _list_text(value: object) -> object:
    """A list (e.g. the differing fields) reads as comma-separated words in a cell."""
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def _table(con, sql_name: str, params: dict, headers: list[str], limit: int = LIST_LIMIT) -> str:
    """The rows of ``sql/<sql_name>.sql`` (a SELECT without LIMIT) as a Markdown table."""
    sql = load_sql(sql_name)
    if "$client" in sql:  # the lists that can be of one client: of every client unless named
        params = {"client": None} | params
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
RENEWAL_HEADERS = [
    "client", "registration", "jurisdiction", "mark", "owner", "renew by", "days", "date from",
]  # fmt: skip
MISMATCH_HEADERS = [
    "client", "registration", "jurisdiction", "fields", "firm owner", "office owner", "firm status",
    "office status", "firm renewal", "office renewal",
]  # fmt: skip


def _counts_table(totals: dict[str, int]) -> str:
    return markdown_table(list(COUNT_COLUMNS.values()), [[f"{totals[k]:,}" for k in COUNT_COLUMNS]])


def _count(con, table: str, params: dict) -> int:
    row = con.execute(f"SELECT count(*) FROM {table} WHERE month = $month", params).fetchone()
    return int(row[0])


def offices_with_assumptions(
    con: duckdb.DuckDBPyConnection, month: dt.date, reference: OfficeReference
) -> dict[str, tuple[int, str]]:
    """The month's offices whose date format or status words are not known (their
    registrations were swept with ISO dates and canonical words): registrations and why."""
    offices = {}
    for code, registrations in con.execute(
        load_sql("count_registrations_by_office"), {"month": month}
    ).fetchall():
        assumption = reference.assumptions(code)
        if assumption:
            offices[code] = (int(registrations), assumption)
    return offices


def _assumptions_section(con, month: dt.date, offices: dict[str, tuple[int, str]]) -> list[str]:
    heading = "## Registrations swept with assumed formats (warning)"
    if not offices:
        return [heading, "_none: every office's date format and status words are known_\n"]
    rows = con.execute(
        f"{load_sql('list_registrations_by_office')} LIMIT $limit",
        {"month": month, "jurisdictions": list(offices), "limit": LIST_LIMIT},
    ).fetchall()
    total = sum(registrations for registrations, _ in offices.values())
    table = markdown_table(
        ["registration", "jurisdiction", "mark", "warning"],
        [(rid, code, mark, offices[code][1]) for code, rid, mark in rows],
    )
    if total > LIST_LIMIT:
        table += f"\n\n… and {total - LIST_LIMIT:,} more (see portfolio.firm_records)"
    return [
        heading,
        f"{total:,} registration(s) in {len(offices)} office(s) whose date format or status "
        "words are not in the reference data were swept with ISO dates and canonical status "
        "words; add the offices' formats to the reference file ($BATCH_PLATFORM_REFERENCE) to "
        "read their own.",
        table + "\n",
    ]


def _findings_sections(con, params: dict) -> list[str]:
    """Status changes, renewals due, mismatches and failed fetches: of every client, or of
    ``params["client"]``."""
    return [
        "## Status changes since the baseline",
        _table(
            con,
            "list_status_changes",
            params,
            ["client", "registration", "jurisdiction", "mark", "was", "now", "baseline month"],
        ),
        f"## Renewals due within {RENEWAL_HORIZON_DAYS} days (overdue first)",
        _table(
            con,
            "list_renewals_due",
            params,
            RENEWAL_HEADERS,
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
            ["client", "registration", "jurisdiction", "attempts", "retryable", "error"],
        ),
    ]


def clients_table(clients: list[ClientCounts]) -> str:
    """Every client's registrations and findings, as a Markdown table."""
    headers = ["client", "registrations", "status changes", "renewals due", "mismatches",
               "failed fetches"]  # fmt: skip
    rows = [
        (c.client, f"{c.registrations:,}", c.status_changes, c.renewals_due, c.mismatches,
         c.failed)
        for c in clients
    ]  # fmt: skip
    return markdown_table(headers, rows, right_aligned=headers[1:])


def _clients_section(clients: list[ClientCounts]) -> list[str]:
    if not any(c.client != NO_CLIENT for c in clients):
        return []
    return ["## Per client (each also in its own report)", clients_table(clients) + "\n"]


def _client_report(con, month: dt.date, counts: ClientCounts, sweep: dt.date) -> str:
    """One client's report: its counts and its lists."""
    summary = (
        f"{_plural(counts.registrations, 'registration', 'registrations')}: "
        f"{_plural(counts.status_changes, 'status change', 'status changes')}, "
        f"{_plural(counts.renewals_due, 'renewal due', 'renewals due')}, "
        f"{_plural(counts.mismatches, 'mismatch', 'mismatches')}, "
        f"{_plural(counts.failed, 'fetch failure', 'fetch failures')}"
    )
    return "\n\n".join(
        [
            f"# Portfolio health check {month:%Y-%m}: {counts.client}",
            f"Sweep date {sweep.isoformat()}. {summary}.",
            *_findings_sections(con, {"month": month, "client": counts.client}),
        ]
    )


def build_health_report(con: duckdb.DuckDBPyConnection, month: dt.date) -> HealthReport:
    params = {"month": month}
    assumed = offices_with_assumptions(con, month, office_reference())
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
    assumed_registrations = sum(registrations for registrations, _ in assumed.values())
    if assumed_registrations:
        summary += f", {assumed_registrations:,} swept with assumed formats"

    sweep = sweep_date_for(month)
    clients = client_counts(con, month)
    sections = [
        f"# Portfolio health check {month:%Y-%m}",
        f"Sweep date {sweep.isoformat()}. {summary}.",
        _counts_table(totals),
        *_findings_sections(con, params),
        *_clients_section(clients),
        "## Quarantined firm-record rows",
        _table(
            con,
            "list_quarantined_firm_rows",
            params,
            ["file", "line", "registration", "reason"],
        ),
        *_assumptions_section(con, month, assumed),
    ]
    client_reports = (
        {c.client: _client_report(con, month, c, sweep) for c in clients}
        if any(c.client != NO_CLIENT for c in clients)
        else {}
    )
    totals["clients"] = len(clients)
    return HealthReport(
        month, sweep, totals, summary, "\n\n".join(sections), assumed, clients, client_reports
    )


def store_health_report(con: duckdb.DuckDBPyConnection, report: HealthReport, path: str) -> int:
    """Replace the month's row of reports.portfolio_health_report."""
    params = {
        "month": report.month,
        "sweep_date": report.sweep_date,
        "summary": report.summary,
        "report_path": path,
        **{k: v for k, v in report.totals.items() if k not in ("jurisdictions", "clients")},
    }
    columns = [k for k in params if k != "month"]
    select = "SELECT $month::DATE AS month, " + ", ".join(f"${c} AS {c}" for c in columns)
    return write_partition(
        con, "reports.portfolio_health_report", {"month": report.month}, select, params
    )
