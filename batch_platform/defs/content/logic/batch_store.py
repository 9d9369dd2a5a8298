"""The batch in the warehouse: registering its list, folding in the fetch results the fetch
step staged as files, and reading what is done or can be served from staging. No Dagster here."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from batch_platform.defs.content.logic.fetch_staging import SEGMENT_KIND
from batch_platform.defs.content.logic.reasons import short_reason
from batch_platform.defs.content.logic.urls import UrlList, metadata_json
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.staging import StagingArea, readable_paths
from batch_platform.lib.warehouse import atomically, write_partition
from batch_platform.lib.warehouse_rows import staged, typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)
LIST_CHANGED_REASON = (
    "not fetched: the URL joined the list while the batch ran; re-run the batch to fetch it"
)


def _batch_rows(con: duckdb.DuckDBPyConnection, listed: UrlList) -> tuple[pa.Table, pa.Table]:
    """The list's items and rejected lines, typed as the tables they are written to."""
    items = typed_rows(
        ({"line_number": i.line, "url": i.url, "metadata": metadata_json(i)} for i in listed.items),
        warehouse_schema(con, "content.batch_items", ("line_number", "url", "metadata")),
    )
    rejects = typed_rows(
        ({"line_number": r.line, "value": r.value, "reason": r.reason} for r in listed.rejected),
        warehouse_schema(con, "content.batch_rejects", ("line_number", "value", "reason")),
    )
    return items, rejects


def _register_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, source_file: str, listed: UrlList
) -> None:
    """Within the caller's transaction, with the list staged as ``listed`` and ``rejects``: the
    batch row, its rejected lines, its items (URLs already known keep their state; those not
    done are queued again)."""
    key = {"partition_key": partition_key}
    params = key | {"source_file": source_file}
    existing = con.execute(
        "SELECT registered_at FROM content.batches WHERE partition_key = $partition_key", key
    ).fetchall()
    write_partition(
        con,
        "content.batches",
        key,
        load_sql("select_new_batches"),
        params
        | {
            "registered_at": existing[0][0] if existing else None,
            "total_urls": len(listed.items),
            "rejected_lines": len(listed.rejected),
        },
        in_transaction=True,
    )
    write_partition(
        con,
        "content.batch_rejects",
        key,
        "SELECT $partition_key AS partition_key, $source_file AS source_file, * FROM rejects",
        params,
        in_transaction=True,
    )
    con.execute(load_sql("delete_unlisted_batch_items"), key)
    con.execute(load_sql("delete_unlisted_raw_responses"), key)
    con.execute(load_sql("update_listed_batch_items"), params)
    con.execute(load_sql("merge_batch_items"), params)
    con.execute(load_sql("requeue_batch_items"), key)


def _staged_results(con: duckdb.DuckDBPyConnection, segments: list[str]) -> pa.Table:
    """Every result of the segments (``readable_paths``), without its body
    (``select_staged_results``)."""
    return con.execute(
        load_sql("select_staged_results"), {"segments": segments}
    ).fetch_arrow_table()


def _record_results(
    con: duckdb.DuckDBPyConnection, partition_key: str, segments: list[str], results: pa.Table
) -> None:
    """Within the caller's transaction, with ``results`` staged as ``staged_results``: every
    segment's responses and item states, in one statement each (the bodies go from the segment
    files into the lake without passing through Python). A URL's latest success replaces the
    batch's staging row of it; its latest result sets its state."""
    key = {"partition_key": partition_key}
    responded = pc.unique(results.filter(results.column("latest_success")).column("url"))
    write_partition(
        con,
        "content.raw_responses",
        key | {"url": responded.to_pylist()},
        load_sql("select_staged_responses"),
        key | {"segments": segments},
        in_transaction=True,
    )
    con.execute(load_sql("update_finished_items"), key)


@dataclass
class BatchWrite:
    """What the write step did: the segments it folded in, and items it marked canceled."""

    segments: list[Path] = field(default_factory=list)
    results: int = 0
    canceled: int = 0


def write_batch(
    con: duckdb.DuckDBPyConnection,
    partition_key: str,
    source_file: str,
    listed: UrlList,
    staging: StagingArea,
    run_id: str,
) -> BatchWrite:
    """Register the list and fold in every staged segment, in one transaction (retried whole
    on a conflicting commit); items no result finished become ``canceled``. The segments are
    removed once the transaction has committed: a failure before leaves them for a re-run."""
    staging.discard_partials()
    segments = staging.segments(SEGMENT_KIND)
    items, rejects = _batch_rows(con, listed)
    with readable_paths(segments) as readable:
        outcome = _write_batch(
            con, partition_key, source_file, listed, run_id, (items, rejects), segments, readable
        )
    staging.remove(segments)
    return outcome


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    partition_key: str,
    source_file: str,
    listed: UrlList,
    run_id: str,
    rows: tuple[pa.Table, pa.Table],
    segments: list[Path],
    readable: list[str],
) -> BatchWrite:
    """``write_batch`` with the segments open (``readable``: their paths for DuckDB)."""
    items, rejects = rows
    results = _staged_results(con, readable) if readable else None

    def write() -> BatchWrite:
        done = BatchWrite(segments=segments)
        _register_batch(con, partition_key, source_file, listed)
        if results is not None:
            _record_results(con, partition_key, readable, results)
            done.results = results.num_rows
        params = {"partition_key": partition_key, "run_id": run_id, "reason": LIST_CHANGED_REASON}
        row = con.execute(load_sql("cancel_batch_items"), params).fetchone()
        done.canceled = int(row[0]) if row else 0
        return done

    with (
        staged(con, "listed", items),
        staged(con, "rejects", rejects),
        staged(con, "staged_results", results) if results is not None else nullcontext(),
    ):
        return atomically(con, write)


def done_in_warehouse(con: duckdb.DuckDBPyConnection, partition_key: str) -> set[str]:
    """URLs of the batch that need no fetching (succeeded, or skipped by policy)."""
    rows = con.execute(load_sql("select_done_batch_items"), {"partition_key": partition_key})
    return {url for (url,) in rows.fetchall()}


def cached_responses(
    con: duckdb.DuckDBPyConnection, partition_key: str, urls: list[str], max_age_seconds: float
) -> pa.Table:
    """For URLs still to fetch: the newest response another batch staged within
    ``max_age_seconds`` (without its body), which this batch uses instead of a request."""
    if max_age_seconds <= 0 or not urls:
        return pa.table({"url": pa.array([], pa.string())})
    fresh_after = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=max_age_seconds)
    con.register("todo", pa.table({"url": pa.array(urls, pa.string())}))
    try:
        params = {"partition_key": partition_key, "fresh_after": fresh_after}
        return con.execute(load_sql("select_cached_responses"), params).fetch_arrow_table()
    finally:
        con.unregister("todo")


def failures(
    con: duckdb.DuckDBPyConnection, partition_key: str, limit: int | None = None
) -> list[tuple[str, str, str]]:
    """(url, state, reason) of the items that failed, were skipped or canceled, in list order:
    the first ``limit`` (default all), each reason at most MAX_REASON_CHARS."""
    params = {"partition_key": partition_key, "limit": limit}
    rows = con.execute(load_sql("select_failed_batch_items"), params).fetchall()
    return [(url, state, short_reason(reason)) for url, state, reason in rows]


def state_counts(con: duckdb.DuckDBPyConnection, partition_key: str) -> dict[str, int]:
    params = {"partition_key": partition_key}
    rows = con.execute(load_sql("count_batch_items_by_state"), params).fetchall()
    return {state: int(n) for state, n in rows}
