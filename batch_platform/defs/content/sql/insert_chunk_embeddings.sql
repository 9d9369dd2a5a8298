-- The batch's vectors: reused ones from the staged rows' own vector column, new ones embedded.
SELECT
    $partition_key AS partition_key,
    url,
    chunk_index,
    chunk_hash,
    $model AS model,
    $dimensions AS dimensions,
    embedding,
    reused,
    now()::TIMESTAMP AS embedded_at
FROM staged_chunk_embeddings
