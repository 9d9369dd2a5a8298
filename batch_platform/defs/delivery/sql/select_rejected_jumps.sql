-- Destinations whose rejected records in run $run_id jumped against their previous run: more
-- than $minimum and more than $factor times the previous run's. Parameters: $run_id, $factor,
-- $minimum.
WITH ordered AS (
    SELECT
        run_id, destination, rejected,
        lag(rejected) OVER (PARTITION BY destination ORDER BY finished_at) AS previous_rejected
    FROM delivery.sync_runs
)
SELECT destination, rejected, coalesce(previous_rejected, 0) AS previous_rejected
FROM ordered
WHERE run_id = $run_id
    AND rejected > $minimum
    AND rejected > $factor * coalesce(previous_rejected, 0)
