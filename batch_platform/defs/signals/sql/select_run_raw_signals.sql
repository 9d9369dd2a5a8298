-- The staged rows of a run's files ({run_stage}: file_number, then the columns of
-- signal_stage) with their file columns, in staging order. Parameters: $partition_keys,
-- $partition_ids, $source_files, each indexed by file_number + 1.
SELECT
    $partition_keys[file_number + 1] AS partition_key,
    $partition_ids[file_number + 1] AS partition_id,
    $source_files[file_number + 1] AS source_file,
    * EXCLUDE (file_number)
FROM {run_stage}
