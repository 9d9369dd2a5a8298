-- Per file of the run ($partition_keys): intent duplicates pointing at no row of
-- clean.intent_signals.
SELECT d.partition_key, count(*) AS failing
FROM clean.intent_signal_duplicates AS d
LEFT JOIN clean.intent_signals AS s
    ON s.source_file = d.duplicate_of_file AND s.source_line = d.duplicate_of_line
WHERE list_contains($partition_keys, d.partition_key) AND s.source_file IS NULL
GROUP BY d.partition_key
