"""Change-only sync of lead scores to one destination, with an audit row for every attempt.

One run for one destination: queue the contacts whose score changed enough since the value last
*delivered* there (``queue_changes``), send the pending records in priority order, page by page
(``Sender``), at most the destination's page budget (a run that spends it leaves the rest
pending, and another run follows the same night:
:mod:`batch_platform.defs.delivery.logic.continuation`), and after each page record its
attempts and settle its records in one transaction (``record_page``): delivered ones update
``delivery.delivered_scores``, rejected ones go to the dead letters, failed ones stay pending
for the next run. ``finish_run`` dead-letters records that failed in N runs and writes the run's
``delivery.sync_runs`` row.

The parts every stream of records shares (the portfolio's records too,
:mod:`batch_platform.defs.delivery.logic.portfolio_sync`) are :func:`send_pages` (pages sent in
order, outcomes recorded in batches, a halted destination left alone),
:func:`insert_changelog` and :func:`write_sync_run`.

A crash between sending and recording leaves the records pending: they are sent again with the
same idempotency key, which the receiver uses to drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

import duckdb
import pyarrow as pa

from batch_platform.defs.delivery.logic.config import Destination, SyncSettings
from batch_platform.defs.delivery.logic.sender import ItemOutcome, PageResult, Sender
from batch_platform.defs.delivery.logic.sync_result import SyncResult, utcnow
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, scalar, write_partition
from batch_platform.lib.warehouse_rows import typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)
# Outcomes are recorded (one transaction) every this many records or seconds, and at the end.
# A crash in between loses no record: unrecorded ones stay pending and go again, same key.
FLUSH_RECORDS = 5_000
FLUSH_SECONDS = 2.0


def idempotency_key(destination: str, email: str, score_version: str) -> str:
    """The key a record carries, the same on every attempt (mirrors select_score_changes.sql)."""
    return hashlib.sha256(f"{destination}\x1f{email}\x1f{score_version}".encode()).hexdigest()[:32]


def queue_changes(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    as_of_date: str,
    threshold: float,
    run_id: str,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Queue the scores of ``as_of_date`` that changed enough; returns (queued, superseded)."""
    params = {"destination": destination, "as_of_date": as_of_date}

    def write() -> tuple[int, int]:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE delivery_changes AS " + load_sql("select_score_changes"),
            params | {"threshold": threshold},
        )
        superseded = con.execute(load_sql("delete_superseded_pending"), params).fetchone()[0]
        queued = con.execute(
            load_sql("insert_pending"),
            {"destination": destination, "run_id": run_id, "now": now or utcnow()},
        ).fetchone()[0]
        con.execute("DROP TABLE delivery_changes")
        return int(queued), int(superseded)

    return atomically(con, write)


def pending_batch(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    limit: int,
    only_keys: list[str] | None = None,
) -> list[dict]:
    """The next ``limit`` pending records, in priority order."""
    return fetch_dicts(
        con,
        load_sql("select_pending_batch"),
        {"destination": destination, "limit": limit, "only_keys": only_keys},
    )


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    """The rows of ``sql`` as dicts by column name (records to send are a page's worth, not a
    table's)."""
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _outcomes_table(outcomes: list[ItemOutcome], status: str) -> pa.Table:
    """The records of one outcome ``status``, with the error and HTTP status each got."""
    chosen = [o for o in outcomes if o.status == status]
    return pa.table(
        {
            "idempotency_key": pa.array([o.idempotency_key for o in chosen], pa.string()),
            "error": pa.array([o.error for o in chosen], pa.string()),
            "http_status": pa.array([o.http_status for o in chosen], pa.int32()),
        }
    )


def _settle(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    run_id: str,
    outcomes: list[ItemOutcome],
    exhausted_after: int | None,
    now: dt.datetime,
) -> int:
    """Apply a page's outcomes (or, with ``exhausted_after``, dead-letter tired records)."""
    delivered = [o for o in outcomes if o.status == "delivered"]
    rejected = _outcomes_table(outcomes, "rejected")
    failed = _outcomes_table(outcomes, "failed")
    # Registered Arrow tables, not staged copies: the SQL reads them once, in this transaction.
    con.register("page_delivered", pa.table({
        "idempotency_key": pa.array([o.idempotency_key for o in delivered], pa.string()),
        "email": pa.array([o.email for o in delivered], pa.string()),
    }))  # fmt: skip
    con.register("page_rejected", rejected)
    con.register("page_failed", failed)
    base = {"destination": destination}
    dead = 0
    if delivered:
        con.execute(load_sql("delete_replaced_delivered_scores"), base)
        con.execute(load_sql("insert_delivered_scores"), base | {"run_id": run_id, "now": now})
    if rejected.num_rows or exhausted_after is not None:
        dead = con.execute(
            load_sql("insert_dead_letters"),
            base | {"run_id": run_id, "now": now, "exhausted_after": exhausted_after},
        ).fetchone()[0]
    con.execute(load_sql("delete_settled_pending"), base | {"exhausted_after": exhausted_after})
    if failed.num_rows:
        con.execute(load_sql("update_failed_pending"), base | {"now": now})
    for name in ("page_delivered", "page_rejected", "page_failed"):
        con.unregister(name)
    return int(dead)


