"""URL list → fetch results staged as files: the network-bound step, holding no warehouse slot."""

import time
from datetime import UTC, datetime

import dagster as dg

from batch_platform.defs.common.metadata import OWNERS
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    FETCH_RESULTS,
    GROUP,
    LANDING_URL_BATCHES,
)
from batch_platform.defs.content.logic.batch_store import (
    cached_responses,
    done_in_warehouse,
    write_batch,
)
from batch_platform.defs.content.logic.fetch_staging import (
    ResultStager,
    done_urls,
    staged_states,
)
from batch_platform.defs.content.logic.url_fetcher import UrlFetchResult, fetch_urls
from batch_platform.defs.content.logic.urls import UrlList, UrlListError, parse_url_list
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.defs.content.resources import ContentResource
from batch_platform.lib.interrupts import run_interruptibly
from batch_platform.lib.landing import find_landed_file

PROGRESS_EVERY_SECONDS = 2.0


def read_url_list(landing: LandingResource, key: str) -> tuple[str, UrlList]:
    """The batch's landed list (file name, parsed), or a Failure that says what is wrong."""
    path = find_landed_file(landing.url_batches_dir, key)
    if path is None:
        raise dg.Failure(
            f"no file in {landing.url_batches_dir} has partition key {key!r}; "
            "was it moved or deleted after it landed?"
        )
    try:
        return path.name, parse_url_list(path)
    except UrlListError as error:
        raise dg.Failure(f"cannot read the URL list: {error}") from None


class ProgressReporter:
    """Logs progress and records it as an observation that `batch-platform batch status` reads."""

    def __init__(self, context: dg.AssetExecutionContext, stager: ResultStager, total: int):
        self.context, self.stager, self.total = context, stager, total
        self.already_done = total - stager.progress.total
        self.last = 0.0

    def __call__(self, result: UrlFetchResult | None = None, force: bool = False) -> None:
        if result is not None:
            self.stager.add(result)
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        p = self.stager.progress
        completed = self.already_done + p.done
        self.context.log.info(
            f"{completed}/{self.total} URLs done ({p.succeeded} fetched, {p.failed} failed, "
            f"{p.skipped} skipped, {p.from_cache} from staging in this run)"
        )
        self.context.log_event(
            dg.AssetObservation(
                asset_key=BATCH_ITEMS,
                partition=self.context.partition_key,
                metadata={"completed": completed, "total": self.total, "failed": p.failed},
            )
        )


