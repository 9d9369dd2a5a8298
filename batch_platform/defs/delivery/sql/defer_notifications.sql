-- Notifications not tried this round because their receiver just failed: they wait as long as
-- the one that failed. Parameters: $url, $next_attempt_at, $notification_ids.
UPDATE delivery.notification_outbox
SET next_attempt_at = $next_attempt_at::TIMESTAMP
WHERE url = $url AND status = 'waiting'
    AND list_contains($notification_ids::VARCHAR[], notification_id)
