-- Per partition of the run ($partition_keys; {run_partition_ids}: their ids): cleaned rows with
-- a null key column.
SELECT partition_key, count(*)
FROM clean.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
    AND (event_key IS NULL OR email IS NULL OR occurred_at IS NULL)
GROUP BY partition_key
