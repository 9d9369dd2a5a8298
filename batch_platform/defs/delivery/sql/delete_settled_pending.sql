-- Pending records that are settled: delivered, rejected, or dead after too many failed runs.
-- Needs the temp tables page_delivered and page_rejected (idempotency_key).
-- Parameters: $destination, $exhausted_after (NULL: only the page's records).
DELETE FROM delivery.pending
WHERE destination = $destination
    AND (
        idempotency_key IN (SELECT idempotency_key FROM page_delivered)
        OR idempotency_key IN (SELECT idempotency_key FROM page_rejected)
        OR ($exhausted_after IS NOT NULL AND runs_attempted >= $exhausted_after)
    )
