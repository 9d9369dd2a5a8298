-- Responses staged by other batches (the registered Arrow table "cached"), for this batch.
SELECT $partition_key AS partition_key, * EXCLUDE (cached_from)
FROM cached
WHERE cached_from <> $partition_key
