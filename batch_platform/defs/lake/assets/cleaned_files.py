"""File clean-up: data files that nothing references any more deleted from storage."""

import datetime as dt
import time

import dagster as dg

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.lake.assets._common import (
    CLEANED_FILES,
    EXPIRED_SNAPSHOTS,
    upkeep_asset,
)
from batch_platform.defs.lake.checks import REFERENCED_FILES_EXIST, referenced_files_result
from batch_platform.defs.lake.logic.file_accounting import bytes_freed
from batch_platform.defs.lake.logic.lake_catalog import (
    cleanup_old_files,
    delete_orphaned_files,
    lake_catalog,
    referenced_files,
    scheduled_file_count,
    stored_files,
)
from batch_platform.defs.lake.logic.upkeep_settings import load_upkeep_settings


@dg.asset(
    key=CLEANED_FILES,
    deps=[EXPIRED_SNAPSHOTS],
    **upkeep_asset(),
    check_specs=[REFERENCED_FILES_EXIST],
)
def cleaned_files(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Files no live snapshot references any more (merged away by compaction, or referenced
    only by expired snapshots) deleted with ``ducklake_cleanup_old_files``, and orphaned files
    (written by a transaction that never committed) with ``ducklake_delete_orphaned_files``.
    Both only once they have been unreferenced, or were written, more than the safety margin
    ago (``BATCH_PLATFORM_LAKE_CLEANUP_MARGIN_HOURS``, default 24): a reader still scanning an
    old file and a writer that has not committed yet keep their files. Until then they wait,
    and a later run deletes them.
    """
    settings = load_upkeep_settings()
    started = time.monotonic()
    cutoff = settings.cleanup_cutoff(dt.datetime.now(dt.UTC))
    with duckdb.get_connection() as con:
        catalog = lake_catalog(con)
        sizes = stored_files(con, catalog)
        old = cleanup_old_files(con, catalog, cutoff)
        context.log.info(f"deleted {len(old):,} files no live snapshot references")
        orphans = delete_orphaned_files(con, catalog, cutoff)
        context.log.info(f"deleted {len(orphans):,} orphaned files")
        waiting = scheduled_file_count(con, catalog)
        # The catalog first: a file committed in between is on storage before its commit.
        referenced = referenced_files(con, catalog)
        stored = stored_files(con, catalog)
    freed = bytes_freed([*old, *orphans], sizes)
    context.log.info(
        f"freed {freed:,} bytes; {waiting:,} files wait for the margin; "
        f"{len(stored):,} files in the data path"
    )
    yield dg.MaterializeResult(
        metadata={
            "unreferenced_files_deleted": len(old),
            "orphaned_files_deleted": len(orphans),
            "bytes_freed": freed,
            "files_waiting_for_margin": waiting,
            "cleanup_margin_hours": settings.cleanup_margin_hours,
            "deleted_before": cutoff.isoformat(timespec="seconds"),
            "files_stored": len(stored),
            "bytes_stored": sum(stored.values()),
            "seconds": round(time.monotonic() - started, 2),
        }
    )
    yield referenced_files_result(referenced, stored)
