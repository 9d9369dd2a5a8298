-- One row per file of the run (temp table intent_run_files).
SELECT
    partition_key, source_file, size_bytes, modified_at, data_rows,
    CASE WHEN reason IS NULL THEN 'loaded' ELSE 'quarantined' END AS status, reason
FROM intent_run_files
