-- Ids for the signal files without one (see select_unmapped_signal_partitions_exist), in the
-- order they landed (modification time, then key).
INSERT INTO raw.signal_partitions
SELECT
    partition_key,
    coalesce((SELECT max(partition_id) FROM raw.signal_partitions), 0)
        + row_number() OVER (ORDER BY landed, partition_key) AS partition_id
FROM (
    SELECT partition_key, min(modified_at) AS landed
    FROM raw.signal_files AS f
    WHERE NOT EXISTS (
        SELECT 1 FROM raw.signal_partitions AS m WHERE m.partition_key = f.partition_key
    )
    GROUP BY partition_key
)
