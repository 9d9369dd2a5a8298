-- The id of each key of $partition_keys (the first given, should a key ever have two).
SELECT partition_key, min(partition_id) AS partition_id
FROM raw.signal_partitions
WHERE list_contains($partition_keys, partition_key)
GROUP BY partition_key
