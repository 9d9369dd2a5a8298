"""Change-only sync of lead scores to one destination, with an audit row for every attempt.

One run for one destination: queue the contacts whose score changed enough since the value last
*delivered* there (``queue_changes``), send the pending records in priority order, page by page
(``Sender``), and after each page record its attempts and settle its records in one transaction
(``record_page``): delivered ones update ``delivery.delivered_scores``, rejected ones go to the
dead letters, failed ones stay pending for the next run. ``finish_run`` dead-letters records
that failed in N runs and writes the run's ``delivery.sync_runs`` row.

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
    cursor = con.execute(
        load_sql("select_pending_batch"),
        {"destination": destination, "limit": limit, "only_keys": only_keys},
    )
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


def record_page(
    con: duckdb.DuckDBPyConnection, destination: str, run_id: str, page: PageResult
) -> None:
    """One transaction: the pages' changelog rows and their records settled."""
    now = utcnow()

    def write() -> None:
        schema = warehouse_schema(con, "delivery.sync_changelog")
        con.register("page_changelog", typed_rows(page.changelog, schema))
        con.execute(load_sql("insert_changelog"))
        con.unregister("page_changelog")
        _settle(con, destination, run_id, page.outcomes, None, now)

    atomically(con, write)


def _sync_run_row(result: SyncResult, report_path: str | None) -> dict:
    """The columns of ``result``'s sync_runs row that the run knows (all but pending_after)."""
    columns = ("run_id", "destination", "as_of_date", "started_at", "finished_at", "queued",
               "superseded", "attempted", "succeeded", "failed", "rejected", "retried",
               "carried_over", "dead_lettered", "requests", "status")  # fmt: skip
    row = {column: getattr(result, column) for column in columns}
    return row | {"duration_seconds": result.seconds, "report_path": report_path}


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
        key = {"run_id": result.run_id, "destination": result.destination}
        con.register("sync_run_row", pa.Table.from_pylist([_sync_run_row(result, report_path)]))
        write_partition(
            con, "delivery.sync_runs", key, load_sql("insert_sync_run"),
            {"destination": result.destination}, in_transaction=True,
        )  # fmt: skip
        con.unregister("sync_run_row")
        result.pending_after = int(scalar(con, load_sql("select_sync_run_pending_after"), key))

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
    log: Callable[[str], None] = lambda message: None,
) -> SyncResult:
    """Queue ``as_of_date``'s changes (unless None), send up to the run's limit, record all.

    The sync_runs row is written by :func:`finish_run`, after the caller has written the report.
    """
    result = SyncResult(
        run_id=run_id, destination=destination.name, as_of_date=as_of_date, started_at=utcnow()
    )
    if as_of_date is not None:
        result.queued, result.superseded = queue_changes(
            con, destination.name, as_of_date, settings.score_threshold, run_id
        )
        log(
            f"{destination.name}: {result.queued:,} changes queued, "
            f"{result.superseded:,} pending records superseded"
        )
    batch = pending_batch(con, destination.name, destination.max_records_per_run, only_keys)
    size = destination.page_size
    pages = (len(batch) + size - 1) // size
    started = last_flush = time.perf_counter()
    buffered = PageResult()
    for number, start in enumerate(range(0, len(batch), size), start=1):
        page = sender.deliver_page(batch[start : start + size])
        buffered.outcomes += page.outcomes
        buffered.changelog += page.changelog
        result.items.extend(page.outcomes)
        result.requests += page.requests
        now = time.perf_counter()
        if (
            number == pages
            or len(buffered.outcomes) >= FLUSH_RECORDS
            or now - last_flush >= FLUSH_SECONDS
        ):
            record_page(con, destination.name, run_id, buffered)
            buffered, last_flush = PageResult(), now
            log(
                f"{destination.name}: page {number}/{pages}, {result.succeeded:,} delivered, "
                f"{result.failed + result.rejected:,} not ({now - started:.1f}s)"
            )
        if sender.halted:
            if buffered.outcomes:
                record_page(con, destination.name, run_id, buffered)
            untried = max(0, len(batch) - start - size)
            log(f"stopped sending: {sender.halted}; {untried:,} records not tried stay pending")
            break
    return result
