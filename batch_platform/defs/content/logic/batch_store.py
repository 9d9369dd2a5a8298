"""The batch's item states in DuckDB: registering a list, recording results as they finish,
serving recent fetches from staging, and marking unfinished items canceled. No Dagster here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow.compute as pc

from batch_platform.defs.content.logic.reasons import short_reason
from batch_platform.defs.content.logic.url_fetcher import UrlFetchResult
from batch_platform.defs.content.logic.urls import UrlList, metadata_json
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, write_partition
from batch_platform.lib.warehouse_rows import (
    staged,
    typed_rows,
    warehouse_schema,
)

load_sql = SqlFolder.of_domain(__file__)
# A finished item: its content.batch_items columns, plus what content.raw_responses stages.
_ITEM_RESULT_COLUMNS = (
    "url",
    "state",
    "attempts",
    "http_status",
    "error",
    "final_url",
    "content_type",
    "bytes",
    "from_cache",
    "started_at",
    "finished_at",
    "fetch_seconds",
)
_RESPONSE_COLUMNS = ("content_language", "body")


def register_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, source_file: str, listed: UrlList
) -> list[str]:
    """Record the list and its rejected lines; return the URLs still to fetch, in list order."""
    key = {"partition_key": partition_key}
    params = key | {"source_file": source_file}
    items = typed_rows(
        ({"line_number": i.line, "url": i.url, "metadata": metadata_json(i)} for i in listed.items),
        warehouse_schema(con, "content.batch_items", ("line_number", "url", "metadata")),
    )
    rejects = typed_rows(
        ({"line_number": r.line, "value": r.value, "reason": r.reason} for r in listed.rejected),
        warehouse_schema(con, "content.batch_rejects", ("line_number", "value", "reason")),
    )

    def write() -> None:
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

    with staged(con, "listed", items), staged(con, "rejects", rejects):
        atomically(con, write)
    rows = con.execute(load_sql("select_queued_batch_items"), key).fetchall()
    return [url for (url,) in rows]


@dataclass
class Progress:
    total: int
    done: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    from_cache: int = 0


class ResultWriter:
    """Buffers finished items and writes them in small transactions (every ``every`` items or
    ``seconds``), so a crash or a cancel loses at most one buffer of progress."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        partition_key: str,
        run_id: str,
        total: int,
        every: int = 50,
        seconds: float = 0.5,
    ):
        self.con, self.partition_key, self.run_id = con, partition_key, run_id
        self.every, self.seconds = every, seconds
        self.buffer: list[dict] = []
        self.progress = Progress(total)
        self._schemas = (
            warehouse_schema(con, "content.batch_items", _ITEM_RESULT_COLUMNS),
            warehouse_schema(con, "content.raw_responses", _RESPONSE_COLUMNS),
        )
        self._last_flush = time.monotonic()

    def add(self, result: UrlFetchResult, from_cache: bool = False) -> None:
        self.buffer.append(
            {
                "url": result.url,
                "state": result.state,
                "attempts": result.attempts,
                "http_status": result.http_status,
                "error": short_reason(result.error) if result.error is not None else None,
                "final_url": result.final_url,
                "content_type": result.content_type,
                "content_language": result.content_language,
                "bytes": len(result.body) if result.body is not None else None,
                "from_cache": from_cache,
                "started_at": result.started_at,
                "finished_at": result.finished_at,
                "fetch_seconds": (result.finished_at - result.started_at).total_seconds(),
                "body": result.body,
            }
        )
        progress = self.progress
        progress.done += 1
        progress.from_cache += from_cache
        setattr(progress, result.state, getattr(progress, result.state) + 1)
        if len(self.buffer) >= self.every or time.monotonic() - self._last_flush > self.seconds:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self.buffer:
            return
        finished = typed_rows(self.buffer, *self._schemas)
        key = {"partition_key": self.partition_key}
        # A URL fetched by this run replaces its staged response. One served from staging keeps
        # the row serve_from_staging copied into this batch: deleting it here would leave the
        # batch without the response its pages are cleaned from.
        fetched = [
            item["url"]
            for item in self.buffer
            if item["state"] == "succeeded" and not item["from_cache"]
        ]

        def write() -> None:
            write_partition(
                self.con,
                "content.raw_responses",
                key | {"url": fetched},
                load_sql("select_fetched_responses"),
                key,
                in_transaction=True,
            )
            self.con.execute(load_sql("update_finished_items"), key | {"run_id": self.run_id})

        with staged(self.con, "finished", finished):
            atomically(self.con, write)
        self.buffer = []


def serve_from_staging(
    con: duckdb.DuckDBPyConnection, writer: ResultWriter, max_age_seconds: float
) -> set[str]:
    """Items whose URL was fetched within ``max_age_seconds`` (by any batch) succeed from the
    staged response without a request. Returns the URLs served."""
    if max_age_seconds <= 0:
        return set()
    fresh_after = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=max_age_seconds)
    params = {"partition_key": writer.partition_key, "fresh_after": fresh_after}
    cached = con.execute(load_sql("select_cached_responses"), params).fetch_arrow_table()
    if not cached.num_rows:
        return set()

    # Responses staged by other batches become this batch's staging rows too.
    copied = cached.filter(pc.not_equal(cached.column("cached_from"), writer.partition_key))
    con.register("cached", cached)
    try:
        write_partition(
            con,
            "content.raw_responses",
            {"partition_key": writer.partition_key, "url": copied.column("url").to_pylist()},
            load_sql("select_copied_responses"),
            {"partition_key": writer.partition_key},
        )
    finally:
        con.unregister("cached")
    now = datetime.now(UTC)
    for row in cached.select(
        ["url", "final_url", "http_status", "content_type", "content_language"]
    ).to_pylist():
        result = UrlFetchResult(
            url=row["url"],
            state="succeeded",
            attempts=0,
            http_status=row["http_status"],
            error=None,
            final_url=row["final_url"],
            content_type=row["content_type"],
            content_language=row["content_language"],
            body=None,
            started_at=now,
            finished_at=now,
        )
        writer.add(result, from_cache=True)
    writer.flush()
    return set(cached.column("url").to_pylist())


def cancel_unfinished(con: duckdb.DuckDBPyConnection, partition_key: str, run_id: str) -> int:
    """Items this run did not finish become ``canceled`` (a re-run fetches them)."""

    def write() -> int:
        params = {"partition_key": partition_key, "run_id": run_id}
        row = con.execute(load_sql("cancel_batch_items"), params).fetchone()
        return int(row[0]) if row else 0

    return atomically(con, write)


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
