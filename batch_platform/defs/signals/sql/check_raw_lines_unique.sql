-- Per partition of the run ($partition_keys; {run_partition_ids}: their ids): raw rows whose
-- source_line repeats or is missing.
SELECT
    partition_key,
    count(*) - count(DISTINCT source_line) + count(*) FILTER (WHERE source_line IS NULL)
FROM raw.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
GROUP BY partition_key
