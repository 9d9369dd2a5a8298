-- The keys of $partition_keys (a list, in landing order) that have no id yet get the next ids,
-- in that order.
INSERT INTO raw.signal_partitions
SELECT
    k.partition_key,
    coalesce((SELECT max(partition_id) FROM raw.signal_partitions), 0)
        + row_number() OVER (ORDER BY k.position) AS partition_id
FROM (
    SELECT unnest($partition_keys) AS partition_key,
        generate_subscripts($partition_keys, 1) AS position
) AS k
WHERE NOT EXISTS (
    SELECT 1 FROM raw.signal_partitions AS m WHERE m.partition_key = k.partition_key
)
