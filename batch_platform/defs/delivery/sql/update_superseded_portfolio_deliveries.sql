-- Pending records of the month that its latest sweep no longer finds (the office data or the
-- firm records changed): not sent. Needs the staged table portfolio_queue.
-- Parameters: $destination, $month, $run_id, $now.
UPDATE delivery.portfolio_deliveries
SET
    status = 'superseded',
    last_error = 'superseded: the month''s latest sweep no longer finds it',
    settled_at = $now::TIMESTAMP,
    settled_run_id = $run_id
WHERE destination = $destination
    AND month = $month
    AND status = 'pending'
    AND idempotency_key NOT IN (SELECT idempotency_key FROM portfolio_queue)
