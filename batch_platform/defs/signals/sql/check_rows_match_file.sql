-- Per partition of $partition_keys: 0 when raw.signal_files has exactly one row for the file and
-- its data_rows equals the rows in raw.signals; otherwise how far off it is.
WITH keys AS (SELECT unnest($partition_keys) AS partition_key),
files AS (
    SELECT partition_key, count(*) AS file_rows, coalesce(sum(data_rows), 0) AS data_rows
    FROM raw.signal_files WHERE list_contains($partition_keys, partition_key)
    GROUP BY partition_key
),
lines AS (
    SELECT partition_key, count(*) AS rows
    FROM raw.signals WHERE list_contains($partition_keys, partition_key)
    GROUP BY partition_key
)
SELECT k.partition_key,
    abs(coalesce(f.file_rows, 0) - 1) + abs(coalesce(f.data_rows, 0) - coalesce(l.rows, 0))
FROM keys AS k
LEFT JOIN files AS f USING (partition_key)
LEFT JOIN lines AS l USING (partition_key)
