"""`batch-platform portfolio`: sample data and the state of a month's health check.

    batch-platform portfolio sample [--month 2026-11] [--registrations 3000]
    batch-platform portfolio status [--month 2026-11]

``sample`` writes the deterministic sample (with planted anomalies) under the landing directory;
``status`` reads the warehouse (read-only) and prints the month's summary, fetch states, the
registrations that failed to fetch, each client with findings, and where the month's records
stand at each portfolio destination.
"""

import argparse
import datetime as dt
import sys

from batch_platform.defs.delivery.logic.portfolio_sync import delivery_states
from batch_platform.defs.portfolio.logic.health_report import client_counts, client_summary_lines
from batch_platform.defs.portfolio.logic.office_data import failed_fetches, fetch_states
from batch_platform.defs.portfolio.logic.registration_records import NO_CLIENT
from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.lib.settings import load_settings
from batch_platform.lib.warehouse import WarehouseError, open_warehouse

FAILED_SHOWN = 50


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-11") from None


def _this_month() -> dt.date:
    return dt.datetime.now(dt.UTC).date().replace(day=1)


def register(subparsers) -> None:
    parser = subparsers.add_parser("portfolio", help="the monthly portfolio health check")
    commands = parser.add_subparsers(dest="portfolio_command", required=True, metavar="ACTION")
    sample = commands.add_parser("sample", help="write sample registrations and office snapshots")
    sample.add_argument("--month", type=_month, default=None, help="sweep month (default: now)")
    sample.add_argument("--registrations", type=int, default=3000)
    sample.set_defaults(handler=_sample)
    status = commands.add_parser("status", help="a month's summary and failed fetches")
    status.add_argument("--month", type=_month, default=None, help="month (default: now)")
    status.set_defaults(handler=_status)


def _sample(args) -> int:
    settings = load_settings()
    result = generate_portfolio_sample(
        settings.landing_dir, args.month or _this_month(), registrations=args.registrations
    )
    out = sys.stdout
    out.write(
        f"wrote {result.registrations:,} registrations in {result.jurisdictions} jurisdictions "
        f"under {settings.portfolio_dir}: {len(result.status_changes)} status changes, "
        f"{len(result.renewals_due)} renewals due, {len(result.mismatches)} mismatches and "
        f"{len(result.quarantined)} invalid rows planted\n"
    )
    return 0


def _status(args) -> int:
    month = args.month or _this_month()
    try:  # read-only: answers while runs write
        con = open_warehouse(read_only=True)
    except WarehouseError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    try:
        params = {"month": month}
        report = con.execute(
            "SELECT summary, report_path FROM reports.portfolio_health_report WHERE month = $month",
            params,
        ).fetchall()
        states = fetch_states(con, month)
        failed = failed_fetches(con, month, FAILED_SHOWN)
        clients = client_counts(con, month)
        deliveries = delivery_states(con, month)
    finally:
        con.close()
    out = sys.stdout
    out.write(f"portfolio {month:%Y-%m}\n")
    if report:
        out.write(f"summary: {report[0][0]}\nreport: {report[0][1]}\n")
    else:
        out.write("no health report for this month yet\n")
    out.write("fetch states: " + (", ".join(f"{s} {n:,}" for s, n in states) or "none") + "\n")
    for registration_id, jurisdiction, attempts, error in failed:
        out.write(f"  failed {registration_id} ({jurisdiction}), {attempts} attempt(s): {error}\n")
    if any(c.client != NO_CLIENT for c in clients):
        out.write(f"clients: {len(clients):,}\n")
        out.writelines(f"  {line}\n" for line in client_summary_lines(clients))
    by_destination: dict[str, list[str]] = {}
    for destination, state, records in deliveries:
        by_destination.setdefault(destination, []).append(f"{state} {records:,}")
    sent = "; ".join(f"{d}: {', '.join(states)}" for d, states in by_destination.items())
    out.write(f"records sent: {sent or 'none (no portfolio destination)'}\n")
    return 0
