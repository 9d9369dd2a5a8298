-- Entries of the index file (and their vectors) for no chunk of the lake.
SELECT count(*)
FROM index_keys AS i
LEFT JOIN content.chunks AS c
    ON c.partition_key = i.partition_key AND c.url = i.url AND c.chunk_index = i.chunk_index
WHERE c.url IS NULL
