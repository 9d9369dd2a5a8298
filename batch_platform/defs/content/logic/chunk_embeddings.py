"""content.chunk_embeddings: a vector for every chunk of a batch, embedding only new text.

The batch's chunks are read with any vector of the embedder's model already stored for the same
chunk hash (another batch, or an earlier run of this one); only the rest go to the embedder. The
partition is then replaced in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.embedders import Embedder
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)
# Texts handed to the embedder at once: bounds the memory of tokens and vectors in flight.
EMBED_BATCH = 2048


@dataclass(frozen=True)
class EmbeddingCounts:
    chunks: int
    embedded: int
    reused: int
    model: str
    dimensions: int
    seconds: float  # time spent in the embedder

    @property
    def chunks_per_second(self) -> float | None:
        return round(self.embedded / self.seconds, 1) if self.embedded and self.seconds else None


def embed_batch(
    con: duckdb.DuckDBPyConnection, partition_key: str, embedder: Embedder
) -> EmbeddingCounts:
    params = {"partition_key": partition_key, "model": embedder.model}
    chunks = con.execute(load_sql("select_chunks_to_embed"), params).fetch_arrow_table()
    known = chunks.column("embedding").is_valid().to_numpy(zero_copy_only=False)
    missing = np.flatnonzero(~known)
    texts = chunks.column("text").to_pylist()
    started = time.perf_counter()
    new_vectors = [
        embedder.embed([texts[i] for i in missing[start : start + EMBED_BATCH]])
        for start in range(0, len(missing), EMBED_BATCH)
    ]
    seconds = time.perf_counter() - started
    stored = chunks.column("embedding").combine_chunks().flatten().to_numpy()
    if new_vectors:
        dimensions = int(new_vectors[0].shape[1])
    else:
        dimensions = len(stored) // len(chunks) if len(chunks) else embedder.dimensions
    # Every vector as one matrix, so the column is built without a Python list per row.
    matrix = np.empty((len(chunks), dimensions), dtype=np.float32)
    if len(stored):
        matrix[known] = stored.reshape(-1, dimensions)
    if new_vectors:
        matrix[missing] = np.concatenate(new_vectors)
    offsets = pa.array(np.arange(len(chunks) + 1, dtype=np.int32) * dimensions)
    vectors = pa.ListArray.from_arrays(offsets, pa.array(matrix.ravel()))
    stage_rows(
        con,
        "staged_chunk_embeddings",
        pa.table(
            {
                "url": chunks.column("url"),
                "chunk_index": chunks.column("chunk_index"),
                "chunk_hash": chunks.column("chunk_hash"),
                "embedding": vectors,
                "reused": pa.array(known, type=pa.bool_()),
            }
        ),
    )
    write_partition(
        con,
        "content.chunk_embeddings",
        {"partition_key": partition_key},
        load_sql("insert_chunk_embeddings"),
        params | {"dimensions": dimensions},
    )
    con.execute("DROP TABLE IF EXISTS staged_chunk_embeddings")
    return EmbeddingCounts(
        chunks=len(chunks),
        embedded=len(missing),
        reused=len(chunks) - len(missing),
        model=embedder.model,
        dimensions=dimensions,
        seconds=round(seconds, 3),
    )
