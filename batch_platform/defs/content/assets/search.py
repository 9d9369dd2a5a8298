"""content.chunks → content.chunk_embeddings (a vector per chunk) → the search index file."""

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck, RowCountCheck, count_check
from batch_platform.defs.common.metadata import stored_asset, table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.content.assets._common import (
    CHUNK_EMBEDDINGS,
    CHUNKS,
    GROUP,
    PARTITION,
    SEARCH_INDEX,
    load_sql,
)
from batch_platform.defs.content.logic.chunk_embeddings import embed_batch
from batch_platform.defs.content.logic.search_index import build_index, index_keys, index_path
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.defs.content.resources import EmbeddingsResource

EMBEDDING_KEY_UNIQUE = KeyUniqueCheck(
    CHUNK_EMBEDDINGS,
    "content.chunk_embeddings",
    ("url", "chunk_index"),
    "(partition_key, url, chunk_index) identifies a chunk's vector.",
    PARTITION,
)
EMBEDDING_CHECKS = (
    RowCountCheck(
        CHUNK_EMBEDDINGS,
        "every_chunk_embedded",
        "Every chunk of the batch has a vector of the current model for its current text.",
        load_sql("count_chunks_without_embedding"),
        "chunks without a vector of the current model",
    ),
    RowCountCheck(
        CHUNK_EMBEDDINGS,
        "no_orphan_vectors",
        "Every vector belongs to a chunk of the batch with the same text.",
        load_sql("count_orphan_chunk_embeddings"),
        "vectors without their chunk",
    ),
)
INDEX_CHECKS = (
    ("every_chunk_indexed", "Every chunk of every batch is in the index, with its vector.",
     "count_index_chunks_missing", "chunks missing from the index or without a vector"),
    ("no_orphan_vectors", "Every entry (and vector) of the index belongs to a chunk of the lake.",
     "count_index_orphans", "index entries without a chunk"),
)  # fmt: skip
INDEX_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("id", "integer", description="row number of the chunk in this index"),
        dg.TableColumn("partition_key", "varchar", description="the batch"),
        dg.TableColumn("url", "varchar", description="the page the chunk comes from"),
        dg.TableColumn("chunk_index", "integer", description="the chunk's place in its page"),
        dg.TableColumn(
            "page_url", "varchar", description="what results collapse by: the URL, or for a "
            "near duplicate the URL of the page it repeats"
        ),
        dg.TableColumn("title", "varchar", description="the page's title (BM25 field)"),
        dg.TableColumn("text", "varchar", description="the chunk's text (BM25 field)"),
        dg.TableColumn(
            "embedding", "float[]", description="unit vector of the index's model (whitened "
            "for a static model: index_info.whitened)"
        ),
    ]
)  # fmt: skip


@dg.asset(
    key=CHUNK_EMBEDDINGS,
    deps=[CHUNKS],
    partitions_def=url_batch_partitions,
    check_specs=[EMBEDDING_KEY_UNIQUE.spec(), *(check.spec() for check in EMBEDDING_CHECKS)],
    **stored_asset(GROUP, "clean", kinds=("duckdb", "numpy")),
)
def content_chunk_embeddings(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, embeddings: EmbeddingsResource
):
    """A vector for every chunk of the batch, with the model version that made it. Vectors are
    reused by (chunk_hash, model) from any batch, so unchanged text is embedded once per model.
    Key: (partition_key, url, chunk_index)."""
    key = context.partition_key
    embedder = embeddings.embedder()
    with duckdb.get_connection() as con:
        counts = embed_batch(con, key, embedder)
        context.log.info(
            f"{counts.chunks} chunks: {counts.embedded} embedded by {counts.model} in "
            f"{counts.seconds} s, {counts.reused} reused"
        )
        params = {"partition_key": key}
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "content.chunk_embeddings", PARTITION, params)
            | {
                "model": counts.model,
                "dimensions": counts.dimensions,
                "embedded": counts.embedded,
                "reused": counts.reused,
                "embed_seconds": counts.seconds,
                "chunks_per_second": counts.chunks_per_second or 0.0,
            }
        )
        yield EMBEDDING_KEY_UNIQUE.evaluate(con, params)
        every_chunk, no_orphan = EMBEDDING_CHECKS
        yield every_chunk.evaluate(con, params | {"model": counts.model})
        yield no_orphan.evaluate(con, params)


@dg.asset(
    key=SEARCH_INDEX,
    deps=[CHUNK_EMBEDDINGS],
    partitions_def=url_batch_partitions,
    check_specs=[
        dg.AssetCheckSpec(name, asset=SEARCH_INDEX, description=description)
        for name, description, _, _ in INDEX_CHECKS
    ],
    metadata={"dagster/column_schema": INDEX_COLUMNS},
    **stored_asset(GROUP, "serving", kinds=("duckdb", "search")),
)
def content_search_index(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, embeddings: EmbeddingsResource
):
    """The hybrid search index of every batch: BM25 (DuckDB full-text search) over chunk title
    and text, and each chunk's vector (a static model's whitened), in one DuckDB file,
    ``<warehouse>/search/content_index.duckdb``. A lake table cannot hold these indexes, so the
    file is a derived artifact: rebuilt from the lake by each batch's run (the batch's chunks
    merged with every other batch's), written under a temporary name and renamed over the old
    one, and safe to delete (the next run writes it again). Search it with
    ``batch-platform search`` or ``GET /v1/search``."""
    embedder = embeddings.embedder()
    path = index_path(duckdb.path)
    with duckdb.get_connection() as con:
        stats = build_index(
            con,
            path,
            embedder.model,
            _dimensions(con, embedder),
            whiten=embedder.search_whitened,
        )
        context.log.info(
            f"search index: {stats.chunks} chunks of {stats.pages} pages in {stats.batches} "
            f"batches, {stats.bytes:,} bytes, built in {stats.seconds} s"
        )
        yield dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "dagster/row_count": stats.chunks,
                "pages": stats.pages,
                "batches": stats.batches,
                "chunks_without_vector": stats.without_vector,
                "model": stats.model,
                "dimensions": stats.dimensions,
                "whitened": stats.whitened,
                "bytes": stats.bytes,
                "build_seconds": stats.seconds,
            }
        )
        con.register("index_keys", index_keys(path))
        try:
            for name, _, sql, what in INDEX_CHECKS:
                yield count_check(
                    con, asset_key=SEARCH_INDEX, check_name=name, sql=load_sql(sql), what=what
                )
        finally:
            con.unregister("index_keys")


def _dimensions(con, embedder) -> int:
    """The model's dimensions; an endpoint that states none has them in its stored vectors
    (1 when there are none yet: every vector column is then empty)."""
    if embedder.dimensions:
        return embedder.dimensions
    value = con.execute(
        "SELECT max(dimensions) FROM content.chunk_embeddings WHERE model = $model",
        {"model": embedder.model},
    ).fetchone()[0]
    return int(value or 1)
