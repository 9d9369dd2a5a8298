"""Staging → content.pages (clean text, duplicate flags) and content.chunks."""

import dagster as dg

from batch_platform.defs.common.checks import RowCountCheck, check_spec
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import WarehouseResource, warehouse_pool
from batch_platform.defs.content.assets._common import (
    BATCH_ITEMS,
    CHUNKS,
    GROUP,
    PAGES,
    PARTITION,
    RAW_RESPONSES,
    load_sql,
)
from batch_platform.defs.content.logic.cleaning import clean_batch
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.defs.content.resources import ContentResource
from batch_platform.lib.warehouse import one_snapshot

ROW_COUNT_CHECKS = (
    RowCountCheck(
        PAGES,
        "page_per_success",
        "One page per succeeded item, and no page without one.",
        load_sql("count_pages_unmatched"),
        "succeeded items without a page, or pages without a succeeded item",
    ),
    RowCountCheck(
        PAGES,
        "duplicates_point_at_page",
        "Every duplicate names a page that exists.",
        load_sql("count_pages_dangling_duplicates"),
        "duplicates pointing at no page",
    ),
    RowCountCheck(
        CHUNKS,
        "no_chunk_without_page",
        "Every chunk belongs to a page.",
        load_sql("count_chunks_without_page"),
        "chunks without a (non-duplicate) page",
        blocking=True,
    ),
)


@dg.multi_asset(
    specs=[
        table_spec(
            PAGES,
            "Main text, title and language of every fetched page; exact duplicates (same "
            "normalised text) and near duplicates (SimHash) point at the page they repeat, "
            "across batches. Key: (partition_key, url).",
            deps=[RAW_RESPONSES, BATCH_ITEMS],
            layer="clean",
        ),
        table_spec(
            CHUNKS,
            "Sentence-bounded, overlapping chunks of unique and near-duplicate pages. "
            "Key: (partition_key, url, chunk_index).",
            deps=[PAGES],
            layer="clean",
        ),
    ],
    check_specs=[
        *(check.spec() for check in ROW_COUNT_CHECKS),
        check_spec(PAGES, "duplicate_ratio", "Share of pages that repeat another (reported)."),
    ],
    partitions_def=url_batch_partitions,
    group_name=GROUP,
    pool=warehouse_pool("content"),
)
def clean_url_batch(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, content: ContentResource
):
    """Extract, de-duplicate and chunk the batch's staged responses (no refetching)."""
    key = context.partition_key
    settings = content.settings()
    params = {"partition_key": key}
    with duckdb.get_connection() as con:
        counts = clean_batch(con, key, settings.clean_settings())
        by_status = counts.by_status
        context.log.info(
            f"{counts.pages} pages: {by_status['unique']} unique, {by_status['exact_duplicate']} "
            f"exact and {by_status['near_duplicate']} near duplicates, {by_status['empty']} "
            f"without text, {by_status['failed']} unreadable; {counts.chunks} chunks; HTML read "
            f"by {dict(counts.by_extractor)} ({settings.extract_workers} extraction workers)"
        )
        with one_snapshot(con):
            yield dg.MaterializeResult(
                asset_key=PAGES,
                metadata=table_metadata(con, "content.pages", PARTITION, params)
                | {
                    "unique": by_status["unique"],
                    "exact_duplicates": by_status["exact_duplicate"],
                    "near_duplicates": by_status["near_duplicate"],
                    "empty": by_status["empty"],
                    "unreadable": by_status["failed"],
                    "duplicate_ratio": round(counts.duplicate_ratio, 4),
                    "kinds": dg.MetadataValue.json(dict(counts.by_kind)),
                    "extractors": dg.MetadataValue.json(dict(counts.by_extractor)),
                },
            )
            yield dg.MaterializeResult(
                asset_key=CHUNKS,
                metadata=table_metadata(con, "content.chunks", PARTITION, params)
                | {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap},
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
            for check in ROW_COUNT_CHECKS:
                yield check.evaluate(con, params)
