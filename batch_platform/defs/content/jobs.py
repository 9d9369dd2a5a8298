"""Jobs of the content domain."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    BATCH_REJECTS,
    BATCHES,
    CHUNKS,
    PAGES,
    RAW_RESPONSES,
)

content_batch_job = asset_job(
    "content_batch_ingest",
    dg.AssetSelection.assets(BATCHES, BATCH_REJECTS, BATCH_ITEMS, RAW_RESPONSES, PAGES, CHUNKS),
    "Fetch, clean, chunk and de-duplicate one submitted URL list.",
    max_runtime_hours=2,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[content_batch_job])
