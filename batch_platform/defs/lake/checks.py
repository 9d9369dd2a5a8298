"""The checks of lake upkeep: each declared once (its spec) and evaluated by its asset, on what
the asset just measured."""

import datetime as dt
from collections.abc import Iterable, Sequence

import dagster as dg

from batch_platform.defs.lake.assets._common import (
    CLEANED_FILES,
    COMPACTED_FILES,
    EXPIRED_SNAPSHOTS,
)
from batch_platform.defs.lake.logic.compaction import TableFiles, tables_with_too_many_small_files
from batch_platform.defs.lake.logic.file_accounting import (
    missing_files,
    shown_list,
    snapshots_beyond_retention,
)
from batch_platform.defs.lake.logic.upkeep_settings import UpkeepSettings

SMALL_FILES = dg.AssetCheckSpec(
    "small_files_within_limit",
    asset=COMPACTED_FILES,
    description="After compaction no table has more than BATCH_PLATFORM_LAKE_MAX_SMALL_FILES "
    "(default 10) files below BATCH_PLATFORM_LAKE_SMALL_FILE_MB (default 16 MB).",
)
SNAPSHOTS_IN_RETENTION = dg.AssetCheckSpec(
    "snapshots_within_retention",
    asset=EXPIRED_SNAPSHOTS,
    description="After expiry at most one live snapshot is older than the retention "
    "(BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS, default 7): the lake's current state when "
    "expiry ran, which DuckLake always keeps.",
)
REFERENCED_FILES_EXIST = dg.AssetCheckSpec(
    "referenced_files_exist",
    asset=CLEANED_FILES,
    description="Every data and delete file a live snapshot references is in the data path.",
)


def small_files_result(
    tables: Iterable[TableFiles], settings: UpkeepSettings
) -> dg.AssetCheckResult:
    over = tables_with_too_many_small_files(
        tables, settings.small_file_bytes, settings.max_small_files
    )
    lines = [f"{name}: {count}" for name, count in sorted(over.items())]
    return dg.AssetCheckResult(
        check_name=SMALL_FILES.name,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(over)} tables with more than {settings.max_small_files} small files"
            if over
            else f"no table has more than {settings.max_small_files} small files"
        ),
        metadata={
            "tables_over_limit": len(over),
            "max_small_files": settings.max_small_files,
            "small_file_mb": settings.small_file_mb,
            **({"small_files_by_table": dg.MetadataValue.text(shown_list(lines))} if over else {}),
        },
    )


def snapshots_result(
    live: Sequence[tuple[int, dt.datetime]], cutoff: dt.datetime
) -> dg.AssetCheckResult:
    beyond = snapshots_beyond_retention(live, cutoff)
    return dg.AssetCheckResult(
        check_name=SNAPSHOTS_IN_RETENTION.name,
        passed=not beyond,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(beyond)} snapshots taken before {cutoff.isoformat(timespec='seconds')} are "
            "still live"
            if beyond
            else f"{len(live)} live snapshots, none left from before "
            f"{cutoff.isoformat(timespec='seconds')}"
        ),
        metadata={
            "snapshots_live": len(live),
            "snapshots_beyond_retention": len(beyond),
            **({"first_beyond": beyond[0], "last_beyond": beyond[-1]} if beyond else {}),
        },
    )


def referenced_files_result(
    referenced: Sequence[str], stored: Iterable[str]
) -> dg.AssetCheckResult:
    missing = missing_files(referenced, stored)
    return dg.AssetCheckResult(
        check_name=REFERENCED_FILES_EXIST.name,
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(missing)} of {len(referenced)} referenced files are missing"
            if missing
            else f"all {len(referenced)} referenced files exist"
        ),
        metadata={
            "files_referenced": len(referenced),
            "files_missing": len(missing),
            **({"missing_files": dg.MetadataValue.text(shown_list(missing))} if missing else {}),
        },
    )
