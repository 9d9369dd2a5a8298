"""Jobs of the content domain."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    BATCH_REJECTS,
    BATCHES,
    CHUNK_EMBEDDINGS,
    CHUNKS,
    FETCH_RESULTS,
    PAGES,
    RAW_RESPONSES,
    SEARCH_INDEX,
)

content_batch_job = asset_job(
    "content_batch_ingest",
    dg.AssetSelection.assets(
        FETCH_RESULTS,
        BATCHES,
        BATCH_REJECTS,
        BATCH_ITEMS,
        RAW_RESPONSES,
        PAGES,
        CHUNKS,
        CHUNK_EMBEDDINGS,
        SEARCH_INDEX,
    ),
    "Fetch, clean, chunk and de-duplicate one submitted URL list, embed its chunks and "
    "rebuild the search index.",
    max_runtime_hours=2,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[content_batch_job])
