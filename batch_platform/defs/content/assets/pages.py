"""Staging → content.pages (clean text, duplicate flags) and content.chunks."""

import dagster as dg

from batch_platform.defs.common.checks import check_spec, count_check
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import WAREHOUSE_POOL, WarehouseResource
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    CHUNKS,
    GROUP,
    OWNERS,
    PAGES,
    PARTITION,
    RAW_RESPONSES,
)
from batch_platform.defs.content.logic.cleaning import CleanSettings, clean_batch
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.defs.content.resources import ContentResource


@dg.multi_asset(
    specs=[
        table_spec(
            PAGES,
            "Main text, title and language of every fetched page; exact duplicates (same "
            "normalised text) and near duplicates (SimHash) point at the page they repeat, "
            "across batches. Key: (partition_key, url).",
            deps=[RAW_RESPONSES, BATCH_ITEMS],
            layer="clean",
            owners=OWNERS,
        ),
        table_spec(
            CHUNKS,
            "Sentence-bounded, overlapping chunks of unique and near-duplicate pages. "
            "Key: (partition_key, url, chunk_index).",
            deps=[PAGES],
            layer="clean",
            owners=OWNERS,
        ),
    ],
    check_specs=[
        check_spec(
            PAGES, "page_per_success", "One page per succeeded item, and no page without one."
        ),
        check_spec(PAGES, "duplicates_point_at_page", "Every duplicate names a page that exists."),
        check_spec(PAGES, "duplicate_ratio", "Share of pages that repeat another (reported)."),
        check_spec(
            CHUNKS, "no_chunk_without_page", "Every chunk belongs to a page.", blocking=True
        ),
    ],
    partitions_def=url_batch_partitions,
    group_name=GROUP,
    pool=WAREHOUSE_POOL,
)
def clean_url_batch(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, content: ContentResource
):
    """Extract, de-duplicate and chunk the batch's staged responses (no refetching)."""
    key = context.partition_key
    settings = content.settings()
    params = {"partition_key": key}
    with duckdb.get_connection() as con:
        counts = clean_batch(
            con,
            key,
            CleanSettings(
                chunk_size=settings.chunk_size,
                chunk_overlap=settings.chunk_overlap,
                near_duplicate_bits=settings.near_duplicate_bits,
            ),
        )
        by_status = counts.by_status
        context.log.info(
            f"{counts.pages} pages: {by_status['unique']} unique, {by_status['exact_duplicate']} "
            f"exact and {by_status['near_duplicate']} near duplicates, {by_status['empty']} "
            f"without text; {counts.chunks} chunks"
        )
        yield dg.MaterializeResult(
            asset_key=PAGES,
            metadata=table_metadata(con, "content.pages", PARTITION, params)
            | {
                "unique": by_status["unique"],
                "exact_duplicates": by_status["exact_duplicate"],
                "near_duplicates": by_status["near_duplicate"],
                "empty": by_status["empty"],
                "duplicate_ratio": round(counts.duplicate_ratio, 4),
                "kinds": dg.MetadataValue.json(dict(counts.by_kind)),
            },
        )
        yield dg.MaterializeResult(
            asset_key=CHUNKS,
            metadata=table_metadata(con, "content.chunks", PARTITION, params)
            | {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap},
        )
        yield count_check(
            con,
            asset_key=PAGES,
            check_name="page_per_success",
            sql="SELECT count(*) FROM (SELECT url FROM content.batch_items WHERE partition_key "
            "= $partition_key AND state = 'succeeded') AS i FULL JOIN (SELECT url FROM "
            "content.pages WHERE partition_key = $partition_key) AS p USING (url) "
            "WHERE i.url IS NULL OR p.url IS NULL",
            params=params,
            what="succeeded items without a page, or pages without a succeeded item",
        )
        yield count_check(
            con,
            asset_key=PAGES,
            check_name="duplicates_point_at_page",
            sql="SELECT count(*) FROM content.pages AS d WHERE d.partition_key = $partition_key "
            "AND d.dup_status IN ('exact_duplicate', 'near_duplicate') AND NOT EXISTS (SELECT 1 "
            "FROM content.pages AS p WHERE p.partition_key = d.duplicate_of_batch "
            "AND p.url = d.duplicate_of_url)",
            params=params,
            what="duplicates pointing at no page",
        )
        yield dg.AssetCheckResult(
            asset_key=PAGES,
            check_name="duplicate_ratio",
            passed=True,
            description=f"{counts.duplicate_ratio:.1%} of {counts.pages} pages repeat another "
            f"({by_status['exact_duplicate']} exact, {by_status['near_duplicate']} near)",
            metadata={
                "duplicate_ratio": round(counts.duplicate_ratio, 4),
                "exact_duplicates": by_status["exact_duplicate"],
                "near_duplicates": by_status["near_duplicate"],
            },
        )
        yield count_check(
            con,
            asset_key=CHUNKS,
            check_name="no_chunk_without_page",
            sql="SELECT count(*) FROM content.chunks AS c WHERE c.partition_key = $partition_key "
            "AND NOT EXISTS (SELECT 1 FROM content.pages AS p WHERE p.partition_key = "
            "c.partition_key AND p.url = c.url AND p.dup_status IN ('unique', 'near_duplicate'))",
            params=params,
            what="chunks without a (non-duplicate) page",
        )
