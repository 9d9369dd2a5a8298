-- The lines placed in clean.signals, clean.signal_duplicates and quarantine.signal_rows
-- together, of the run's partitions ($partition_keys; {run_partition_ids}: their ids), for the
-- line statistics (logic/line_stats.py).
SELECT partition_id, source_line FROM clean.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
UNION ALL
SELECT partition_id, source_line FROM clean.signal_duplicates
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
UNION ALL
SELECT partition_id, source_line FROM quarantine.signal_rows
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
