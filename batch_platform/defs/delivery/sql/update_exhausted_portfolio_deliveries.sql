-- Pending records that failed in $exhausted_after runs are given up (the portfolio stream's
-- dead letters). Parameters: $destination, $exhausted_after, $run_id, $now.
UPDATE delivery.portfolio_deliveries
SET status = 'exhausted', settled_at = $now::TIMESTAMP, settled_run_id = $run_id
WHERE destination = $destination AND status = 'pending' AND runs_attempted >= $exhausted_after
