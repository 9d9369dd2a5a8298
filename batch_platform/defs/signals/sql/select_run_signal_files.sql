-- One row per landed file of the run (temp table run_signal_files, built from the loads), loaded
-- or quarantined.
SELECT partition_key, source_file, file_format, size_bytes, modified_at, data_rows,
    CASE WHEN reason IS NULL THEN 'loaded' ELSE 'quarantined' END AS status
FROM temp.main.run_signal_files
