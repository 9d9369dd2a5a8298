"""Staged fetch results → content.batch_items (a state per URL) and content.raw_responses: the
short write step, the only one of a batch's fetch that holds the content warehouse slot."""

import time

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck, RowCountCheck
from batch_platform.defs.common.metadata import landing_spec, table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource, warehouse_pool
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    BATCH_REJECTS,
    BATCHES,
    FETCH_RESULTS,
    GROUP,
    LANDING_URL_BATCHES,
    PARTITION,
    RAW_RESPONSES,
    load_sql,
)
from batch_platform.defs.content.assets.fetch_results import read_url_list
from batch_platform.defs.content.logic.batch_store import failures, state_counts, write_batch
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.defs.content.resources import ContentResource
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.warehouse import one_snapshot

# Failed, skipped and canceled items in the metadata and the step error: the rows of the table
# (and lines of the error), and the entries of the JSON, each reason at most MAX_REASON_CHARS;
# the others are counted, not listed (content.batch_items has them all).
FAILURES_SHOWN = 50
FAILURES_LISTED = 200
ITEM_KEY_UNIQUE = KeyUniqueCheck(
    BATCH_ITEMS,
    "content.batch_items",
    ("url",),
    "(partition_key, url) identifies an item.",
    PARTITION,
)
ROW_COUNT_CHECKS = (
    RowCountCheck(
        BATCHES,
        "one_row_per_batch",
        "The batch is registered once, with its counts.",
        load_sql("count_batches_mismatched"),
        "missing batch rows or URL counts that differ from content.batch_items",
    ),
    RowCountCheck(
        BATCH_REJECTS,
        "has_reason",
        "Every rejected line says why.",
        load_sql("count_batch_rejects_without_reason"),
        "rejected lines without a reason",
    ),
    RowCountCheck(
        BATCH_ITEMS,
        "every_url_terminal",
        "Every submitted URL ended succeeded, failed, skipped or canceled.",
        load_sql("count_batch_items_not_terminal"),
        "URLs without a terminal state",
        blocking=True,
    ),
    RowCountCheck(
        RAW_RESPONSES,
        "staged_for_every_success",
        "Every succeeded item has a staged body.",
        load_sql("count_raw_responses_missing"),
        "succeeded items without a staged response",
    ),
)

landing_url_batches = landing_spec(
    LANDING_URL_BATCHES,
    GROUP,
    "URL lists (.txt one URL a line, or .csv with a url column) in "
    "<landing>/url_batches/; each file is one batch.",
)


