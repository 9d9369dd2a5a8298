-- Per partition of $partition_keys ({run_partition_ids}: their ids): 0 when raw.signal_files has
-- exactly one row for the file, its data_rows equals the rows in raw.signals (read by the
-- file's partition id) and the file has exactly one partition id, which no other file has;
-- otherwise how far off it is.
WITH keys AS (SELECT unnest($partition_keys) AS partition_key),
files AS (
    SELECT partition_key, count(*) AS file_rows, coalesce(sum(data_rows), 0) AS data_rows
    FROM raw.signal_files WHERE list_contains($partition_keys, partition_key)
    GROUP BY partition_key
),
lines AS (
    SELECT partition_key, count(*) AS rows
    FROM raw.signals
    WHERE partition_id IN ({run_partition_ids})
        AND list_contains($partition_keys, partition_key)
    GROUP BY partition_key
),
ids AS (
    SELECT k.partition_key,
        count(m.partition_id) AS ids,
        count(o.partition_key) AS shared
    FROM keys AS k
    LEFT JOIN raw.signal_partitions AS m USING (partition_key)
    LEFT JOIN raw.signal_partitions AS o
        ON o.partition_id = m.partition_id AND o.partition_key <> m.partition_key
    GROUP BY k.partition_key
)
SELECT k.partition_key,
    abs(coalesce(f.file_rows, 0) - 1) + abs(coalesce(f.data_rows, 0) - coalesce(l.rows, 0))
        + abs(i.ids - 1) + i.shared
FROM keys AS k
LEFT JOIN files AS f USING (partition_key)
LEFT JOIN lines AS l USING (partition_key)
JOIN ids AS i USING (partition_key)
