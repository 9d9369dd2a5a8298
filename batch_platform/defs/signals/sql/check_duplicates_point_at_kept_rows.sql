-- Per partition of $partition_keys: duplicates whose kept row (file, line, same event_key) is not
-- in clean.signals.
SELECT d.partition_key, count(*)
FROM clean.signal_duplicates AS d
WHERE list_contains($partition_keys, d.partition_key)
    AND NOT EXISTS (
        SELECT 1 FROM clean.signals AS s
        WHERE s.source_file = d.duplicate_of_file
            AND s.source_line = d.duplicate_of_line
            AND s.event_key = d.event_key
    )
GROUP BY d.partition_key
