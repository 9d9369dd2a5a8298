-- One page of `batch-platform batch results`: the batch's pages in list order, with chunk counts.
SELECT url, title, language, kind, dup_status, duplicate_of_url, characters,
    (
        SELECT count(*) FROM content.chunks AS c
        WHERE c.partition_key = p.partition_key AND c.url = p.url
    ) AS chunks
FROM content.pages AS p
WHERE partition_key = $batch
ORDER BY line_number
LIMIT $limit OFFSET $offset
