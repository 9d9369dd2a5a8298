"""Delivering the portfolio's monthly records to the firm's system, through the machinery that
delivers lead scores. No Dagster here.

A run builds the month's records (:mod:`batch_platform.defs.delivery.logic.portfolio_records`)
into ``delivery.portfolio_records``, queues for each portfolio destination the records whose
key it has not seen in ``delivery.portfolio_deliveries`` (a key once delivered is never sent
again; a pending record the month's latest sweep no longer finds is superseded), and sends what
is pending, every month's, one client a page: the score delivery's :class:`Sender` (signed
pages, idempotency keys, retries with backoff, whole-page 4xx split, destination errors halting)
and :func:`send_pages`, every attempt in ``delivery.sync_changelog`` and the run in
``delivery.sync_runs``. Failed records stay pending, with their error, for the next run (the
month's re-run or next month's), and are given up (``exhausted``) after
``sync.dead_letter_after_runs`` failed runs; rejected ones at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from batch_platform.defs.delivery.logic.config import DeliveryConfig, Destination, SyncSettings
from batch_platform.defs.delivery.logic.portfolio_records import (
    KINDS,
    PortfolioRecord,
    build_records,
    client_pages,
    page_fields,
    public_portfolio_record,
)
from batch_platform.defs.delivery.logic.runner import destination_senders
from batch_platform.defs.delivery.logic.sender import PageResult, RecordFormat, Sender
from batch_platform.defs.delivery.logic.sync import (
    fetch_dicts,
    insert_changelog,
    load_sql,
    send_pages,
    write_sync_run,
)
from batch_platform.defs.delivery.logic.sync_result import SyncResult, utcnow
from batch_platform.defs.portfolio.logic.registration_records import NO_CLIENT
from batch_platform.lib.warehouse import atomically, stage_rows, write_partition

PORTFOLIO_RECORDS = RecordFormat(
    public_portfolio_record, subject="registration_id", version="version", page_fields=page_fields
)
FINDINGS_SQL = {
    "status_change": "select_portfolio_status_changes",
    "renewal_due": "select_portfolio_renewals_due",
    "mismatch": "select_portfolio_mismatches",
}
NO_DESTINATION = (
    "no portfolio destination configured ($BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL, or "
    "portfolio_destinations in the $BATCH_PLATFORM_DESTINATIONS file): nothing sent"
)


@dataclass
class PortfolioDeliveryRun:
    month: dt.date
    records: list[PortfolioRecord]
    results: list[SyncResult]

    @property
    def destinations(self) -> list[str]:
        return [r.destination for r in self.results]

    @property
    def summary(self) -> str:
        kinds = Counter(r.kind for r in self.records)
        clients = len({r.client for r in self.records})
        text = (
            f"{len(self.records):,} records for {clients:,} clients "
            f"({kinds['status_change']} status changes, {kinds['renewal_due']} renewals due, "
            f"{kinds['mismatch']} mismatches); "
        )
        return text + ("; ".join(r.summary for r in self.results) or NO_DESTINATION)


def find_records(con: duckdb.DuckDBPyConnection, month: dt.date) -> list[PortfolioRecord]:
    """The month's status changes, renewals due and mismatches as records."""
    params = {"month": month}
    findings = {kind: fetch_dicts(con, load_sql(FINDINGS_SQL[kind]), params) for kind in KINDS}
    return build_records(month, findings, NO_CLIENT)


def _record_columns(records: list[PortfolioRecord]) -> dict[str, pa.Array]:
    text = pa.string()
    return {
        "month": pa.array([r.month for r in records], pa.date32()),
        "record_id": pa.array([r.record_id for r in records], text),
        "client": pa.array([r.client for r in records], text),
        "kind": pa.array([r.kind for r in records], text),
        "registration_id": pa.array([r.registration_id for r in records], text),
        "version": pa.array([r.version for r in records], text),
        "record": pa.array([_json(r.body) for r in records], text),
    }


