-- Every chunk of every batch with its page and the vector of $model: what the search index
-- holds. page_url collapses results: a near duplicate counts as the page it repeats.
SELECT
    c.partition_key,
    c.url,
    c.chunk_index,
    CASE WHEN p.dup_status = 'near_duplicate' THEN p.duplicate_of_url ELSE c.url END AS page_url,
    coalesce(p.title, '') AS title,
    c.text,
    e.embedding
FROM content.chunks AS c
JOIN content.pages AS p ON p.partition_key = c.partition_key AND p.url = c.url
LEFT JOIN content.chunk_embeddings AS e
    ON e.partition_key = c.partition_key AND e.url = c.url AND e.chunk_index = c.chunk_index
    AND e.chunk_hash = c.chunk_hash AND e.model = $model
ORDER BY c.partition_key, c.url, c.chunk_index
