-- The latest delivery runs, newest first, for `batch-platform delivery runs`. Parameter: limit.
SELECT
    run_id,
    destination,
    as_of_date,
    status,
    attempted,
    succeeded,
    failed,
    rejected,
    retried,
    dead_lettered,
    pending_after,
    duration_seconds
FROM delivery.sync_runs
ORDER BY finished_at DESC
LIMIT $limit
