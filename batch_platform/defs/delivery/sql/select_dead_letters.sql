-- Dead letters not replayed yet, optionally for one destination or some keys.
-- Parameters: $destination (NULL: all), $keys (VARCHAR[] or NULL: all).
SELECT
    destination, idempotency_key, email, score, score_version, failure, runs_attempted,
    last_http_status, last_error, dead_at, dead_run_id
FROM delivery.dead_letters
WHERE replayed_at IS NULL
    AND ($destination::VARCHAR IS NULL OR destination = $destination)
    AND ($keys::VARCHAR[] IS NULL OR list_contains($keys::VARCHAR[], idempotency_key))
ORDER BY destination, dead_at, email
