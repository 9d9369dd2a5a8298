"""The month's office data per registration, with each registration's terminal fetch state."""

import asyncio

import dagster as dg

from batch_platform.defs.common.checks import RowCountCheck
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.portfolio.assets._common import (
    FIRM_RECORDS,
    LANDING_OFFICE,
    MONTH,
    OFFICE_SNAPSHOT,
    load_sql,
    monthly_table,
    registration_key_unique,
)
from batch_platform.defs.portfolio.logic.office_api import OfficeFetchResult, fetch_registrations
from batch_platform.defs.portfolio.logic.office_data import (
    drop_stale_office_rows,
    failed_fetches,
    fetch_counts,
    load_office_snapshots,
    pending_fetches,
    write_api_results,
)
from batch_platform.defs.portfolio.logic.registration_records import ignored_files, record_files
from batch_platform.defs.portfolio.partitions import month_of
from batch_platform.defs.portfolio.resources import OfficeDataResource
from batch_platform.lib.markdown import markdown_table

# API results are written (checkpointed) in batches this size: a run that dies loses at most one.
CHECKPOINT_EVERY = 100
FAILED_PREVIEW = 20
OFFICE_SNAPSHOT_KEY_UNIQUE = registration_key_unique(
    OFFICE_SNAPSHOT,
    "portfolio.office_snapshot",
    "One row per registration.",
    "registration_id_unique",
)
TERMINAL_FETCH_STATE = RowCountCheck(
    OFFICE_SNAPSHOT,
    "terminal_fetch_state",
    "Every registration in the firm records has a terminal fetch state (succeeded, or failed "
    "with an error).",
    load_sql("count_registrations_without_terminal_fetch"),
    "registrations without a terminal fetch state",
    blocking=True,
)
COUNTS_RECONCILE = RowCountCheck(
    OFFICE_SNAPSHOT,
    "counts_reconcile",
    "Registrations in firm records = fetched + failed, and no row without a firm record.",
    load_sql("count_unreconciled_registrations"),
    "registrations not reconciled between firm records and fetched + failed",
    blocking=True,
)


class OfficeSnapshotConfig(dg.Config):
    refetch_all: bool = False  # API source: fetch every registration, not only unfinished ones


def _fetch_from_api(context, con, office: OfficeDataResource, month, refetch_all: bool) -> str:
    config = office.api_config()
    requests = pending_fetches(con, month, refetch_all)
    total = fetch_counts(con, month).registrations
    context.log.info(
        f"{month:%Y-%m}: fetching {len(requests):,} of {total:,} registrations from "
        f"{config.base_url} (nearest renewal first; {config.requests_per_minute:g}/min per "
        f"jurisdiction, {config.concurrency} in flight)"
    )
    batch: list[OfficeFetchResult] = []
    done = {"fetched": 0, "failed": 0}

    def flush() -> None:
        write_api_results(con, month, batch)
        done["fetched"] += len(batch)
        done["failed"] += sum(not r.succeeded for r in batch)
        batch.clear()
        context.log.info(
            f"checkpoint: {done['fetched']:,}/{len(requests):,} fetched, "
            f"{done['failed']:,} failed so far"
        )

    def on_result(result: OfficeFetchResult) -> None:
        batch.append(result)
        if len(batch) >= CHECKPOINT_EVERY:
            flush()

    asyncio.run(fetch_registrations(requests, config, on_result))
    if batch:
        flush()
    dropped = drop_stale_office_rows(con, month)
    if dropped:
        context.log.info(f"removed {dropped} row(s) of registrations no longer in firm records")
    return f"api {config.base_url} ({len(requests):,} requested this run)"


@dg.asset(
    key=OFFICE_SNAPSHOT,
    deps=[FIRM_RECORDS, LANDING_OFFICE],
    **monthly_table("clean"),
    check_specs=[
        TERMINAL_FETCH_STATE.spec(),
        OFFICE_SNAPSHOT_KEY_UNIQUE.spec(),
        COUNTS_RECONCILE.spec(),
    ],
)
def office_snapshot(
    context: dg.AssetExecutionContext,
    config: OfficeSnapshotConfig,
    duckdb: WarehouseResource,
    landing: LandingResource,
    portfolio_office: OfficeDataResource,
):
    """The office's record of every registration this month (from snapshot files or the API).

    Each registration ends succeeded or failed with its error and attempt count. With the API
    source, results are checkpointed as they arrive, and a re-run fetches only what has not
    succeeded (``refetch_all`` fetches everything). Dates and statuses are normalised per office.
    Key: (month, registration_id).
    """
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        if portfolio_office.resolved_source == "api":
            source = _fetch_from_api(context, con, portfolio_office, month, config.refetch_all)
        else:
            files = record_files(landing.portfolio_office_dir)
            ignored = ignored_files(landing.portfolio_office_dir)
            if ignored:
                context.log.warning(f"not CSV/JSONL, so not read: {', '.join(ignored)}")
            load = load_office_snapshots(con, month, files)
            source = f"snapshot files: {', '.join(load.files) or 'none'}"
            context.log.info(
                f"{month:%Y-%m}: {load.office_rows:,} office rows in {len(files)} file(s)"
            )
            if load.unattributable:
                context.log.warning(
                    f"{len(load.unattributable)} office row(s) name no registration and were "
                    f"skipped: {'; '.join(load.unattributable[:10])}"
                )
        counts = fetch_counts(con, month)
        context.log.info(
            f"{month:%Y-%m}: {counts.registrations:,} registrations, {counts.succeeded:,} "
            f"fetched, {counts.failed:,} failed, {counts.retried:,} retried"
        )
        if counts.failed:
            context.log.warning(
                f"{counts.failed} registration(s) failed to fetch; re-run the month to retry them"
            )
        failed = failed_fetches(con, month, FAILED_PREVIEW)
        failed_md = (
            markdown_table(["registration", "jurisdiction", "attempts", "error"], failed)
            if failed
            else "_no failed fetches_"
        )
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "portfolio.office_snapshot", MONTH, params)
            | {
                "source": source,
                "registrations": counts.registrations,
                "fetched": counts.succeeded,
                "failed": counts.failed,
                "retried": counts.retried,
                "failed_items": dg.MetadataValue.md(failed_md),
            }
        )
        yield TERMINAL_FETCH_STATE.evaluate(con, {"month": month})
        yield OFFICE_SNAPSHOT_KEY_UNIQUE.evaluate(con, {"month": month})
        yield COUNTS_RECONCILE.evaluate(con, {"month": month})
