-- Missing or repeated batch rows, plus the difference between the registered URL count and
-- the items of the batch.
SELECT abs(count(*) - 1)
    + abs(coalesce(sum(total_urls), 0) - (
        SELECT count(*) FROM content.batch_items WHERE partition_key = $partition_key
    ))
FROM content.batches
WHERE partition_key = $partition_key
