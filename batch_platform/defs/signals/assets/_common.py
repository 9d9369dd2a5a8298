"""What every asset of the signals domain shares: group, owner, kinds, pool, lineage to files."""

import dagster as dg

from batch_platform.defs.common.resources import WAREHOUSE_POOL

OWNERS = ["team:data-platform"]


def landing_files(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    """Files users drop into a landing folder: the external source the domain's tables read."""
    return dg.AssetSpec(
        key, description=description, group_name="signals", kinds={"file"}, owners=OWNERS
    )


def warehouse_table(layer: str) -> dict:
    """Decorator arguments of an asset stored as a DuckDB table in the given layer."""
    return {
        "group_name": "signals",
        "kinds": {"duckdb"},
        "owners": OWNERS,
        "tags": {"layer": layer},
        "pool": WAREHOUSE_POOL,
    }


def over_time(partitions_def: dg.PartitionsDefinition) -> dict:
    """Partitioned, and a backfill of many partitions runs as one run."""
    return {"partitions_def": partitions_def, "backfill_policy": dg.BackfillPolicy.single_run()}


def multi_asset_over(partitions_def: dg.PartitionsDefinition) -> dict:
    """Decorator arguments of a multi-asset of the domain whose backfills run as one run (for
    signal files: files that land together, a range the sensor requests, are loaded by one run)."""
    return over_time(partitions_def) | {"group_name": "signals", "pool": WAREHOUSE_POOL}
