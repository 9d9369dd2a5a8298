-- The outbox row of one notification to one receiver, if any. Parameters: $notification_id,
-- $url.
SELECT status, attempts
FROM delivery.notification_outbox
WHERE notification_id = $notification_id AND url = $url
