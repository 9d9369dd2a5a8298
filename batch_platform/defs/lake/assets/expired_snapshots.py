"""Snapshot expiry: time travel reaches back as far as the retention, no further."""

import datetime as dt
import time

import dagster as dg

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.lake.assets._common import (
    COMPACTED_FILES,
    EXPIRED_SNAPSHOTS,
    upkeep_asset,
)
from batch_platform.defs.lake.checks import SNAPSHOTS_IN_RETENTION, snapshots_result
from batch_platform.defs.lake.logic.lake_catalog import (
    expire_snapshots,
    lake_catalog,
    scheduled_file_count,
    snapshots,
)
from batch_platform.defs.lake.logic.upkeep_settings import load_upkeep_settings
from batch_platform.lib.warehouse import current_snapshot


@dg.asset(
    key=EXPIRED_SNAPSHOTS,
    deps=[COMPACTED_FILES],
    **upkeep_asset(),
    check_specs=[SNAPSHOTS_IN_RETENTION],
)
def expired_snapshots(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Snapshots older than the retention expired (``ducklake_expire_snapshots``):
    ``BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS``, default 7. Every commit is a snapshot and
    keeps the files it read from alive; expiring it lets DuckLake schedule the files that only
    old snapshots referenced for deletion (``lake/lake_cleaned_files`` deletes them). The
    latest snapshot is never expired; `batch-platform sql --at-snapshot N` reads any live one.
    """
    settings = load_upkeep_settings()
    started = time.monotonic()
    cutoff = settings.snapshot_cutoff(dt.datetime.now(dt.UTC))
    with duckdb.get_connection() as con:
        catalog = lake_catalog(con)
        expired = expire_snapshots(con, catalog, cutoff)
        live = snapshots(con, catalog)
        scheduled = scheduled_file_count(con, catalog)
        snapshot = current_snapshot(con)
    context.log.info(
        f"expired {len(expired):,} snapshots taken before {cutoff.isoformat(timespec='seconds')}; "
        f"{len(live):,} live; {scheduled:,} files scheduled for deletion"
    )
    yield dg.MaterializeResult(
        metadata={
            "snapshots_expired": len(expired),
            **({"first_expired": expired[0], "last_expired": expired[-1]} if expired else {}),
            "snapshots_live": len(live),
            **({"oldest_live": live[0][1].isoformat(timespec="seconds")} if live else {}),
            "retention_days": settings.snapshot_retention_days,
            "expired_before": cutoff.isoformat(timespec="seconds"),
            "files_scheduled_for_deletion": scheduled,
            "seconds": round(time.monotonic() - started, 2),
            **({"lake_snapshot": snapshot} if snapshot is not None else {}),
        }
    )
    yield snapshots_result(live, cutoff)
