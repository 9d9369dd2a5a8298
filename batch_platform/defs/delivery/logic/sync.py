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
from batch_platform.lib.warehouse import atomically, replace_partition, scalar

load_sql = SqlFolder.of_domain(__file__)
# Outcomes are recorded (one transaction) every this many records or seconds, and at the end.
# A crash in between loses no record: unrecorded ones stay pending and go again, same key.
FLUSH_RECORDS = 5_000
FLUSH_SECONDS = 2.0
_CHANGELOG_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("destination", pa.string()),
        ("idempotency_key", pa.string()),
        ("email", pa.string()),
        ("score_version", pa.string()),
        ("attempt", pa.int32()),
        ("request_seq", pa.int32()),
        ("status", pa.string()),
        ("http_status", pa.int32()),
        ("error", pa.string()),
        ("attempted_at", pa.timestamp("us")),
        ("seconds", pa.float64()),
    ]
)


def idempotency_key(destination: str, email: str, score_version: str) -> str:
    """The key a record carries, the same on every attempt (mirrors select_score_changes.sql)."""
    return hashlib.sha256(f"{destination}\x1f{email}\x1f{score_version}".encode()).hexdigest()[:32]


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(name, table)


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


def _failed_table(outcomes: list[ItemOutcome]) -> pa.Table:
    failed = [o for o in outcomes if o.status == "failed"]
    return pa.table(
        {
            "idempotency_key": pa.array([o.idempotency_key for o in failed], pa.string()),
            "error": pa.array([o.error for o in failed], pa.string()),
            "http_status": pa.array([o.http_status for o in failed], pa.int32()),
        }
    )


def _rejected_table(outcomes: list[ItemOutcome]) -> pa.Table:
    rejected = [o for o in outcomes if o.status == "rejected"]
    return pa.table(
        {
            "idempotency_key": pa.array([o.idempotency_key for o in rejected], pa.string()),
            "error": pa.array([o.error for o in rejected], pa.string()),
            "http_status": pa.array([o.http_status for o in rejected], pa.int32()),
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
    rejected = _rejected_table(outcomes)
    failed = _failed_table(outcomes)
    _register(con, "page_delivered", pa.table({
        "idempotency_key": pa.array([o.idempotency_key for o in delivered], pa.string()),
        "email": pa.array([o.email for o in delivered], pa.string()),
    }))  # fmt: skip
    _register(con, "page_rejected", rejected)
    _register(con, "page_failed", failed)
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
        con.register("page_changelog", pa.Table.from_pylist(page.changelog, _CHANGELOG_SCHEMA))
        con.execute(load_sql("insert_changelog"))
        con.unregister("page_changelog")
        _settle(con, destination, run_id, page.outcomes, None, now)

    atomically(con, write)


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
        replace_partition(
            con,
            "delivery.sync_runs",
            {"run_id": result.run_id, "destination": result.destination},
            load_sql("insert_sync_run"),
            {
                "run_id": result.run_id,
                "destination": result.destination,
                "as_of_date": result.as_of_date,
                "started_at": result.started_at,
                "finished_at": result.finished_at,
                "duration_seconds": result.seconds,
                "queued": result.queued,
                "superseded": result.superseded,
                "attempted": result.attempted,
                "succeeded": result.succeeded,
                "failed": result.failed,
                "rejected": result.rejected,
                "retried": result.retried,
                "carried_over": result.carried_over,
                "dead_lettered": result.dead_lettered,
                "requests": result.requests,
                "status": result.status,
                "report_path": report_path,
            },
        )
        result.pending_after = int(
            scalar(
                con,
                "SELECT pending_after FROM delivery.sync_runs "
                "WHERE run_id = $run_id AND destination = $destination",
                {"run_id": result.run_id, "destination": result.destination},
            )
        )

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
