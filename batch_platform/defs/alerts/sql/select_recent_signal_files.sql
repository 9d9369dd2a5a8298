-- Signal files loaded since $since (by their modification time, UTC) with their data rows and
-- the rows of theirs that were quarantined.
SELECT
    f.partition_key,
    f.source_file,
    f.modified_at,
    coalesce(f.data_rows, 0) AS data_rows,
    count(q.source_line) AS quarantined_rows
FROM raw.signal_files AS f
LEFT JOIN quarantine.signal_rows AS q ON q.partition_key = f.partition_key
WHERE f.status = 'loaded' AND f.modified_at >= $since::TIMESTAMP
GROUP BY f.partition_key, f.source_file, f.modified_at, f.data_rows
ORDER BY f.modified_at, f.partition_key
