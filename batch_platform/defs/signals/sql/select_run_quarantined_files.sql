-- The run's files quarantined whole (temp table run_signal_files), with the reason.
SELECT partition_key, source_file, size_bytes, modified_at, reason
FROM temp.main.run_signal_files
WHERE reason IS NOT NULL