def insert_changelog(con: duckdb.DuckDBPyConnection, changelog: list[dict]) -> None:
    """Every attempt of every record of some pages into delivery.sync_changelog (inside the
    caller's transaction)."""
    schema = warehouse_schema(con, "delivery.sync_changelog")
    con.register("page_changelog", typed_rows(changelog, schema))
    con.execute(load_sql("insert_changelog"))
    con.unregister("page_changelog")


def record_page(
    con: duckdb.DuckDBPyConnection, destination: str, run_id: str, page: PageResult
) -> None:
    """One transaction: the pages' changelog rows and their records settled."""
    now = utcnow()

    def write() -> None:
        insert_changelog(con, page.changelog)
        _settle(con, destination, run_id, page.outcomes, None, now)

    atomically(con, write)


def _sync_run_row(result: SyncResult, report_path: str | None) -> dict:
    """The columns of ``result``'s sync_runs row."""
    columns = ("run_id", "destination", "as_of_date", "started_at", "finished_at", "queued",
               "superseded", "attempted", "succeeded", "failed", "rejected", "retried",
               "carried_over", "dead_lettered", "requests", "status",
               "budget_spent", "pending_after")  # fmt: skip
    row = {column: getattr(result, column) for column in columns}
    return row | {"duration_seconds": result.seconds, "report_path": report_path}


def write_sync_run(
    con: duckdb.DuckDBPyConnection,
    result: SyncResult,
    report_path: str | None,
    count_pending_sql: str,
) -> None:
    """The run's delivery.sync_runs row (inside the caller's transaction), with the records it
    leaves pending as ``count_pending_sql`` counts them (parameter: $destination)."""
    result.pending_after = int(
        scalar(con, count_pending_sql, {"destination": result.destination}) or 0
    )
    key = {"run_id": result.run_id, "destination": result.destination}
    con.register("sync_run_row", pa.Table.from_pylist([_sync_run_row(result, report_path)]))
    write_partition(
        con, "delivery.sync_runs", key, load_sql("insert_sync_run"), in_transaction=True
    )
    con.unregister("sync_run_row")


def finish_run(
    con: duckdb.DuckDBPyConnection,
    result: SyncResult,
    settings: SyncSettings,
    report_path: str | None = None,
) -> None:
    """Dead-letter records that failed in N runs; write the run's sync_runs row."""
    result.finished_at = utcnow()

    def write() -> None:
        result.dead_lettered += _settle(
            con,
            result.destination,
            result.run_id,
            [],
            settings.dead_letter_after_runs,
            result.finished_at,
        )
        write_sync_run(con, result, report_path, load_sql("count_pending"))

    atomically(con, write)


def sync_destination(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    sender: Sender,
    settings: SyncSettings,
    *,
    run_id: str,
    as_of_date: str | None,
    only_keys: list[str] | None = None,
    queue: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> SyncResult:
    """Queue ``as_of_date``'s changes (unless None or not ``queue``: a run that continues the
    night's sync sends what is pending), send up to the run's page budget, record all.

    The sync_runs row is written by :func:`finish_run`, after the caller has written the report.
    """
    result = SyncResult(
        run_id=run_id, destination=destination.name, as_of_date=as_of_date, started_at=utcnow()
    )
    if as_of_date is not None and queue:
        result.queued, result.superseded = queue_changes(
            con, destination.name, as_of_date, settings.score_threshold, run_id
        )
        log(
            f"{destination.name}: {result.queued:,} changes queued, "
            f"{result.superseded:,} pending records superseded"
        )
    size = destination.page_size
    budget = destination.page_budget * size
    batch = pending_batch(con, destination.name, budget, only_keys)
    result.budget_spent = len(batch) == budget
    pages = [batch[start : start + size] for start in range(0, len(batch), size)]
    send_pages(
        sender,
        pages,
        result,
        lambda page: record_page(con, destination.name, run_id, page),
        log=log,
    )
    if sender.halted:
        result.budget_spent = False
    return result


def send_pages(
    sender: Sender,
    pages: list[list[dict]],
    result: SyncResult,
    record: Callable[[PageResult], None],
    *,
    log: Callable[[str], None] = lambda message: None,
) -> None:
    """Send ``pages`` in order; ``record`` the outcomes (one transaction) every
    ``FLUSH_RECORDS`` records or ``FLUSH_SECONDS`` and after the last page. A destination error
    (``sender.halted``) stops the sending: the pages not tried stay pending."""
    name = sender.destination.name
    started = last_flush = time.perf_counter()
    buffered = PageResult()
    for number, rows in enumerate(pages, start=1):
        page = sender.deliver_page(rows)
        buffered.outcomes += page.outcomes
        buffered.changelog += page.changelog
        result.items.extend(page.outcomes)
        result.requests += page.requests
        now = time.perf_counter()
        if (
            number == len(pages)
            or len(buffered.outcomes) >= FLUSH_RECORDS
            or now - last_flush >= FLUSH_SECONDS
        ):
            record(buffered)
            buffered, last_flush = PageResult(), now
            log(
                f"{name}: page {number}/{len(pages)}, {result.succeeded:,} delivered, "
                f"{result.failed + result.rejected:,} not ({now - started:.1f}s)"
            )
        if sender.halted:
            if buffered.outcomes:
                record(buffered)
            untried = sum(len(p) for p in pages[number:])
            log(f"stopped sending: {sender.halted}; {untried:,} records not tried stay pending")
            break
