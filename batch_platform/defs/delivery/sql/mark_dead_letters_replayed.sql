-- Dead letters requeued by a replay. Needs the registered table requeued_keys
-- (destination, idempotency_key). Parameters: $run_id, $now.
UPDATE delivery.dead_letters AS d
SET replayed_at = $now::TIMESTAMP, replay_run_id = $run_id
FROM requeued_keys AS k
WHERE d.destination = k.destination AND d.idempotency_key = k.idempotency_key
    AND d.replayed_at IS NULL
