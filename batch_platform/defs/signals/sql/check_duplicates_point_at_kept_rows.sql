-- Per partition of the run ($partition_keys; {run_partition_ids}: their ids): duplicates whose
-- kept row (file, line, same event_key) is not in clean.signals. Kept rows are looked up among
-- the partitions the duplicates point at and the run's own ({pointed_partition_ids}).
SELECT d.partition_key, count(*)
FROM clean.signal_duplicates AS d
WHERE d.partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, d.partition_key)
    AND NOT EXISTS (
        SELECT 1 FROM clean.signals AS s
        WHERE s.partition_id IN ({pointed_partition_ids})
            AND s.source_file = d.duplicate_of_file
            AND s.source_line = d.duplicate_of_line
            AND s.event_key = d.event_key
    )
GROUP BY d.partition_key
