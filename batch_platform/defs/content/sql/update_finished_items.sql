-- Record each URL's latest staged result (temp table staged_results), adding up the attempts of
-- every result staged for it.
UPDATE content.batch_items AS i
SET state = f.state,
    attempts = i.attempts + f.url_attempts,
    http_status = f.http_status,
    error = f.error,
    final_url = f.final_url,
    content_type = f.content_type,
    bytes = f.bytes,
    from_cache = f.from_cache,
    started_at = f.started_at,
    finished_at = f.finished_at,
    fetch_seconds = f.fetch_seconds,
    run_id = f.run_id
FROM staged_results AS f
WHERE i.partition_key = $partition_key AND i.url = f.url AND f.latest
