-- The partition ids of the files the run's duplicates ($partition_keys; {run_partition_ids}:
-- their ids) point at (raw.signal_files names each file's partition).
SELECT DISTINCT m.partition_id
FROM (
    SELECT DISTINCT duplicate_of_file
    FROM clean.signal_duplicates
    WHERE partition_id IN ({run_partition_ids})
        AND list_contains($partition_keys, partition_key)
) AS d
JOIN raw.signal_files AS f ON f.source_file = d.duplicate_of_file
JOIN raw.signal_partitions AS m ON m.partition_key = f.partition_key
