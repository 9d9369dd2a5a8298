-- The audit row of one run for one destination: the run's own counts (registered as
-- sync_run_row) and the records it leaves pending. Parameters: run_id, destination.
SELECT
    sync_run_row.*,
    (SELECT count(*) FROM delivery.pending WHERE destination = $destination) AS pending_after
FROM sync_run_row
