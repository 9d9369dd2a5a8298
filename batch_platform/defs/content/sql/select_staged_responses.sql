-- The responses of one staged segment (registered as "finished") for content.raw_responses:
-- bodies this run fetched, and bodies served from another batch's staging row, copied inside
-- the warehouse (never through Python).
SELECT $partition_key AS partition_key, url, final_url, http_status, content_type,
    content_language, body, finished_at AS fetched_at
FROM finished
WHERE state = 'succeeded' AND NOT from_cache
UNION ALL
SELECT $partition_key AS partition_key, r.url, r.final_url, r.http_status, r.content_type,
    r.content_language, r.body, r.fetched_at
FROM finished AS f
JOIN content.raw_responses AS r ON r.partition_key = f.cached_from AND r.url = f.url
WHERE f.state = 'succeeded' AND f.from_cache AND f.cached_from <> $partition_key
