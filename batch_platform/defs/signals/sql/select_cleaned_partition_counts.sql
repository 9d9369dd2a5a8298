-- Per partition of a clean run ($keys, a list; {run_partition_ids} their ids): rows typed from
-- raw.signals, then cleaned, duplicate and quarantined rows, as (partition_key, outcome, rows).
SELECT f.partition_key, 'raw' AS outcome, t.n_rows
FROM (SELECT file_order, count(*) AS n_rows FROM typed_signals GROUP BY file_order) AS t
JOIN run_files AS f USING (file_order)
WHERE list_contains($keys, f.partition_key)
UNION ALL
SELECT partition_key, 'cleaned', count(*)
FROM clean.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($keys, partition_key) GROUP BY partition_key
UNION ALL
SELECT partition_key, 'duplicate', count(*)
FROM clean.signal_duplicates
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($keys, partition_key) GROUP BY partition_key
UNION ALL
SELECT partition_key, 'quarantined', count(*)
FROM quarantine.signal_rows
WHERE partition_id IN ({run_partition_ids})
    AND list_contains($keys, partition_key) GROUP BY partition_key
