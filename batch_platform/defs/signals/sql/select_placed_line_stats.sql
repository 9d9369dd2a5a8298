-- Per partition of $partition_keys ({run_partition_ids}: their ids): the same statistics over
-- the lines placed in clean.signals, clean.signal_duplicates and quarantine.signal_rows
-- together.
WITH placed AS (
    SELECT partition_key, source_line FROM clean.signals
    WHERE partition_id IN ({run_partition_ids})
        AND list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM clean.signal_duplicates
    WHERE partition_id IN ({run_partition_ids})
        AND list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM quarantine.signal_rows
    WHERE partition_id IN ({run_partition_ids})
        AND list_contains($partition_keys, partition_key)
)
SELECT partition_key, count(*), count(DISTINCT source_line), min(source_line), max(source_line),
    count(*) FILTER (WHERE source_line IS NULL)
FROM placed
GROUP BY partition_key
