-- Per partition of the run ($partition_keys; {run_partition_ids}: their ids): quarantined rows
-- without a reason.
SELECT partition_key, count(*)
FROM quarantine.signal_rows
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key) AND coalesce(reason, '') = ''
GROUP BY partition_key
