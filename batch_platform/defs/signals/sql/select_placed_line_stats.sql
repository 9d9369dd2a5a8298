-- Per partition of $partition_keys: the same statistics over the lines placed in
-- clean.signals, clean.signal_duplicates and quarantine.signal_rows together.
WITH placed AS (
    SELECT partition_key, source_line FROM clean.signals
    WHERE list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM clean.signal_duplicates
    WHERE list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM quarantine.signal_rows
    WHERE list_contains($partition_keys, partition_key)
)
SELECT partition_key, count(*), count(DISTINCT source_line), min(source_line), max(source_line),
    count(*) FILTER (WHERE source_line IS NULL)
FROM placed
GROUP BY partition_key
