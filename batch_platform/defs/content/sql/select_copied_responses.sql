-- Responses staged by other batches (the registered Arrow table "cached"), for this batch: the
-- body is copied from the other batch's staging row, never through Python.
SELECT $partition_key AS partition_key, c.url, c.final_url, c.http_status, c.content_type,
    c.content_language, r.body, c.fetched_at
FROM cached AS c
JOIN content.raw_responses AS r ON r.partition_key = c.cached_from AND r.url = c.url
WHERE c.cached_from <> $partition_key
