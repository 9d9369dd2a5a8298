-- One page of GET /v1/batches/{id}/results?kind=chunks: the batch's chunks in list order after
-- the cursor's (line, chunk). One more row than asked tells whether a next page exists.
SELECT p.line_number, c.url, c.chunk_index, c.char_start, c.char_end, c.text
FROM content.chunks AS c
JOIN content.pages AS p USING (partition_key, url)
WHERE c.partition_key = $batch
    AND (p.line_number > $after_line OR (p.line_number = $after_line AND c.chunk_index > $after_chunk))
ORDER BY p.line_number, c.chunk_index
LIMIT $limit
