-- The destination now holds newer scores for these contacts: drop the older ones.
-- Needs the temp table page_delivered (idempotency_key). Parameters: $destination.
DELETE FROM delivery.delivered_scores
WHERE destination = $destination
    AND email IN (
        SELECT email FROM delivery.pending
        WHERE destination = $destination
            AND idempotency_key IN (SELECT idempotency_key FROM page_delivered)
    )
