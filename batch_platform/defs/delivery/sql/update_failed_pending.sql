-- Records still failing after this run's attempts: one more failed run, and the last error.
-- Needs the temp table page_failed (idempotency_key, error, http_status).
-- Parameters: $destination, $now.
UPDATE delivery.pending AS p
SET
    runs_attempted = p.runs_attempted + 1,
    last_error = f.error,
    last_http_status = f.http_status,
    last_attempted_at = $now::TIMESTAMP
FROM page_failed AS f
WHERE p.destination = $destination AND p.idempotency_key = f.idempotency_key
