"""The month's office data per registration, with each registration's terminal fetch state:
the short step that writes the warehouse (from snapshot files, or the staged API responses)."""

import dagster as dg

from batch_platform.defs.common.checks import RowCountCheck
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.portfolio.assets._common import (
    FIRM_RECORDS,
    GROUP,
    LANDING_OFFICE,
    MONTH,
    OFFICE_API_RESPONSES,
    OFFICE_SNAPSHOT,
    load_sql,
    monthly_table,
    registration_key_unique,
)
from batch_platform.defs.portfolio.logic.office_data import (
    failed_fetches,
    fetch_counts,
    load_office_snapshots,
    write_staged_responses,
)
from batch_platform.defs.portfolio.logic.office_responses import RESPONSES_KIND
from batch_platform.defs.portfolio.logic.registration_records import ignored_files, record_files
from batch_platform.defs.portfolio.partitions import month_of
from batch_platform.defs.portfolio.resources import OfficeDataResource
from batch_platform.defs.reference.keys import JURISDICTIONS, OFFICE_STATUS_SPELLINGS
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.staging import StagingArea

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


def _fold_in_staged_responses(context, con, staging: StagingArea, month) -> str:
    # Exactly the segments listed here are read and, once committed, removed; a segment staged
    # meanwhile waits for the next run.
    segments = staging.segments(RESPONSES_KIND)
    written = write_staged_responses(con, month, segments)
    staging.remove(segments)
    context.log.info(
        f"{month:%Y-%m}: {written.results:,} staged result(s) from {len(segments)} segment(s) "
        f"written to the warehouse, and the segments removed"
    )
    if written.dropped:
        context.log.info(
            f"removed {written.dropped} row(s) of registrations no longer in firm records"
        )
    return f"api: {written.results:,} staged result(s) from {len(segments)} segment(s)"


@dg.asset(
    key=OFFICE_SNAPSHOT,
    deps=[
        FIRM_RECORDS,
        LANDING_OFFICE,
        OFFICE_API_RESPONSES,
        JURISDICTIONS,
        OFFICE_STATUS_SPELLINGS,
    ],
    **monthly_table("clean"),
    check_specs=[
        TERMINAL_FETCH_STATE.spec(),
        OFFICE_SNAPSHOT_KEY_UNIQUE.spec(),
        COUNTS_RECONCILE.spec(),
    ],
)
def office_snapshot(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    landing: LandingResource,
    portfolio_office: OfficeDataResource,
):
    """The office's record of every registration this month (from snapshot files or the API).

    Each registration ends succeeded or failed with its error and attempt count. With the API
    source, this step folds every response ``portfolio/portfolio_office_api_responses``
    staged into the month in one transaction and then removes the segments; should it fail, they
    stay and a re-run writes them. Dates and statuses are normalised per office.
    Key: (month, registration_id).
    """
    month = month_of(context)
    params = {"month": month}
    with duckdb.get_connection() as con:
        if portfolio_office.resolved_source == "api":
            staging = duckdb.staging(GROUP, context.partition_key)
            source = _fold_in_staged_responses(context, con, staging, month)
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
