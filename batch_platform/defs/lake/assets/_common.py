"""What every lake upkeep asset shares: group, keys, decorator arguments."""

import dagster as dg

from batch_platform.defs.common.metadata import stored_asset

GROUP = "lake"

COMPACTED_FILES = dg.AssetKey(["lake", "lake_compacted_files"])
EXPIRED_SNAPSHOTS = dg.AssetKey(["lake", "lake_expired_snapshots"])
CLEANED_FILES = dg.AssetKey(["lake", "lake_cleaned_files"])


def upkeep_asset() -> dict:
    """Decorator arguments of an upkeep asset: group ``lake``, kind ``ducklake``, and the pool
    ``warehouse_lake`` (one upkeep run at a time; domain runs write meanwhile)."""
    return stored_asset(GROUP, "upkeep", kinds=("ducklake",))
