SELECT
    partition_key, source_file, source_line, event_key, duplicate_of_file, duplicate_of_line,
    duplicate_scope AS scope
FROM classified_signals
WHERE duplicate_scope IS NOT NULL
ORDER BY source_line
