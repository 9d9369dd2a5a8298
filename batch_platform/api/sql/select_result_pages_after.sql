-- One page of GET /v1/batches/{id}/results: the batch's pages in list order after the cursor's
-- line, with their chunk counts. One more row than asked tells whether a next page exists.
SELECT p.line_number, p.url, p.final_url, p.title, p.language, p.kind, p.dup_status,
    p.duplicate_of_batch, p.duplicate_of_url, p.characters, p.text, p.metadata,
    (
        SELECT count(*) FROM content.chunks AS c
        WHERE c.partition_key = p.partition_key AND c.url = p.url
    ) AS chunks
FROM content.pages AS p
WHERE p.partition_key = $batch AND p.line_number > $after_line
ORDER BY p.line_number
LIMIT $limit
