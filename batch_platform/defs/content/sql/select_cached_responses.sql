-- The newest staged response per URL still to fetch, if fetched within the max age (without its
-- body: select_copied_responses copies bodies inside the warehouse).
SELECT r.url, r.partition_key AS cached_from, r.final_url, r.http_status, r.content_type,
    r.content_language, r.fetched_at
FROM content.raw_responses AS r
JOIN content.batch_items AS i ON i.url = r.url
WHERE i.partition_key = $partition_key
    AND i.state NOT IN ('succeeded', 'skipped')
    AND r.fetched_at >= $fresh_after
QUALIFY row_number() OVER (PARTITION BY r.url ORDER BY r.fetched_at DESC, r.partition_key) = 1
