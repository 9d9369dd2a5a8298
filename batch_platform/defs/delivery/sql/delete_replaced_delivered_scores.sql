-- The destination now holds newer scores for these contacts: drop the older ones.
-- Needs the registered table page_delivered (idempotency_key, email). Parameters: $destination.
DELETE FROM delivery.delivered_scores
WHERE destination = $destination
    AND email IN (SELECT email FROM page_delivered)
