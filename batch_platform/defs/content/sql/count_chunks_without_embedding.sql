-- Chunks of the batch with no vector of the batch's model for their current text.
SELECT count(*)
FROM content.chunks AS c
LEFT JOIN content.chunk_embeddings AS e
    ON e.partition_key = c.partition_key AND e.url = c.url AND e.chunk_index = c.chunk_index
    AND e.chunk_hash = c.chunk_hash AND e.model = $model
WHERE c.partition_key = $partition_key AND e.url IS NULL
