-- The lines of raw.signals of the run's partitions ($partition_keys; {run_partition_ids}: their
-- ids), for the line statistics (logic/line_stats.py).
SELECT partition_id, source_line
FROM raw.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
