-- Responses fetched by this run (from the staged buffer "finished"), for content.raw_responses.
SELECT $partition_key AS partition_key, url, final_url, http_status, content_type,
    content_language, body, finished_at AS fetched_at
FROM finished
WHERE state = 'succeeded' AND NOT from_cache
