-- URLs fetched per second over the latest batch runs (the history an estimate falls back on):
-- per run, its fetched items over the time from its first start to its last finish.
WITH runs AS (
    SELECT count(*) AS urls,
        epoch(max(finished_at)) - epoch(min(started_at)) AS seconds,
        max(finished_at) AS ended
    FROM content.batch_items
    WHERE started_at IS NOT NULL AND finished_at IS NOT NULL AND NOT from_cache
    GROUP BY partition_key, run_id
    ORDER BY ended DESC
    LIMIT $runs
)
SELECT sum(urls) / sum(seconds) FROM runs WHERE seconds > 0
