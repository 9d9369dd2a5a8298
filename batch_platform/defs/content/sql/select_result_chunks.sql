-- One page of `batch-platform batch results --chunks`: the batch's chunks in list order.
SELECT c.url, c.chunk_index, c.text
FROM content.chunks AS c
JOIN content.pages AS p USING (partition_key, url)
WHERE c.partition_key = $batch
ORDER BY p.line_number, c.chunk_index
LIMIT $limit OFFSET $offset