def _json(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def store_records(
    con: duckdb.DuckDBPyConnection, month: dt.date, records: list[PortfolioRecord], run_id: str
) -> int:
    """Replace the month's rows of delivery.portfolio_records."""
    stage_rows(con, "portfolio_record_stage", pa.table(_record_columns(records)))
    return write_partition(
        con,
        "delivery.portfolio_records",
        {"month": month},
        load_sql("insert_portfolio_records"),
        {"now": utcnow(), "run_id": run_id},
    )


def queue_records(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    month: dt.date,
    records: list[PortfolioRecord],
    run_id: str,
) -> tuple[int, int]:
    """Queue the month's records ``destination`` has not seen; returns (queued, superseded)."""
    columns = _record_columns(records)
    columns["idempotency_key"] = pa.array([r.idempotency_key(destination) for r in records])
    stage_rows(con, "portfolio_queue", pa.table(columns))
    now = utcnow()
    params = {"destination": destination, "run_id": run_id, "now": now}

    def write() -> tuple[int, int]:
        superseded = con.execute(
            load_sql("update_superseded_portfolio_deliveries"), params | {"month": month}
        ).fetchone()[0]
        queued = con.execute(load_sql("insert_portfolio_deliveries"), params).fetchone()[0]
        return int(queued), int(superseded)

    return atomically(con, write)


def record_page(
    con: duckdb.DuckDBPyConnection, destination: str, run_id: str, page: PageResult
) -> None:
    """One transaction: the pages' changelog rows and their records settled."""
    outcomes = pa.table(
        {
            "idempotency_key": pa.array([o.idempotency_key for o in page.outcomes], pa.string()),
            "status": pa.array([o.status for o in page.outcomes], pa.string()),
            "error": pa.array([o.error for o in page.outcomes], pa.string()),
            "http_status": pa.array([o.http_status for o in page.outcomes], pa.int32()),
        }
    )
    params = {"destination": destination, "run_id": run_id, "now": utcnow()}

    def write() -> None:
        insert_changelog(con, page.changelog)
        con.register("page_outcomes", outcomes)
        try:
            con.execute(load_sql("update_portfolio_deliveries"), params)
        finally:
            con.unregister("page_outcomes")

    atomically(con, write)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    result: SyncResult,
    settings: SyncSettings,
    halted: str | None,
) -> None:
    """Give up records that failed in N runs, say why untried ones wait, write the run's
    sync_runs row."""
    result.finished_at = utcnow()
    base = {"destination": result.destination}

    def write() -> None:
        exhausted = con.execute(
            load_sql("update_exhausted_portfolio_deliveries"),
            base
            | {
                "exhausted_after": settings.dead_letter_after_runs,
                "run_id": result.run_id,
                "now": result.finished_at,
            },
        ).fetchone()[0]
        result.dead_lettered = int(exhausted)
        if halted:
            reason = f"not sent: {halted}"
            con.execute(load_sql("update_untried_portfolio_deliveries"), base | {"reason": reason})
        write_sync_run(con, result, None, load_sql("count_portfolio_pending"))

    atomically(con, write)


def pending_rows(con: duckdb.DuckDBPyConnection, destination: str) -> list[dict]:
    """The records waiting for ``destination``, by client (then month, kind, registration)."""
    sql = load_sql("select_pending_portfolio_deliveries")
    return fetch_dicts(con, sql, {"destination": destination})


def sync_destination(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    sender: Sender,
    settings: SyncSettings,
    *,
    month: dt.date,
    records: list[PortfolioRecord],
    run_id: str,
    log: Callable[[str], None] = lambda message: None,
) -> SyncResult:
    """Queue the month's new records for one destination, send everything pending (one client
    a page), record every attempt and the run."""
    result = SyncResult(
        run_id=run_id, destination=destination.name, as_of_date=month.isoformat(),
        started_at=utcnow(),
    )  # fmt: skip
    result.queued, result.superseded = queue_records(con, destination.name, month, records, run_id)
    log(
        f"{destination.name}: {result.queued:,} portfolio records queued, "
        f"{result.superseded:,} pending records superseded"
    )
    pages = client_pages(pending_rows(con, destination.name), destination.page_size)
    send_pages(
        sender,
        pages,
        result,
        lambda page: record_page(con, destination.name, run_id, page),
        log=log,
    )
    finish_run(con, result, settings, sender.halted)
    return result


def deliver_portfolio_records(
    con: duckdb.DuckDBPyConnection,
    config: DeliveryConfig,
    *,
    run_id: str,
    month: dt.date,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = lambda message: None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PortfolioDeliveryRun:
    """Build and store the month's records; deliver them to every portfolio destination (none
    configured: nothing is sent, the records stay in delivery.portfolio_records)."""
    env = dict(os.environ) if env is None else env
    senders = destination_senders(
        con,
        config.portfolio_destinations,
        env,
        outbox_dir=None,
        run_id=run_id,
        rng=rng,
        sleep=sleep,
        record_format=PORTFOLIO_RECORDS,
    )
    records = find_records(con, month)
    store_records(con, month, records, run_id)
    results = []
    for destination, sender in senders:
        result = sync_destination(
            con,
            destination,
            sender,
            config.sync,
            month=month,
            records=records,
            run_id=run_id,
            log=log,
        )
        log(result.summary)
        results.append(result)
    return PortfolioDeliveryRun(month, records, results)


def delivery_states(con: duckdb.DuckDBPyConnection, month: dt.date) -> list[tuple[str, str, int]]:
    """(destination, state, records) of the month's portfolio records."""
    sql = load_sql("count_portfolio_deliveries_by_status")
    return con.execute(sql, {"month": month}).fetchall()
