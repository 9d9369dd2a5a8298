-- Notifications whose next attempt is due, oldest first. Parameters: $now, $limit.
SELECT
    notification_id, url, kind, subject, body, signing_secret_env, timeout_seconds, guarded,
    attempts, retry_rounds, created_at
FROM delivery.notification_outbox
WHERE status = 'waiting' AND next_attempt_at <= $now::TIMESTAMP
ORDER BY created_at, notification_id, url
LIMIT $limit
