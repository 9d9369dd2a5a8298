-- Chunks of the lake (every batch) that the index file lacks, or holds without a vector;
-- index_keys is the index's (partition_key, url, chunk_index, has_vector), registered by the run.
SELECT count(*)
FROM content.chunks AS c
JOIN content.pages AS p ON p.partition_key = c.partition_key AND p.url = c.url
LEFT JOIN index_keys AS i
    ON i.partition_key = c.partition_key AND i.url = c.url AND i.chunk_index = c.chunk_index
WHERE i.url IS NULL OR NOT i.has_vector
