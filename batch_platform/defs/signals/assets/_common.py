"""What every asset of the signals domain shares: group, owner, kinds, pool, lineage to files."""

import dagster as dg

from batch_platform.defs.common.resources import WAREHOUSE_POOL

OWNERS = ["team:data-platform"]


def warehouse_table(layer: str) -> dict:
    """Decorator arguments of an asset stored as a DuckDB table in the given layer."""
    return {
        "group_name": "signals",
        "kinds": {"duckdb"},
        "owners": OWNERS,
        "tags": {"layer": layer},
        "pool": WAREHOUSE_POOL,
    }


def over_time(partitions_def: dg.TimeWindowPartitionsDefinition) -> dict:
    """Time-partitioned, and a backfill of many partitions runs as one run."""
    return {"partitions_def": partitions_def, "backfill_policy": dg.BackfillPolicy.single_run()}
