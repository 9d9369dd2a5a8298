"""A batch's fetch results as staged files, while the fetch runs and until they are written.

The fetch step holds no warehouse slot: each finished URL goes into a buffer that is written as a
Parquet segment of the batch's staging area every ``every`` items or ``seconds`` (a crash or a
cancel loses at most one buffer), with the response body. The write step (batch_store) folds the
segments into content.batch_items and content.raw_responses. Segments an interrupted run left
tell the next run what is already done. No Dagster here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from batch_platform.defs.content.logic.reasons import short_reason
from batch_platform.defs.content.logic.url_fetcher import UrlFetchResult
from batch_platform.lib.staging import StagingArea

SEGMENT_KIND = "results"
DONE_STATES = ("succeeded", "skipped")
UNFINISHED_REASON = "the run stopped before this URL finished"
# One finished URL in a segment: its content.batch_items columns, what content.raw_responses
# keeps (language, body), and where a response served from staging is copied from.
RESULT_SCHEMA = pa.schema(
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
        ("cached_from", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("finished_at", pa.timestamp("us")),
        ("fetch_seconds", pa.float64()),
        ("body", pa.large_binary()),
        ("run_id", pa.string()),
    ]
)


@dataclass
class Progress:
    total: int
    done: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    canceled: int = 0
    from_cache: int = 0


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class ResultStager:
    """Buffers finished URLs and writes them as segments of the batch's staging area."""

    def __init__(
        self,
        staging: StagingArea,
        run_id: str,
        total: int,
        every: int = 50,
        seconds: float = 2.0,
    ):
        self.staging, self.run_id = staging, run_id
        self.every, self.seconds = every, seconds
        self.buffer: list[dict] = []
        self.finished: set[str] = set()
        self.progress = Progress(total)
        self.segments_written = 0
        self._last_flush = time.monotonic()

    def add(self, result: UrlFetchResult, cached_from: str | None = None) -> None:
        started, finished = _utc_naive(result.started_at), _utc_naive(result.finished_at)
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
                "from_cache": cached_from is not None,
                "cached_from": cached_from,
                "started_at": started,
                "finished_at": finished,
                "fetch_seconds": (finished - started).total_seconds(),
                "body": result.body,
                "run_id": self.run_id,
            }
        )
        self.finished.add(result.url)
        progress = self.progress
        progress.done += 1
        progress.from_cache += cached_from is not None
        setattr(progress, result.state, getattr(progress, result.state) + 1)
        if len(self.buffer) >= self.every or time.monotonic() - self._last_flush > self.seconds:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self.buffer:
            return
        self.staging.write(SEGMENT_KIND, pa.Table.from_pylist(self.buffer, schema=RESULT_SCHEMA))
        self.segments_written += 1
        self.buffer = []

    def cancel_unfinished(self, urls: list[str]) -> int:
        """Stage ``canceled`` for every URL of ``urls`` this run did not finish (a re-run
        fetches them); returns how many."""
        self.flush()
        now = datetime.now(UTC)
        unfinished = [url for url in urls if url not in self.finished]
        for url in unfinished:
            self.add(
                UrlFetchResult(
                    url=url,
                    state="canceled",
                    attempts=0,
                    http_status=None,
                    error=UNFINISHED_REASON,
                    final_url=None,
                    content_type=None,
                    content_language=None,
                    body=None,
                    started_at=now,
                    finished_at=now,
                )
            )
        self.flush()
        return len(unfinished)


def staged_states(staging: StagingArea) -> dict[str, str]:
    """The latest staged state of each URL (segments in the order they were written)."""
    states: dict[str, str] = {}
    for segment in staging.read(SEGMENT_KIND, columns=["url", "state"]):
        urls, states_of = segment.column("url").to_pylist(), segment.column("state").to_pylist()
        states.update(zip(urls, states_of, strict=True))
    return states


def done_urls(states: dict[str, str]) -> set[str]:
    return {url for url, state in states.items() if state in DONE_STATES}
