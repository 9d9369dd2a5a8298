-- Vectors of the batch whose chunk is gone or has other text now.
SELECT count(*)
FROM content.chunk_embeddings AS e
LEFT JOIN content.chunks AS c
    ON c.partition_key = e.partition_key AND c.url = e.url AND c.chunk_index = e.chunk_index
    AND c.chunk_hash = e.chunk_hash
WHERE e.partition_key = $partition_key AND c.url IS NULL
