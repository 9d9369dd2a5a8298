-- The files of a run, in landing order: $partition_keys (a list), $future_tolerance (an
-- interval: a timestamp later than the file's modification time plus this is implausible), with
-- each file's partition id.
CREATE OR REPLACE TEMP TABLE run_files AS
WITH keys AS (
    SELECT unnest($partition_keys) AS partition_key,
        generate_subscripts($partition_keys, 1) AS file_order
)
SELECT
    k.partition_key,
    k.file_order,
    p.partition_id,
    coalesce(f.source_file, '') AS source_file,
    coalesce(f.modified_at, TIMESTAMP '2100-01-01') + $future_tolerance AS not_after
FROM keys AS k
LEFT JOIN raw.signal_files AS f USING (partition_key)
LEFT JOIN (
    SELECT partition_key, min(partition_id) AS partition_id
    FROM raw.signal_partitions
    WHERE list_contains($partition_keys, partition_key)
    GROUP BY partition_key
) AS p USING (partition_key);
