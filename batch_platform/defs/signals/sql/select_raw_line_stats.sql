-- Per partition of $partition_keys ({run_partition_ids}: their ids): rows, distinct lines, first
-- and last line of raw.signals.
SELECT partition_key, count(*), count(DISTINCT source_line), min(source_line), max(source_line),
    count(*) FILTER (WHERE source_line IS NULL)
FROM raw.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($partition_keys, partition_key)
GROUP BY partition_key
