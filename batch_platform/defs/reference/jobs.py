"""The job that observes the reference sets (what the reference file sensor runs)."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.reference.assets import KEYS_BY_SET

# Observable assets are selected by key: a group selection leaves source assets out.
reference_data_observation_job = asset_job(
    "reference_data_observation",
    dg.AssetSelection.assets(*KEYS_BY_SET.values()),
    "Observe the reference sets: a changed set gets a new data version, and every asset that "
    "reads it shows as stale until its partitions are re-run.",
    max_runtime_hours=0.25,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[reference_data_observation_job])
