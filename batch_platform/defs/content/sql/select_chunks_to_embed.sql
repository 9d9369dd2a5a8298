-- The batch's chunks, each with a vector of $model already stored for its text (any batch, any
-- earlier run of this one), if there is one: only the others are embedded.
WITH known AS (
    SELECT chunk_hash, any_value(embedding) AS embedding
    FROM content.chunk_embeddings
    WHERE model = $model AND chunk_hash IN (
        SELECT chunk_hash FROM content.chunks WHERE partition_key = $partition_key
    )
    GROUP BY chunk_hash
)
SELECT c.url, c.chunk_index, c.chunk_hash, c.text, k.embedding
FROM content.chunks AS c
LEFT JOIN known AS k USING (chunk_hash)
WHERE c.partition_key = $partition_key
ORDER BY c.url, c.chunk_index
