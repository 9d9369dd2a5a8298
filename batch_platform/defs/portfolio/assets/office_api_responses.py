"""The office API's responses for the month, staged as files: the step that waits on the
network, for hours at the offices' rate limits, and so holds no warehouse pool."""

import dagster as dg

from batch_platform.defs.common.checks import counted_check_result
from batch_platform.defs.common.metadata import OWNERS
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.portfolio.assets._common import (
    FIRM_RECORDS,
    GROUP,
    OFFICE_API_RESPONSES,
)
from batch_platform.defs.portfolio.logic.office_data import fetch_counts, pending_fetches
from batch_platform.defs.portfolio.logic.office_responses import (
    ResponseStager,
    staged_registrations,
    staged_successes,
)
from batch_platform.defs.portfolio.partitions import month_of, portfolio_months
from batch_platform.defs.portfolio.resources import OfficeDataResource
from batch_platform.defs.reference.keys import JURISDICTIONS, OFFICE_STATUS_SPELLINGS
from batch_platform.lib.interrupts import run_interruptibly

# Results per staged segment: a run that dies loses at most this many, less those in flight.
CHECKPOINT_EVERY = 100
ALL_PENDING_STAGED = dg.AssetCheckSpec(
    "pending_registrations_staged",
    asset=OFFICE_API_RESPONSES,
    description="Every registration the run had to fetch has a result staged (succeeded, or "
    "failed with its error) for the write step to fold in.",
    blocking=True,
)


class OfficeApiResponsesConfig(dg.Config):
    refetch_all: bool = False  # fetch every registration, not only those without a success


@dg.asset(
    key=OFFICE_API_RESPONSES,
    deps=[FIRM_RECORDS, JURISDICTIONS, OFFICE_STATUS_SPELLINGS],
    group_name=GROUP,
    kinds={"python", "parquet"},
    owners=list(OWNERS),
    tags={"layer": "staging"},
    partitions_def=portfolio_months,
    check_specs=[ALL_PENDING_STAGED],
)
def office_api_responses(
    context: dg.AssetExecutionContext,
    config: OfficeApiResponsesConfig,
    duckdb: WarehouseResource,
    portfolio_office: OfficeDataResource,
):
    """The office API's response for every registration the month still needs (API source).

    Parquet segments under ``<warehouse dir>/staging/portfolio/<month>/``, 100 normalised
    results each (the office's values, or the error), until
    ``portfolio/portfolio_office_snapshot`` folds them into the warehouse and removes them.
    This step only reads the warehouse, for the registrations without a succeeded row (nearest
    renewal first; all of them with ``refetch_all``), and skips those a segment left by an
    interrupted run holds a success for: a re-run resumes. Stopped (SIGINT, SIGTERM), it stages
    the results it has before it ends. With the snapshot source it has nothing to fetch and
    records that.
    """
    if portfolio_office.resolved_source != "api":
        context.log.info("office data come from snapshot files: nothing to fetch")
        yield dg.MaterializeResult(metadata={"source": "snapshot files (nothing fetched)"})
        yield dg.AssetCheckResult(
            check_name=ALL_PENDING_STAGED.name,
            passed=True,
            description="snapshot source: nothing to fetch",
        )
        return
    month = month_of(context)
    api = portfolio_office.api_config()
    staging = duckdb.staging(GROUP, context.partition_key)
    staging.discard_partials()
    resumed = staged_successes(staging)
    with duckdb.open(read_only=True) as con:
        requests = pending_fetches(con, month, config.refetch_all, resumed)
        total = fetch_counts(con, month).registrations
    context.log.info(
        f"{month:%Y-%m}: fetching {len(requests):,} of {total:,} registrations from "
        f"{api.base_url} (nearest renewal first; {api.requests_per_minute:g}/min per "
        f"jurisdiction, {api.concurrency} in flight); {len(resumed):,} already staged"
    )

    def report(stager: ResponseStager) -> None:
        context.log.info(
            f"staged: {stager.staged:,}/{len(requests):,} fetched, {stager.failed:,} failed so far"
        )

    stager = ResponseStager(staging, CHECKPOINT_EVERY, report)
    try:
        run_interruptibly(stager.fetch(requests, api))
    except KeyboardInterrupt:
        context.log.warning(
            f"stopped: {stager.staged:,} of {len(requests):,} results staged in "
            f"{staging.directory}; a re-run fetches only the rest"
        )
        raise
    unstaged = {r.registration_id for r in requests} - staged_registrations(staging)
    yield dg.MaterializeResult(
        metadata={
            "source": f"api {api.base_url}",
            "requested": len(requests),
            "staged": stager.staged,
            "failed": stager.failed,
            "resumed": len(resumed),
            "segments": len(staging.segments()),
            "staging_directory": dg.MetadataValue.path(str(staging.directory)),
        }
    )
    yield counted_check_result(
        asset_key=OFFICE_API_RESPONSES,
        check_name=ALL_PENDING_STAGED.name,
        failing_by_partition={"": len(unstaged)},
        what="registrations requested without a staged result",
    )
