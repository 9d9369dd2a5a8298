-- The audit row of one run for one destination: the run's own counts, and the records it leaves
-- pending (registered as sync_run_row).
SELECT * FROM sync_run_row
