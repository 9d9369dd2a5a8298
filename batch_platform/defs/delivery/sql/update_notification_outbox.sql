-- The outcome of more calls for a notification of the outbox: delivered, or waiting until
-- $next_attempt_at. Parameters: $notification_id, $url, $calls, $rounds (retry rounds to add),
-- $delivered, $http_status, $error, $now, $next_attempt_at.
UPDATE delivery.notification_outbox
SET
    attempts = attempts + $calls,
    retry_rounds = retry_rounds + $rounds,
    status = CASE WHEN $delivered THEN 'delivered' ELSE 'waiting' END,
    last_attempted_at = $now::TIMESTAMP,
    last_http_status = $http_status::INTEGER,
    last_error = $error,
    next_attempt_at = CASE WHEN $delivered THEN NULL ELSE $next_attempt_at::TIMESTAMP END,
    delivered_at = CASE WHEN $delivered THEN $now::TIMESTAMP ELSE NULL END
WHERE notification_id = $notification_id AND url = $url AND status = 'waiting'
