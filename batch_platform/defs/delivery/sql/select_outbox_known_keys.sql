-- Which of a batch's keys the outbox already holds. Needs the registered table outbox_batch.
SELECT o.idempotency_key
FROM delivery.outbox AS o
JOIN outbox_batch AS b USING (destination, idempotency_key)
