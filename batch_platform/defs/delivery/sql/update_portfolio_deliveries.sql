-- A page's outcomes (the registered table page_outcomes: idempotency_key, status, error,
-- http_status): delivered and rejected records are settled, failed ones count one more failed
-- run and keep their error. Parameters: $destination, $run_id, $now.
UPDATE delivery.portfolio_deliveries AS d
SET
    status = CASE o.status WHEN 'failed' THEN 'pending' ELSE o.status END,
    runs_attempted = d.runs_attempted + CASE o.status WHEN 'failed' THEN 1 ELSE 0 END,
    last_error = o.error,
    last_http_status = o.http_status,
    last_attempted_at = $now::TIMESTAMP,
    settled_at = CASE o.status WHEN 'failed' THEN NULL ELSE $now::TIMESTAMP END,
    settled_run_id = CASE o.status WHEN 'failed' THEN NULL ELSE $run_id END
FROM page_outcomes AS o
WHERE d.destination = $destination AND d.idempotency_key = o.idempotency_key
    AND d.status = 'pending'
