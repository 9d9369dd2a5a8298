SELECT
    partition_key, partition_id, source_file, source_line, event_key, duplicate_of_file,
    duplicate_of_line, scope
FROM duplicate_signals
