"""The batch's item states in DuckDB: registering a list, recording results as they finish,
serving recent fetches from staging, and marking unfinished items canceled. No Dagster here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from batch_platform.defs.content.logic.url_fetcher import UrlFetchResult
from batch_platform.defs.content.logic.urls import UrlList, metadata_json
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically

load_sql = SqlFolder.of_domain(__file__)
TERMINAL_STATES = ("succeeded", "failed", "skipped", "canceled")
DONE_STATES = ("succeeded", "skipped")  # never fetched again by a re-run


def register_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, source_file: str, listed: UrlList
) -> list[str]:
    """Record the list and its rejected lines; return the URLs still to fetch, in list order."""
    key = {"partition_key": partition_key}
    items = pa.table(
        {
            "line_number": [i.line for i in listed.items],
            "url": [i.url for i in listed.items],
            "metadata": [metadata_json(i) for i in listed.items],
        },
        schema=pa.schema(
            [("line_number", pa.int64()), ("url", pa.string()), ("metadata", pa.string())]
        ),
    )
    rejects = pa.table(
        {
            "line_number": [r.line for r in listed.rejected],
            "value": [r.value for r in listed.rejected],
            "reason": [r.reason for r in listed.rejected],
        },
        schema=pa.schema(
            [("line_number", pa.int64()), ("value", pa.string()), ("reason", pa.string())]
        ),
    )

    def write() -> None:
        con.register("listed", items)
        con.register("rejects", rejects)
        params = key | {"source_file": source_file}
        existing = con.execute(
            "SELECT registered_at FROM content.batches WHERE partition_key = $partition_key", key
        ).fetchall()
        con.execute("DELETE FROM content.batches WHERE partition_key = $partition_key", key)
        con.execute(
            load_sql("upsert_batch"),
            params
            | {
                "registered_at": existing[0][0] if existing else None,
                "total_urls": len(listed.items),
                "rejected_lines": len(listed.rejected),
            },
        )
        con.execute("DELETE FROM content.batch_rejects WHERE partition_key = $partition_key", key)
        con.execute(
            "INSERT INTO content.batch_rejects BY NAME SELECT $partition_key AS partition_key, "
            "$source_file AS source_file, line_number, value, reason FROM rejects",
            params,
        )
        for table in ("content.batch_items", "content.raw_responses"):
            con.execute(
                f"DELETE FROM {table} WHERE partition_key = $partition_key "
                "AND url NOT IN (SELECT url FROM listed)",
                key,
            )
        con.execute(
            "UPDATE content.batch_items AS i SET line_number = n.line_number, "
            "metadata = n.metadata::JSON, source_file = $source_file FROM listed AS n "
            "WHERE i.partition_key = $partition_key AND i.url = n.url",
            params,
        )
        con.execute(load_sql("merge_batch_items"), params)
        # Whatever a previous run left unfinished is queued again (checkpoint/resume).
        con.execute(
            "UPDATE content.batch_items SET state = 'queued', error = NULL "
            "WHERE partition_key = $partition_key AND state NOT IN ('succeeded', 'skipped')",
            key,
        )
        con.unregister("listed")
        con.unregister("rejects")

    atomically(con, write)
    rows = con.execute(
        "SELECT url FROM content.batch_items WHERE partition_key = $partition_key "
        "AND state = 'queued' ORDER BY line_number",
        key,
    ).fetchall()
    return [url for (url,) in rows]


_FINISHED_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("state", pa.string()),
        ("attempts", pa.int64()),
        ("http_status", pa.int32()),
        ("error", pa.string()),
        ("final_url", pa.string()),
        ("content_type", pa.string()),
        ("content_language", pa.string()),
        ("bytes", pa.int64()),
        ("from_cache", pa.bool_()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("fetch_seconds", pa.float64()),
        ("body", pa.binary()),
    ]
)


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
        self._last_flush = time.monotonic()

    def add(self, result: UrlFetchResult, from_cache: bool = False) -> None:
        self.buffer.append(
            {
                "url": result.url,
                "state": result.state,
                "attempts": result.attempts,
                "http_status": result.http_status,
                "error": result.error,
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
        finished = pa.Table.from_pylist(self.buffer, schema=_FINISHED_SCHEMA)
        key = {"partition_key": self.partition_key}

        def write() -> None:
            self.con.register("finished", finished)
            self.con.execute(
                "DELETE FROM content.raw_responses WHERE partition_key = $partition_key "
                "AND url IN (SELECT url FROM finished WHERE state = 'succeeded')",
                key,
            )
            self.con.execute(
                "INSERT INTO content.raw_responses BY NAME SELECT $partition_key AS "
                "partition_key, url, final_url, http_status, content_type, content_language, "
                "body, finished_at::TIMESTAMP AS fetched_at FROM finished "
                "WHERE state = 'succeeded' AND NOT from_cache",
                key,
            )
            self.con.execute(load_sql("update_finished_items"), key | {"run_id": self.run_id})
            self.con.unregister("finished")

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

    def copy() -> None:
        # Responses staged by other batches become this batch's staging rows too.
        con.register("cached", cached)
        con.execute(
            "DELETE FROM content.raw_responses WHERE partition_key = $partition_key "
            "AND url IN (SELECT url FROM cached WHERE cached_from <> $partition_key)",
            {"partition_key": writer.partition_key},
        )
        con.execute(
            "INSERT INTO content.raw_responses BY NAME SELECT $partition_key AS partition_key, "
            "* EXCLUDE (cached_from) FROM cached WHERE cached_from <> $partition_key",
            {"partition_key": writer.partition_key},
        )
        con.unregister("cached")

    atomically(con, copy)
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
        row = con.execute(
            "UPDATE content.batch_items SET state = 'canceled', run_id = $run_id, "
            "error = 'the run stopped before this URL finished', finished_at = now()::TIMESTAMP "
            "WHERE partition_key = $partition_key AND state = 'queued'",
            {"partition_key": partition_key, "run_id": run_id},
        ).fetchone()
        return int(row[0]) if row else 0

    return atomically(con, write)


def failures(con: duckdb.DuckDBPyConnection, partition_key: str) -> list[tuple[str, str, str]]:
    """(url, state, reason) of every item that failed or was skipped, in list order."""
    return con.execute(
        "SELECT url, state, coalesce(error, state) FROM content.batch_items "
        "WHERE partition_key = $partition_key AND state IN ('failed', 'skipped', 'canceled') "
        "ORDER BY line_number",
        {"partition_key": partition_key},
    ).fetchall()


def state_counts(con: duckdb.DuckDBPyConnection, partition_key: str) -> dict[str, int]:
    rows = con.execute(
        "SELECT state, count(*) FROM content.batch_items WHERE partition_key = $partition_key "
        "GROUP BY 1",
        {"partition_key": partition_key},
    ).fetchall()
    return {state: int(n) for state, n in rows}
