"""What every asset of the content domain shares."""

import dagster as dg

from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

GROUP = "content"
PARTITION = "partition_key = $partition_key"

LANDING_URL_BATCHES = dg.AssetKey(["landing", "landing_url_batches"])
BATCHES = dg.AssetKey(["content", "content_batches"])
BATCH_REJECTS = dg.AssetKey(["content", "content_batch_rejects"])
BATCH_ITEMS = dg.AssetKey(["content", "content_batch_items"])
FETCH_RESULTS = dg.AssetKey(["content", "content_fetch_results"])
RAW_RESPONSES = dg.AssetKey(["content", "content_raw_responses"])
PAGES = dg.AssetKey(["content", "content_pages"])
CHUNKS = dg.AssetKey(["content", "content_chunks"])
CHUNK_EMBEDDINGS = dg.AssetKey(["content", "content_chunk_embeddings"])
SEARCH_INDEX = dg.AssetKey(["content", "content_search_index"])
