-- A batch's chunks as a vector database or search engine loads them: one row a chunk, with its
-- page, source URL, metadata and vector.
SELECT
    c.partition_key || ':' || c.url || '#' || c.chunk_index AS id,
    c.partition_key AS batch_id,
    c.url,
    p.final_url,
    p.title,
    p.language,
    p.dup_status,
    p.duplicate_of_url,
    c.chunk_index,
    c.char_start,
    c.char_end,
    c.text,
    c.chunk_hash,
    p.metadata,
    e.model,
    e.dimensions,
    e.embedding
FROM content.chunks AS c
JOIN content.pages AS p ON p.partition_key = c.partition_key AND p.url = c.url
LEFT JOIN content.chunk_embeddings AS e
    ON e.partition_key = c.partition_key AND e.url = c.url AND e.chunk_index = c.chunk_index
    AND e.chunk_hash = c.chunk_hash
WHERE c.partition_key = $batch
ORDER BY p.line_number, c.chunk_index
