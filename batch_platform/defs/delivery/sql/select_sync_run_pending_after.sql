-- The records a run left pending, as its sync_runs row recorded them.
SELECT pending_after
FROM delivery.sync_runs
WHERE run_id = $run_id AND destination = $destination
