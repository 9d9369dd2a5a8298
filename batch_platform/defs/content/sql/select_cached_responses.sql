-- The newest staged response of each URL still to fetch (the registered list "todo"), if any
-- batch fetched it within the max age; without its body, which the write step copies inside
-- the warehouse.
SELECT r.url, r.partition_key AS cached_from, r.final_url, r.http_status, r.content_type,
    r.content_language, r.fetched_at
FROM content.raw_responses AS r
JOIN todo AS t ON t.url = r.url
WHERE r.fetched_at >= $fresh_after AND r.partition_key <> $partition_key
QUALIFY row_number() OVER (PARTITION BY r.url ORDER BY r.fetched_at DESC, r.partition_key) = 1
