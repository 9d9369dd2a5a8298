-- The cleaned rows of the run's partitions ($partition_keys; {run_partition_ids}: their ids) as
-- the event-key check reads them.
CREATE OR REPLACE TEMP TABLE check_run_keys AS
SELECT partition_id, event_key, event_hash, occurred_at
FROM clean.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
