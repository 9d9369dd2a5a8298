-- The responses of the batch's staged segments ($segments) for content.raw_responses, the latest
-- success of each URL (temp table staged_results): bodies this run fetched, read from the
-- segments, and bodies served from another batch's staging row, copied inside the warehouse
-- (never through Python).
SELECT $partition_key AS partition_key, s.url, s.final_url, s.http_status, s.content_type,
    s.content_language, s.body, s.finished_at AS fetched_at
FROM read_parquet($segments, filename = true, file_row_number = true, union_by_name = true) AS s
SEMI JOIN staged_results AS f
    ON f.filename = s.filename AND f.file_row_number = s.file_row_number
    AND f.latest_success AND NOT f.from_cache
UNION ALL
SELECT $partition_key AS partition_key, r.url, r.final_url, r.http_status, r.content_type,
    r.content_language, r.body, r.fetched_at
FROM staged_results AS f
JOIN content.raw_responses AS r ON r.partition_key = f.cached_from AND r.url = f.url
WHERE f.latest_success AND f.from_cache AND f.cached_from <> $partition_key
