"""Jobs of the content domain."""

import dagster as dg

from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    BATCH_REJECTS,
    BATCHES,
    CHUNKS,
    PAGES,
    RAW_RESPONSES,
)

content_batch_job = dg.define_asset_job(
    "content_batch_ingest",
    selection=dg.AssetSelection.assets(
        BATCHES, BATCH_REJECTS, BATCH_ITEMS, RAW_RESPONSES, PAGES, CHUNKS
    ),
    description="Fetch, clean, chunk and de-duplicate one submitted URL list.",
    tags={"dagster/max_runtime": str(2 * 3600)},
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[content_batch_job])
