-- Queue the records of the staged table portfolio_queue (the month's records with this
-- destination's keys) that the destination has not seen: a key already delivered, pending or
-- given up is never queued again. Parameters: $destination, $run_id, $now.
INSERT INTO delivery.portfolio_deliveries BY NAME
SELECT
    $destination AS destination,
    q.idempotency_key, q.month, q.record_id, q.client, q.kind, q.registration_id, q.version,
    q.record::JSON AS record,
    'pending' AS status,
    $now::TIMESTAMP AS queued_at,
    $run_id AS queued_run_id,
    0 AS runs_attempted
FROM portfolio_queue AS q
WHERE q.idempotency_key NOT IN (
    SELECT idempotency_key FROM delivery.portfolio_deliveries WHERE destination = $destination
)
