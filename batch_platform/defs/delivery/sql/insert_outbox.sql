-- Records the outbox received that it does not hold yet (it drops repeats by idempotency key,
-- as a receiver should). Needs the registered table outbox_batch. Parameters: $now.
INSERT INTO delivery.outbox BY NAME
SELECT
    b.destination, b.idempotency_key, b.email, b.as_of_date::DATE AS as_of_date, b.score,
    b.record::JSON AS record, $now::TIMESTAMP AS received_at, b.file
FROM outbox_batch AS b
WHERE NOT EXISTS (
    SELECT 1 FROM delivery.outbox AS o
    WHERE o.destination = b.destination AND o.idempotency_key = b.idempotency_key
)
