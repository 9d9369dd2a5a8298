"""The lake upkeep job: compact, expire, clean up, in that order."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.lake.assets._common import GROUP

# Merging rewrites every small file once; a run still going after 4 hours is stopped.
MAX_RUNTIME_HOURS = 4

lake_upkeep_job = asset_job(
    "lake_upkeep",
    dg.AssetSelection.groups(GROUP),
    "Lake upkeep: merge small files, expire old snapshots, delete files nothing references.",
    MAX_RUNTIME_HOURS,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[lake_upkeep_job])