@dg.multi_asset(
    specs=[
        table_spec(
            BATCHES,
            "One row per submitted URL list: file name, first registration, URL counts.",
            deps=[LANDING_URL_BATCHES, FETCH_RESULTS],
            layer="raw",
        ),
        table_spec(
            BATCH_REJECTS,
            "Lines of a URL list not fetched: invalid URLs and duplicates, with the reason.",
            deps=[LANDING_URL_BATCHES],
            layer="quarantine",
        ),
        table_spec(
            BATCH_ITEMS,
            "One row per URL per batch: state (succeeded, failed, skipped, canceled), attempts, "
            "HTTP status, error, timings. Key: (partition_key, url).",
            deps=[LANDING_URL_BATCHES, FETCH_RESULTS],
            layer="raw",
        ),
        table_spec(
            RAW_RESPONSES,
            "Staging: the raw body of every successful fetch, so cleaning re-runs without "
            "refetching and recent URLs are served without a request.",
            deps=[FETCH_RESULTS],
            layer="raw",
        ),
    ],
    check_specs=[
        *(check.spec() for check in ROW_COUNT_CHECKS),
        ITEM_KEY_UNIQUE.spec(),
    ],
    partitions_def=url_batch_partitions,
    group_name=GROUP,
    pool=warehouse_pool("content"),
)
def record_url_batch(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    landing: LandingResource,
    content: ContentResource,
):
    """Register the batch's list and write its staged fetch results, in one transaction.

    Every listed URL ends with a terminal state: a result staged by the fetch step, or
    ``canceled`` when none finished it (a URL added to the list while the batch ran). The staged
    segments are removed once the transaction commits; a failure before leaves them for a
    re-run, which writes them then.
    """
    key = context.partition_key
    source_file, listed = read_url_list(landing, key)
    settings = content.settings()
    run_id = context.run.run_id
    started = time.monotonic()
    staging = duckdb.staging("content", key)
    with duckdb.get_connection() as con:
        written = write_batch(con, key, source_file, listed, staging, run_id)
        context.log.info(
            f"wrote {written.results} staged results from {len(written.segments)} segment(s)"
        )
        if written.canceled:
            context.log.warning(
                f"{written.canceled} URLs joined the list while the batch ran and were not "
                "fetched: marked canceled (re-run the batch to fetch them)"
            )
        seconds = time.monotonic() - started
        counts = state_counts(con, key)
        failed = failures(con, key, limit=FAILURES_LISTED)
        unsuccessful = sum(counts.get(state, 0) for state in ("failed", "skipped", "canceled"))
        total = len(listed.items)
        failure_rate = counts.get("failed", 0) / total if total else 0.0
        params = {"partition_key": key}
        summary = {
            "source_file": source_file,
            "total": total,
            "succeeded": counts.get("succeeded", 0),
            "failed": counts.get("failed", 0),
            "skipped": counts.get("skipped", 0),
            "canceled": counts.get("canceled", 0),
            "results_written": written.results,
            "segments_written": len(written.segments),
            "failure_rate": round(failure_rate, 4),
            "max_failure_rate": settings.max_failure_rate,
            "seconds": round(seconds, 2),
        }
        with one_snapshot(con):
            yield dg.MaterializeResult(
                asset_key=BATCHES,
                metadata=table_metadata(con, "content.batches", PARTITION, params),
            )
            yield dg.MaterializeResult(
                asset_key=BATCH_REJECTS,
                metadata=table_metadata(con, "content.batch_rejects", PARTITION, params)
                | {"invalid": len(listed.invalid), "duplicates": len(listed.duplicates)},
            )
            yield dg.MaterializeResult(
                asset_key=BATCH_ITEMS,
                metadata=table_metadata(con, "content.batch_items", PARTITION, params)
                | summary
                | {
                    "completed": total,
                    "failures": _failures_table(failed[:FAILURES_SHOWN], unsuccessful),
                    "failures_json": dg.MetadataValue.json(
                        [{"url": u, "state": s, "reason": r} for u, s, r in failed]
                    ),
                    "failures_not_listed": unsuccessful - len(failed),
                },
            )
            yield dg.MaterializeResult(
                asset_key=RAW_RESPONSES,
                metadata=table_metadata(con, "content.raw_responses", PARTITION, params),
            )
            yield from _checks(con, params)
    context.log.info(
        f"{summary['succeeded']} succeeded, {summary['failed']} failed, "
        f"{summary['skipped']} skipped of {total} in {seconds:.1f}s"
    )
    if failure_rate > settings.max_failure_rate:
        shown = [(u, r) for u, s, r in failed if s == "failed"][:FAILURES_SHOWN]
        listing = "\n".join(f"- {u}: {r}" for u, r in shown)
        if summary["failed"] > len(shown):
            listing += f"\n… and {summary['failed'] - len(shown)} more"
        raise dg.Failure(
            description=f"{summary['failed']} of {total} URLs failed "
            f"({failure_rate:.1%} > max {settings.max_failure_rate:.1%}):\n{listing}",
            metadata={"failed": summary["failed"], "failure_rate": failure_rate},
        )


def _failures_table(shown: list[tuple[str, str, str]], total: int) -> dg.MetadataValue:
    table = markdown_table(["url", "state", "reason"], shown, max_chars=120)
    if total > len(shown):
        table += f"\n\n… and {total - len(shown)} more"
    return dg.MetadataValue.md(table)


def _checks(con, params):
    for check in ROW_COUNT_CHECKS:
        yield check.evaluate(con, params)
    yield ITEM_KEY_UNIQUE.evaluate(con, params)