@dg.asset(
    key=FETCH_RESULTS,
    deps=[LANDING_URL_BATCHES],
    partitions_def=url_batch_partitions,
    group_name=GROUP,
    kinds={"python", "parquet"},
    owners=list(OWNERS),
    tags={"layer": "staging"},
    check_specs=[
        dg.AssetCheckSpec(
            "every_url_accounted",
            asset=FETCH_RESULTS,
            description="Every listed URL is done in the warehouse or has a staged result.",
            blocking=True,
        )
    ],
)
def fetch_url_batch(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    landing: LandingResource,
    content: ContentResource,
):
    """Fetch every URL of the batch not yet done, politely, staging each result as it ends.

    The results (state, attempts, error, response body) are Parquet segments under
    ``<warehouse>/staging/content/<batch>/`` until ``record_url_batch`` writes them into
    content.batch_items and content.raw_responses. This step reads the warehouse and holds no
    warehouse slot while it waits on the network. URLs done in the warehouse or in
    segments an interrupted run left are not fetched again; URLs another batch fetched within
    the cache age are served from its staged response. Stopped (canceled, timed out), it stages
    every unfinished URL as ``canceled`` and writes what it staged itself, since the write step
    will not run.
    """
    key = context.partition_key
    source_file, listed = read_url_list(landing, key)
    settings = content.settings()
    staging = duckdb.staging("content", key)
    staging.discard_partials()
    started = time.monotonic()
    for rejected in listed.rejected[:20]:
        context.log.warning(f"{source_file} line {rejected.line}: {rejected.reason}")
    listed_urls = [item.url for item in listed.items]
    with duckdb.get_connection() as con:  # reads only
        done = done_in_warehouse(con, key) | done_urls(staged_states(staging))
        todo = [url for url in listed_urls if url not in done]
        cached = cached_responses(con, key, todo, settings.cache_max_age)
    context.log.info(
        f"{source_file}: {len(listed.items)} URLs ({len(listed.invalid)} invalid and "
        f"{len(listed.duplicates)} duplicate lines not fetched); {len(todo)} still to fetch"
    )
    stager = ResultStager(staging, context.run.run_id, total=len(todo))
    report = ProgressReporter(context, stager, len(listed.items))
    report(force=True)
    stopped = True
    try:
        for row in cached.to_pylist():
            stager.add(_served_from_staging(row), cached_from=row["cached_from"])
        if cached.num_rows:
            context.log.info(f"{cached.num_rows} URLs served from staging (fetched recently)")
        served = set(cached.column("url").to_pylist())
        remaining = [url for url in todo if url not in served]
        run_interruptibly(fetch_urls(remaining, settings.fetch_settings(), report))
        stopped = False
    finally:
        # Also when stopped: keep what finished, and never leave an item unfinished.
        canceled = stager.cancel_unfinished(todo)
        if canceled:
            context.log.warning(f"run stopped: {canceled} unfinished URLs marked canceled")
        if stopped:  # the write step will not run: show the batch's state now
            _write_when_stopped(context, duckdb, key, source_file, listed)
    report(force=True)
    staged = staged_states(staging)
    unaccounted = [url for url in listed_urls if url not in done and url not in staged]
    p = stager.progress
    seconds = time.monotonic() - started
    context.log.info(
        f"staged {p.done} results in {stager.segments_written} segment(s) in {seconds:.1f}s: "
        f"{p.succeeded} succeeded ({p.from_cache} from staging), {p.failed} failed, "
        f"{p.skipped} skipped"
    )
    yield dg.MaterializeResult(
        metadata={
            "source_file": source_file,
            "total": len(listed.items),
            "done_before": len(listed.items) - len(todo),
            "staged_this_run": p.done,
            "succeeded": p.succeeded,
            "failed": p.failed,
            "skipped": p.skipped,
            "from_staging": p.from_cache,
            "staged_results": len(staged),
            "segments": len(staging.segments()),
            "staging_dir": dg.MetadataValue.path(str(staging.directory)),
            "seconds": round(seconds, 2),
        }
    )
    yield dg.AssetCheckResult(
        check_name="every_url_accounted",
        passed=not unaccounted,
        description=f"{len(unaccounted)} listed URLs neither done nor staged"
        if unaccounted
        else "every listed URL is done or staged",
        metadata={"unaccounted": len(unaccounted), "examples": ", ".join(unaccounted[:5])},
    )


def _write_when_stopped(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    key: str,
    source_file: str,
    listed: UrlList,
) -> None:
    """A stopped run never reaches its write step, so the fetch step writes what it staged
    itself: one short transaction, retried whole if another batch's write conflicts. If that
    fails too, the segments stay and the next run writes them."""
    try:
        with duckdb.get_connection() as con:
            written = write_batch(
                con, key, source_file, listed, duckdb.staging("content", key), context.run.run_id
            )
    except Exception as error:  # the stop is what the user must see, not this
        context.log.error(f"stopped; the staged results stay for the next run: {error}")
        return
    context.log.warning(
        f"stopped: wrote the {written.results} staged results to content.batch_items, so the "
        "batch shows what finished; a re-run fetches the rest"
    )


def _served_from_staging(row: dict) -> UrlFetchResult:
    """A URL another batch fetched recently: succeeded without a request (body copied later)."""
    now = datetime.now(UTC)
    return UrlFetchResult(
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
