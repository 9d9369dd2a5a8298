-- Move pending records to the dead letters: those in the temp table page_rejected (rejected
-- for good), or, with $exhausted_after set, those that failed in that many runs.
-- Parameters: $destination, $run_id, $now, $exhausted_after (NULL: only page_rejected).
INSERT INTO delivery.dead_letters BY NAME
SELECT
    p.* EXCLUDE (last_error, last_http_status),
    coalesce(r.error, p.last_error) AS last_error,
    coalesce(r.http_status, p.last_http_status) AS last_http_status,
    CASE WHEN r.idempotency_key IS NULL THEN 'exhausted' ELSE 'rejected' END AS failure,
    $now::TIMESTAMP AS dead_at,
    $run_id AS dead_run_id
FROM delivery.pending AS p
LEFT JOIN page_rejected AS r USING (idempotency_key)
WHERE p.destination = $destination
    AND (
        r.idempotency_key IS NOT NULL
        OR ($exhausted_after IS NOT NULL AND p.runs_attempted >= $exhausted_after)
    )
