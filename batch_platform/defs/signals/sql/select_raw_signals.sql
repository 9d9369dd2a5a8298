-- The staged rows of one file (temp relation signal_stage) with their file columns.
-- Parameters: $partition_key, $partition_id, $source_file.
SELECT $partition_key AS partition_key, $partition_id AS partition_id, $source_file AS source_file,
    *
FROM signal_stage
